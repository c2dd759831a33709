"""What the registry records of a publication, and the sha256 of a published file's content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3

import msgspec

CONTENT_TABLES = ("assessments", "changes", "domains", "tools", "vendors")
"""The tables the sha256 covers, in hashing order (all but `publication` and the FTS index)."""

ORDER_BY = {
    "assessments": "id", "changes": "tool_id", "domains": "host, tool_id", "tools": "id",
    "vendors": "id",
}


class ChangeSummary(msgspec.Struct, kw_only=True):
    """How many tools changed against the file this publication replaced (`since_version`)."""

    since_version: int | None = None
    added: int = 0
    removed: int = 0
    verdict_changed: int = 0


class Publication(msgspec.Struct, kw_only=True):
    """One published version of the whitelist, as the registry records it."""

    version: int
    published_at: dt.datetime
    policy_version: str
    counts: dict[str, int]
    sha256: str
    changes: ChangeSummary
    actor: str


def registry_row(publication: Publication) -> dict:
    row = msgspec.to_builtins(publication)
    row.pop("actor")
    return row


_encode = msgspec.json.Encoder().encode


def content_sha256(conn: sqlite3.Connection) -> str:
    """The sha256 of a published file's content, which the file itself cannot contain.

    Defined as the SHA-256 of the UTF-8 bytes of the JSON array
    `[[table, [column, ...], [[value, ...], ...]], ...]` with one entry per table of
    CONTENT_TABLES in that order, columns in table order, rows sorted by primary key and
    values as stored (text, integer or null), encoded like Python's
    `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`. The `publication` table and
    the full-text index are left out: they describe the content or derive from it.
    """
    digest = hashlib.sha256()
    digest.update(b"[")
    for i, table in enumerate(CONTENT_TABLES):
        cursor = conn.execute(f"SELECT * FROM [{table}] ORDER BY {ORDER_BY[table]}")
        cursor.row_factory = None  # tuples, whatever the connection's factory
        columns = [c[0] for c in cursor.description]
        head = json.dumps([table, columns], ensure_ascii=False, separators=(",", ":"))
        digest.update(("," if i else "").encode() + head[:-1].encode() + b",[")
        # msgspec writes text, integers and null byte for byte as that json.dumps does (checked
        # for every code point), five times faster; the published tables hold nothing else.
        for j, row in enumerate(cursor):
            digest.update(b"," + _encode(row) if j else _encode(row))
        digest.update(b"]]")
    digest.update(b"]")
    return digest.hexdigest()
