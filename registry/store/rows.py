"""Records as rows: builtins, JSON text for nested fields, timestamps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from registry import models


def now() -> str:
    return msgspec.to_builtins(dt.datetime.now(dt.UTC))


def _json_fields(struct_type: type) -> frozenset[str]:
    """Fields stored as JSON text: lists, dicts and nested Structs."""
    info = msgspec.inspect.type_info(struct_type)
    nested = (msgspec.inspect.ListType, msgspec.inspect.StructType, msgspec.inspect.DictType)

    def is_nested(t) -> bool:
        if isinstance(t, msgspec.inspect.UnionType):
            return any(is_nested(x) for x in t.types)
        return isinstance(t, nested)

    return frozenset(f.name for f in info.fields if is_nested(f.type))


JSON_FIELDS = {kind: _json_fields(stored) for kind, (_, stored) in models.RECORD_TYPES.items()}
META_FIELDS = ("version", "created_at", "updated_at", "archived_at")


def to_builtins(record: msgspec.Struct) -> dict[str, Any]:
    """Every field of a record as JSON-ready builtins, defaults included."""
    return msgspec.to_builtins(msgspec.structs.asdict(record))


def json_text(value: Any) -> str:
    """JSON text for a TEXT column: msgspec writes it several times faster than json.dumps."""
    return msgspec.json.encode(value).decode()


def doc_row(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A record's builtins (`to_builtins`) as its table row: nested fields as JSON text."""
    row = dict(doc)
    row.pop("tool_ids", None)  # agreement_tools holds them
    for name in JSON_FIELDS[kind]:
        if name in row:
            row[name] = None if row[name] is None else json_text(row[name])
    return row
