"""What the registry records of a publication, and the sha256 of a published file's content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
import sqlite3
from collections.abc import Iterable, Iterator
from types import NoneType

import msgspec

CONTENT_TABLES = ("assessments", "board_verdicts", "boards", "changes", "domains", "tools",
                  "vendors")
"""The tables the sha256 covers, in hashing order (all but `publication`, the histories and
the FTS index)."""
WHEN_FILLED = frozenset({"board_verdicts", "boards"})
"""Content tables the sha256 covers only when they hold rows: a file without school boards
(or from before them) has the sha256 it had before they were published."""

ORDER_BY = {
    "assessments": "id", "board_verdicts": "board_id, tool_id", "boards": "id",
    "changes": "tool_id", "domains": "host, tool_id", "tools": "id", "vendors": "id",
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
    prepared_by: str | None = None
    """Four eyes: the publisher who prepared it (`actor` approved it)."""
    approved_by: str | None = None
    restores_version: int | None = None
    """A rollback: the earlier publication whose content this one serves again."""


def registry_row(publication: Publication) -> dict:
    row = msgspec.to_builtins(publication)
    row.pop("actor")
    return row


_encode = msgspec.json.Encoder().encode
HASH_BATCH = 2000


def content_sha256(conn: sqlite3.Connection) -> str:
    """The sha256 of a published file's content, which the file itself cannot contain.

    Defined as the SHA-256 of the UTF-8 bytes of the JSON array
    `[[table, [column, ...], [[value, ...], ...]], ...]` with one entry per table of
    CONTENT_TABLES in that order (`boards` and `board_verdicts` only when the file has them
    and they hold rows), columns in table order, rows sorted by primary key and
    values as stored (text, integer or null), encoded like Python's
    `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`. The `publication` table and
    the full-text index are left out: they describe the content or derive from it.
    """

    present = {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    filled = {t for t in WHEN_FILLED & present
              if conn.execute(f"SELECT 1 FROM [{t}] LIMIT 1").fetchone()}

    def tables() -> Iterator[tuple[str, list[str], Iterator[list]]]:
        for table in CONTENT_TABLES:
            if table in WHEN_FILLED and table not in filled:
                continue
            cursor = conn.execute(f"SELECT * FROM [{table}] ORDER BY {ORDER_BY[table]}")
            cursor.row_factory = None  # tuples, whatever the connection's factory
            yield table, [c[0] for c in cursor.description], _fetched(cursor)

    return _sha256(tables())


def _fetched(cursor: sqlite3.Cursor) -> Iterator[list]:
    while rows := cursor.fetchmany(HASH_BATCH):
        yield rows


def rows_sha256(tables: dict[str, tuple[dict[str, type], list[tuple]]]) -> str | None:
    """`content_sha256` of a file whose tables hold these rows: per table of CONTENT_TABLES,
    its columns in table order with the type SQLite stores (text: str, integer: int) and its
    rows as tuples of those columns. Without reading the rows back from the file, which took
    most of the time; None when a value would not be stored exactly as it is (an int in a
    text column, a bool, a str subclass), which only the file can tell."""
    hashed = [t for t in CONTENT_TABLES
              if t not in WHEN_FILLED or (t in tables and tables[t][1])]
    if not all(_stored_as_is(table, *tables[table]) for table in hashed):
        return None

    def batches(table: str) -> Iterator[list]:
        columns, rows = tables[table]
        key = operator.itemgetter(*(list(columns).index(c) for c in ORDER_BY[table].split(", ")))
        ordered = sorted(rows, key=key)  # text sorts by code point, as SQLite's BINARY by bytes
        return (ordered[i:i + HASH_BATCH] for i in range(0, len(ordered), HASH_BATCH))

    return _sha256((table, list(tables[table][0]), batches(table)) for table in hashed)


def _stored_as_is(table: str, columns: dict[str, type], rows: list[tuple]) -> bool:
    if {len(row) for row in rows} - {len(columns)}:
        return False
    keys = ORDER_BY[table].split(", ")
    for (name, kind), values in zip(columns.items(), zip(*rows)):
        types = set(map(type, values))
        if not types <= {kind, NoneType} or (name in keys and NoneType in types):
            return False
    return True


def _sha256(tables: Iterable[tuple[str, list[str], Iterable[list]]]) -> str:
    digest = hashlib.sha256()
    digest.update(b"[")
    for i, (table, columns, batches) in enumerate(tables):
        head = json.dumps([table, columns], ensure_ascii=False, separators=(",", ":"))
        digest.update(("," if i else "").encode() + head[:-1].encode() + b",[")
        # msgspec writes text, integers and null byte for byte as that json.dumps does (checked
        # for every code point), five times faster; the published tables hold nothing else.
        # A few thousand rows at a time: their array without its brackets is those rows
        # joined by commas, as one row at a time wrote them.
        for j, rows in enumerate(batches):
            if j:
                digest.update(b",")
            digest.update(memoryview(_encode(rows))[1:-1])
        digest.update(b"]]")
    digest.update(b"]")
    return digest.hexdigest()
