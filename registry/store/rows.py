"""Records as rows: builtins, JSON text for nested fields, timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from registry.store.kinds import Kind

META_FIELDS = ("version", "created_at", "updated_at", "archived_at")


def now() -> str:
    return msgspec.to_builtins(dt.datetime.now(dt.UTC))


def to_builtins(record: msgspec.Struct) -> dict[str, Any]:
    """Every field of a record as JSON-ready builtins, defaults included."""
    return msgspec.to_builtins(msgspec.structs.asdict(record))


def json_text(value: Any) -> str:
    """JSON text for a TEXT column: msgspec writes it several times faster than json.dumps."""
    return msgspec.json.encode(value).decode()


def doc_row(kind: Kind, doc: dict[str, Any]) -> dict[str, Any]:
    """A record's builtins (`to_builtins`) as its table row: nested fields as JSON text, and
    without the lists that tables of their own hold (`Kind.links`)."""
    row = dict(doc)
    for link in kind.links:
        row.pop(link.field, None)
    for name in kind.json_fields:
        if name in row:
            row[name] = None if row[name] is None else json_text(row[name])
    return row


def from_row(kind: Kind, row: dict[str, Any]):
    """A row (with its linked lists added) as the kind's stored Struct."""
    for name in kind.json_fields:
        if isinstance(row.get(name), str):
            row[name] = msgspec.json.decode(row[name])
    return msgspec.convert({k: v for k, v in row.items() if v is not None}, kind.stored,
                           strict=False)
