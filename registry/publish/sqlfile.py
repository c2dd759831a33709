"""The published file itself: its schema version, tables, indexes and full-text index, written
fresh (`write`) or checked and compacted (`compact`); a disk that is full is a `StorageFull`.

The full build (`registry.publish.builder`) writes every table with `write`; the incremental
one (`registry.publish.incremental`) patches a copy of the served file with `insert` and
`name_words`, so both store rows alike.
"""

from __future__ import annotations

import errno
import operator
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlite_utils import Database

from registry.errors import StorageFull
from registry.publish import boards, rows
from registry.publish.history import CHANGELOG_COLUMNS
from registry.publish.record import content_sha256, rows_sha256

SCHEMA_VERSION = 6
"""`PRAGMA user_version` of the published file; raise it when a published column changes.
2: `name_words`, the index of the check's name search. 3: `changelog`, every publication's
changes. 4: `publication.restores_version`, the version a rollback serves again. 5: school
boards: `boards`, `board_verdicts` and `board_changelog` (`registry.publish.boards`).
6: `idx_tools_kindred` (`KINDRED_INDEX`)."""

FTS_COLUMNS = ["search", "description"]
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
"""Case- and accent-insensitive, no stemmer: `porter` would stem Dutch as English."""

TOOL_INDEXES = ["name", "name_key", "vendor_id", "verdict", "verdict_label", "category_label",
                "level_codes", "agreement_status_label", "pseudonymisation_label"]
"""The sort column, the lookups of the check API, and every facet column (`category`
through `KINDRED_INDEX`, which starts with it)."""
KINDRED_INDEX = ("category", "verdict", "next_verdict", "verdict_changes_on", "level_codes",
                 "name_key", "id", "name", "vendor_name")
"""Every column the check reads for the allowed tools of a category (the alternatives of a
tool that has none published): a list reads this index instead of the 3 KB rows of every
tool of the category (14 → 1.9 ms a list at 100,000 tools, 2% more file)."""


def create_kindred_index(db: Database) -> None:
    """`KINDRED_INDEX`, also on a kept file of an older format that a rollback serves again."""
    db["tools"].create_index(KINDRED_INDEX, index_name="idx_tools_kindred", if_not_exists=True)


@contextmanager
def no_room_is_storage_full() -> Iterator[None]:
    """No room on the disk for the new file (SQLite's SQLITE_FULL or the system's ENOSPC) is
    a 507 that says what happened, not a 500: nothing was published, the old file stays."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        if (getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                or getattr(exc, "errno", None) == errno.ENOSPC):
            raise StorageFull(NO_ROOM) from exc
        raise


NO_ROOM = ("There is no room on the disk for the new whitelist. Nothing was published and the "
           "current whitelist is still served; free some space and publish again.")


def write(path: Path, tables: dict[str, list[dict]], publication: dict) -> str:
    """Write every table to a fresh file at `path`; return the sha256 of its content."""
    db = Database(path)
    try:
        # A scratch file: VACUUM INTO makes the durable copy, so no journal and no syncs here.
        # References are checked once, on that copy (`compact`), not on every insert.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA foreign_keys = OFF")
        with db.atomic():
            db["vendors"].create(rows.VENDOR_COLUMNS, pk="id", not_null={"name"})
            db["tools"].create(
                rows.TOOL_COLUMNS, pk="id", foreign_keys=[("vendor_id", "vendors", "id")],
                not_null={"name", "vendor_id", "category", "verdict", "policy_version"},
            )
            db["domains"].create(
                rows.DOMAIN_COLUMNS, pk=("host", "tool_id"),
                foreign_keys=[("tool_id", "tools", "id")],
            )
            db["assessments"].create(
                rows.ASSESSMENT_COLUMNS, pk="id", foreign_keys=[("tool_id", "tools", "id")]
            )
            db["changes"].create(rows.CHANGE_COLUMNS, pk="tool_id")
            db["changelog"].create(CHANGELOG_COLUMNS, pk=("publication_version", "tool_id"))
            boards.create_tables(db)
            db["publication"].create(
                {"version": int, "published_at": str, "evaluated_on": str,
                 "policy_version": str, "previous_version": int, "counts": str,
                 "changes": str, "sha256": str, "restores_version": int},
                pk="version",
            )
            inserted = {name: insert(db, name, tables[name])
                        for name in ("vendors", "tools", "domains", "assessments", "changes",
                                     "boards", "board_verdicts")}
            insert(db, "changelog", tables["changelog"])
            insert(db, "board_changelog", tables["board_changelog"])
            name_words(db, tables["tools"])
        # `domains` is looked up by host through its primary key (host, tool_id).
        for table, column in [*(("tools", c) for c in TOOL_INDEXES),
                              ("domains", "registrable_domain"), ("domains", "tool_id"),
                              ("assessments", "tool_id"), ("changes", "change"),
                              ("changelog", "tool_id")]:
            db[table].create_index([column])
        create_kindred_index(db)
        boards.create_indexes(db)
        db["tools"].enable_fts(FTS_COLUMNS, fts_version="FTS5", tokenize=FTS_TOKENIZER)
        sha256 = rows_sha256(inserted) or content_sha256(db.conn)
        with db.atomic():
            insert(db, "publication", [{"restores_version": None} | publication
                                        | {"sha256": sha256}])
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return sha256
    finally:
        db.close()


def name_words(db: Database, tools: list[dict]) -> None:
    """Each word of each tool's `name_key`: the check finds "a word of the name starts with"
    by a range on this key, for every script. The full-text index served only ASCII keys;
    other keys scanned every name (0.2 s a check at 47,500 tools, an anonymous CPU lever).
    Derived from `tools.name_key`, so not part of the content's sha256."""
    db.execute(
        "CREATE TABLE name_words (word TEXT NOT NULL, tool_id TEXT NOT NULL REFERENCES "
        "tools(id), PRIMARY KEY (word, tool_id)) WITHOUT ROWID")
    add_name_words(db.conn, tools)


def add_name_words(conn: sqlite3.Connection, tools: list[dict]) -> None:
    conn.executemany("INSERT INTO name_words (word, tool_id) VALUES (?, ?)", (
        (word, tool["id"]) for tool in tools for word in sorted(set(tool["name_key"].split()))))


def insert(db: Database, table: str, records: list[dict]
            ) -> tuple[dict[str, type], list[tuple]]:
    """Insert rows with exactly the table's columns (twice as fast as `insert_all`); return
    the table's columns (with the type each stores) and the rows as tuples of them."""
    columns = db[table].columns_dict
    if records and set(records[0]) != set(columns):  # rows.py builds every row alike
        raise ValueError(f"{table}: rows have {sorted(records[0])}, the table {sorted(columns)}")
    sql = (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    names = list(columns)
    values = list(map(operator.itemgetter(*names), records)) if len(names) > 1 else [
        (row[names[0]],) for row in records]
    db.conn.executemany(sql, values)
    return columns, values


def compact(building: Path, ready: Path) -> None:
    """VACUUM INTO a compact single file, check it, and flush it to disk."""
    with closing(sqlite3.connect(building, isolation_level=None)) as conn:
        conn.execute("VACUUM INTO ?", [str(ready)])
    check(ready)


def check(ready: Path, *, integrity: bool = True) -> None:
    """Refuse a file that fails SQLite's integrity check or has a broken reference
    (`integrity`; else checked already, `check_integrity`), or that is not a single
    rollback-journal file; then flush it to disk."""
    if integrity:
        check_integrity(ready)
    with closing(sqlite3.connect(ready, isolation_level=None)) as conn:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "delete":
            raise RuntimeError(f"The built whitelist is in journal mode {mode!r}, not 'delete'")
    with open(ready, "rb") as f:
        os.fsync(f.fileno())


def check_integrity(path: Path) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise RuntimeError(f"The built whitelist failed its integrity check: {problems[:3]}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The built whitelist has broken references: {broken[:3]}")
