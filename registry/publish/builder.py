"""Build the published whitelist: a separate SQLite file, replaced atomically, recorded once.

    records ──rows.py──▶ temp file ──checks──▶ VACUUM INTO ──fsync──▶ os.replace ──▶ recorded

Readers of the file never see a half-built or mixed file: everything is written to a temporary
file in the same folder, compacted into a second one (a single rollback-journal file, no WAL),
checked, flushed to disk and only then renamed over the old file. The registry records the
publication in the same transaction as the rename, so a failed rename records nothing.

A crash between the rename and the commit leaves a served file whose version the registry
has not recorded; `registry.publish.recovery` records it before the next publication and
removes what a killed one left behind.
"""

from __future__ import annotations

import datetime as dt
import errno
import operator
import os
import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from registry.bundles import gc_paused
from registry.db import Registry
from registry import signing
from registry.signing import fsync_dir
from registry.errors import StorageFull
from registry.verdict import ORDER
from registry.policy import Policy
from registry.publish import boards, kept, recovery, rows
from registry.publish.history import CHANGELOG_COLUMNS, changelog_rows, read_previous
from registry.publish.record import (
    ChangeSummary,
    Publication,
    content_sha256,
    registry_row,
    rows_sha256,
)
from registry.verdicts import Records, current_policy

SCHEMA_VERSION = 5
"""`PRAGMA user_version` of the published file; raise it when a published column changes.
2: `name_words`, the index of the check's name search. 3: `changelog`, every publication's
changes. 4: `publication.restores_version`, the version a rollback serves again. 5: school
boards: `boards`, `board_verdicts` and `board_changelog` (`registry.publish.boards`)."""

FTS_COLUMNS = ["search", "description"]
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
"""Case- and accent-insensitive, no stemmer: `porter` would stem Dutch as English."""

TOOL_INDEXES = ["name", "name_key", "vendor_id", "verdict", "verdict_label", "category",
                "category_label", "level_codes", "agreement_status_label",
                "pseudonymisation_label"]
"""The sort column, the lookups of the check API, and every facet column."""


Progress = Callable[[str], None]


def publish(
    registry: Registry,
    out_path: Path,
    today: dt.date,
    actor: str,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> Publication:
    """Build the whitelist from `registry` with verdicts as of `today`, replace `out_path`
    atomically and record the publication (version = previous + 1)."""
    # As for an import: hundreds of thousands of Structs and rows, and no cycles among them.
    with gc_paused():
        built = build(registry, out_path, today, progress=progress, now=now)
        try:
            return install(registry, built, out_path, actor, progress=progress)
        finally:
            built.discard()


@dataclass
class Built:
    """A whitelist file built and checked (`path`), not yet served: `install` puts it in
    place and records `publication`; `discard` removes it when it is not wanted."""

    path: Path
    publication: Publication

    def discard(self) -> None:
        with suppress(FileNotFoundError):
            self.path.unlink()


RecordsSource = Callable[[Registry], "tuple[Records, Policy]"]
"""What a publication is built from: the records and the policy (default: as they are now,
`current_records`). Records with the school boards are `boards.WithBoards`; plain `Records`
publish no board."""


def current_records(registry: Registry) -> tuple[Records, Policy]:
    records = boards.with_boards(Records.load(registry), boards.BoardRecords.load(registry))
    return records, current_policy(registry)


def build(registry: Registry, out_path: Path, today: dt.date, *,
          progress: Progress | None = None, now: dt.datetime | None = None,
          source: RecordsSource = current_records, ready: Path | None = None) -> Built:
    """Build the next publication's file (version = the latest recorded + 1) beside
    `out_path` (or at `ready`), compared with the file served at `out_path`."""
    say = progress or (lambda _: None)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    recovery.remove_leftovers(out_path)
    recovery.recover(registry, out_path)
    published_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)

    say("Reading the registry")
    with registry.snapshot():
        records, policy = source(registry)
        published = registry.publications.all()
    version = (published[0]["version"] if published else 0) + 1

    say("Computing verdicts")
    tables = _tables(records, policy, today)
    previous_version, previous_tools = read_previous(out_path)
    tables["changes"] = rows.change_rows(previous_tools, tables["tools"])
    summary, counts = _summary(tables, previous_version)
    tables["changelog"] = changelog_rows(out_path, tables, version,
                                         msgspec.to_builtins(published_at))
    tables["board_changelog"] = _board_changelog(out_path, tables, version,
                                                 msgspec.to_builtins(published_at))

    stem = f"{recovery.leftover_prefix(out_path)}{os.getpid()}-{secrets.token_hex(4)}"
    building = out_path.with_name(stem + ".building")
    ready = ready or out_path.with_name(stem + ".tmp")
    try:
        with _no_room_is_storage_full():
            say(f"Writing {counts['tools']} tools")
            sha256 = _build(building, tables, {
                "version": version,
                "published_at": msgspec.to_builtins(published_at),
                "evaluated_on": today.isoformat(),
                "policy_version": policy.version,
                "previous_version": previous_version,
                "counts": rows.to_json(counts),
                "changes": rows.to_json(msgspec.to_builtins(summary)),
            })
            say("Checking and compacting")
            _compact(building, ready)
    except BaseException:
        with suppress(FileNotFoundError):
            ready.unlink()
        raise
    finally:
        with suppress(FileNotFoundError):
            building.unlink()
    return Built(ready, Publication(
        version=version, published_at=published_at, policy_version=policy.version,
        counts=counts, sha256=sha256, changes=summary, actor="",
    ))


def install(registry: Registry, built: Built, out_path: Path, actor: str, *,
            progress: Progress | None = None, **recorded: Any) -> Publication:
    """Serve `built` at `out_path` and record it, in one transaction: a failed replace
    records nothing, and a publication recorded in between (its version taken) is a
    `Conflict`. `recorded`: more columns of the registry's record (`prepared_by`,
    `approved_by`, `restores_version`). A copy is kept (`registry.publish.kept`), and its
    manifest is written beside it, signed with the publisher's key (`registry.signing`)."""
    say = progress or (lambda _: None)
    out_path = Path(out_path)
    publication = msgspec.structs.replace(built.publication, actor=actor)
    key = signing.publisher_key(registry.path)  # an unusable key publishes nothing
    say("Hashing the file for its manifest")
    hashed = signing.file_sha256(built.path)  # before the rename: the manifest follows at once
    say("Replacing the published file")
    with _no_room_is_storage_full():
        copy = kept.keep(built.path, out_path, publication.version)
        try:
            with registry.write():
                registry.publications.record(registry_row(publication) | recorded, actor)
                os.replace(built.path, out_path)
                fsync_dir(out_path.parent)
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
        signing.write_manifest(out_path, publication, key, hashed)
    kept.prune(out_path)
    return publication


def _summary(tables: dict[str, list[dict]], previous_version: int | None
             ) -> tuple[ChangeSummary, dict[str, int]]:
    """What changed since the previous file, and the counts of rows and of each verdict."""
    changes = Counter(c["change"] for c in tables["changes"])
    summary = ChangeSummary(since_version=previous_version,
                            **{change: changes[change] for change in rows.CHANGE_LABELS})
    counts = {name: len(tables[name]) for name in ("tools", "vendors", "domains", "assessments")}
    verdicts = Counter(t["verdict"] for t in tables["tools"])
    counts |= {code.value: verdicts[code.value] for code in reversed(ORDER)}
    return summary, counts


@contextmanager
def _no_room_is_storage_full() -> Iterator[None]:
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


def publications(registry: Registry) -> list[Publication]:
    """Every recorded publication, newest first."""
    return [msgspec.convert(row, Publication) for row in registry.publications.all()]


# --- from records to rows -----------------------------------------------------------------


def _tables(records: Records, policy, today: dt.date) -> dict[str, list[dict]]:
    # A tool of an archived vendor counts as archived: the vendor is gone from the list.
    tools = {tool_id: tool for tool_id, tool in records.tools.items()
             if records.vendors[tool.vendor_id].archived_at is None}
    judged = {tool_id: records.verdict_and_following(tool, policy, today)
              for tool_id, tool in tools.items()}
    verdicts = {tool_id: verdict for tool_id, (verdict, _) in judged.items()}
    options = rows.alternatives(tools, verdicts)
    board_tables = boards.tables(records, policy, today, verdicts)
    vendor_ids = {v.id for v in records.vendors.values() if v.archived_at is None}
    return {
        "vendors": [rows.vendor_row(records.vendors[v]) for v in sorted(vendor_ids)],
        "tools": [
            rows.tool_row(tool, records.vendors[tool.vendor_id],
                          records.agreements.get(tool_id, []),
                          records.assessments.get(tool_id, []),
                          *judged[tool_id], policy, today, options.get(tool_id))
            for tool_id, tool in sorted(tools.items())
        ],
        "domains": [d for _, tool in sorted(tools.items()) for d in rows.domain_rows(tool)],
        "assessments": [
            row for tool_id in sorted(tools)
            for a in records.assessments.get(tool_id, [])
            if (row := rows.assessment_row(a)) is not None
        ],
        **board_tables,
    }


def _board_changelog(path: Path, tables: dict[str, list[dict]], version: int,
                     published_at: str) -> list[dict]:
    """The board history of the file at `path` and this publication's board changes."""
    previous, history = boards.read_previous(path)
    changes = boards.change_rows(previous, tables["board_verdicts"])
    levels = {tool["id"]: tool["level_codes"] for tool in tables["tools"]}
    return boards.changelog_rows(history, changes, levels, version, published_at)


# --- the file -------------------------------------------------------------------------------


def _build(path: Path, tables: dict[str, list[dict]], publication: dict) -> str:
    """Write every table to a fresh file at `path`; return the sha256 of its content."""
    db = Database(path)
    try:
        # A scratch file: VACUUM INTO makes the durable copy, so no journal and no syncs here.
        # References are checked once, on that copy (`_compact`), not on every insert.
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
            inserted = {name: _insert(db, name, tables[name])
                        for name in ("vendors", "tools", "domains", "assessments", "changes",
                                     "boards", "board_verdicts")}
            _insert(db, "changelog", tables["changelog"])
            _insert(db, "board_changelog", tables["board_changelog"])
            _name_words(db, tables["tools"])
        # `domains` is looked up by host through its primary key (host, tool_id).
        for table, column in [*(("tools", c) for c in TOOL_INDEXES),
                              ("domains", "registrable_domain"), ("domains", "tool_id"),
                              ("assessments", "tool_id"), ("changes", "change"),
                              ("changelog", "tool_id")]:
            db[table].create_index([column])
        boards.create_indexes(db)
        db["tools"].enable_fts(FTS_COLUMNS, fts_version="FTS5", tokenize=FTS_TOKENIZER)
        sha256 = rows_sha256(inserted) or content_sha256(db.conn)
        with db.atomic():
            _insert(db, "publication", [{"restores_version": None} | publication
                                        | {"sha256": sha256}])
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return sha256
    finally:
        db.close()


def _name_words(db: Database, tools: list[dict]) -> None:
    """Each word of each tool's `name_key`: the check finds "a word of the name starts with"
    by a range on this key, for every script. The full-text index served only ASCII keys;
    other keys scanned every name (0.2 s a check at 47,500 tools, an anonymous CPU lever).
    Derived from `tools.name_key`, so not part of the content's sha256."""
    db.execute(
        "CREATE TABLE name_words (word TEXT NOT NULL, tool_id TEXT NOT NULL REFERENCES "
        "tools(id), PRIMARY KEY (word, tool_id)) WITHOUT ROWID")
    db.conn.executemany("INSERT INTO name_words (word, tool_id) VALUES (?, ?)", (
        (word, tool["id"]) for tool in tools for word in sorted(set(tool["name_key"].split()))))


def _insert(db: Database, table: str, records: list[dict]
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


def _compact(building: Path, ready: Path) -> None:
    """VACUUM INTO a compact single file, check it, and flush it to disk."""
    with closing(sqlite3.connect(building, isolation_level=None)) as conn:
        conn.execute("VACUUM INTO ?", [str(ready)])
    with closing(sqlite3.connect(ready, isolation_level=None)) as conn:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise RuntimeError(f"The built whitelist failed its integrity check: {problems[:3]}")
        broken = conn.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The built whitelist has broken references: {broken[:3]}")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "delete":
            raise RuntimeError(f"The built whitelist is in journal mode {mode!r}, not 'delete'")
    with open(ready, "rb") as f:
        os.fsync(f.fileno())

