"""Build the published whitelist: a separate SQLite file, replaced atomically, recorded once.

    records ──rows.py──▶ temp file ──checks──▶ VACUUM INTO ──fsync──▶ os.replace ──▶ recorded

Readers of the file never see a half-built or mixed file: everything is written to a temporary
file in the same folder, compacted into a second one (a single rollback-journal file, no WAL),
checked, flushed to disk and only then renamed over the old file. The registry records the
publication in the same transaction as the rename, so a failed rename records nothing.

A crash between the rename and the commit leaves a served file whose version the registry
has not recorded: `recover` records it from the file's own `publication` row (after checking
its content against its sha256) before the next publication, and at start-up; `registry
verify` reports a served file that does not match its record. Half-built files carry the id
of the process that builds them and are removed once that process is gone.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import msgspec
from sqlite_utils import Database

from registry.db import Registry
from registry.errors import Conflict, RegistryError, StorageFull
from registry.pids import alive
from registry.policy import ORDER
from registry.publish import rows
from registry.verdicts import Records, current_policy

SCHEMA_VERSION = 2
"""`PRAGMA user_version` of the published file; raise it when a published column changes.
2: `name_words`, the index of the check's name search."""

CONTENT_TABLES = ("assessments", "changes", "domains", "tools", "vendors")
"""The tables the sha256 covers, in hashing order (all but `publication` and the FTS index)."""

ORDER_BY = {
    "assessments": "id", "changes": "tool_id", "domains": "host, tool_id", "tools": "id",
    "vendors": "id",
}
FTS_COLUMNS = ["search", "description"]
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
"""Case- and accent-insensitive, no stemmer: `porter` would stem Dutch as English."""

TOOL_INDEXES = ["name", "name_key", "vendor_id", "verdict", "verdict_label", "category",
                "category_label", "level_codes", "agreement_status_label",
                "pseudonymisation_label"]
"""The sort column, the lookups of the check API, and every facet column."""


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
    say = progress or (lambda _: None)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_path)
    recover(registry, out_path)
    published_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)

    say("Reading the registry")
    with registry.snapshot():
        records = Records.load(registry)
        policy = current_policy(registry)
        published = registry.publications()
    version = (published[0]["version"] if published else 0) + 1

    say("Computing verdicts")
    tables = _tables(records, policy, today)
    previous_version, previous_tools = read_previous(out_path)
    tables["changes"] = rows.change_rows(previous_tools, tables["tools"])
    summary = ChangeSummary(since_version=previous_version, **{
        change: sum(c["change"] == change for c in tables["changes"])
        for change in rows.CHANGE_LABELS
    })
    counts = {name: len(tables[name]) for name in ("tools", "vendors", "domains", "assessments")}
    counts |= {code.value: sum(t["verdict"] == code for t in tables["tools"])
               for code in reversed(ORDER)}

    stem = f"{_leftover_prefix(out_path)}{os.getpid()}-{secrets.token_hex(4)}"
    building, ready = out_path.with_name(stem + ".building"), out_path.with_name(stem + ".tmp")
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
            publication = Publication(
                version=version, published_at=published_at, policy_version=policy.version,
                counts=counts, sha256=sha256, changes=summary, actor=actor,
            )
            say("Replacing the published file")
            # Recorded and replaced in one transaction: a failed replace records nothing.
            with registry.write():
                registry.record_publication(_registry_row(publication), actor)
                os.replace(ready, out_path)
                fsync_dir(out_path.parent)
    finally:
        for leftover in (building, ready):
            with suppress(FileNotFoundError):
                leftover.unlink()
    return publication


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


RECOVERED = "recovered"
"""The actor of a publication recorded from its file after a crash (the file names none)."""


def _leftover_prefix(out_path: Path) -> str:
    return f".{out_path.name}.build-"


def remove_leftovers(out_path: Path) -> list[Path]:
    """Remove the half-built files of publications whose process is gone (killed while
    building: 190 MB at 29,000 tools); those of a publication under way stay."""
    removed = []
    prefix = _leftover_prefix(out_path)
    for path in out_path.parent.glob(prefix + "*"):
        pid = path.name.removeprefix(prefix).partition("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def served_publication(path: Path, content: bool = True) -> dict | None:
    """The `publication` row of the whitelist file at `path` (with `content_sha256`, the
    hash of what it holds now, if `content`), or None without a file."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            row = dict(conn.execute("SELECT * FROM publication").fetchone())
            return row | {"content_sha256": content_sha256(conn)} if content else row
    except sqlite3.DatabaseError as exc:
        raise RegistryError(f"The published whitelist {path} cannot be read: {exc}.") from None


def recover(registry: Registry, out_path: Path) -> Publication | None:
    """Record the served file's publication when a crash came between its rename and the
    registry's commit; None when there was nothing to record."""
    # Under the write lock: a publication between its rename and its commit holds it, so
    # what is read here is never a publication that is about to be recorded anyway.
    with registry.write():
        served = served_publication(out_path, content=False)
        published = registry.publications()
        latest = published[0]["version"] if published else 0
        if served is None or served["version"] <= latest:
            return None
        served = served_publication(out_path)
        if served["version"] > latest + 1 or served["content_sha256"] != served["sha256"]:
            raise Conflict(
                f"The published whitelist {out_path} is version {served['version']}, but the "
                f"registry recorded up to version {latest}, and the file cannot be recorded as "
                "the next one (a newer file beside an older registry, or a changed file). Check "
                "`registry verify`, then move the file aside and publish again."
            )
        publication = Publication(
            version=served["version"],
            published_at=dt.datetime.fromisoformat(served["published_at"]),
            policy_version=served["policy_version"], counts=json.loads(served["counts"]),
            sha256=served["sha256"],
            changes=msgspec.convert(json.loads(served["changes"]), ChangeSummary),
            actor=RECOVERED,
        )
        registry.record_publication(_registry_row(publication), RECOVERED)
    return publication


def served_problems(registry: Registry, path: Path) -> list[str]:
    """One line per way the whitelist served at `path` differs from the registry's record of
    it ([] when it matches, or when no file is there: a copy of the database has none)."""
    try:
        served = served_publication(path)
    except RegistryError as exc:
        return [exc.detail]
    if served is None:
        return []
    version, problems = served["version"], []
    if served["content_sha256"] != served["sha256"]:
        problems.append(f"whitelist {path}: its content does not match its sha256 (changed "
                        "after publishing)")
    recorded = {p["version"]: p for p in registry.publications()}
    if version not in recorded:
        problems.append(f"whitelist {path}: version {version} is served but not recorded (a "
                        "publication interrupted before its record; the next publish or "
                        "start of `registry serve` records it)")
    elif recorded[version]["sha256"] != served["sha256"]:
        problems.append(f"whitelist {path}: version {version} is not the file recorded as "
                        "that version (its sha256 differs)")
    if recorded and max(recorded) > version:
        problems.append(f"whitelist {path}: version {version} is served, but version "
                        f"{max(recorded)} was recorded after it")
    return problems


def publications(registry: Registry) -> list[Publication]:
    """Every recorded publication, newest first."""
    return [msgspec.convert(row, Publication) for row in registry.publications()]


def _registry_row(publication: Publication) -> dict:
    row = msgspec.to_builtins(publication)
    row.pop("actor")
    return row


# --- from records to rows -----------------------------------------------------------------


def _tables(records: Records, policy, today: dt.date) -> dict[str, list[dict]]:
    # A tool of an archived vendor counts as archived: the vendor is gone from the list.
    tools = {tool_id: tool for tool_id, tool in records.tools.items()
             if records.vendors[tool.vendor_id].archived_at is None}
    verdicts = {tool_id: records.verdict(tool, policy, today) for tool_id, tool in tools.items()}
    options = rows.alternatives(tools, verdicts)
    vendor_ids = {v.id for v in records.vendors.values() if v.archived_at is None}
    return {
        "vendors": [rows.vendor_row(records.vendors[v]) for v in sorted(vendor_ids)],
        "tools": [
            rows.tool_row(tool, records.vendors[tool.vendor_id],
                          records.agreements.get(tool_id, []),
                          records.assessments.get(tool_id, []),
                          verdicts[tool_id], policy, today, options.get(tool_id))
            for tool_id, tool in sorted(tools.items())
        ],
        "domains": [d for _, tool in sorted(tools.items()) for d in rows.domain_rows(tool)],
        "assessments": [
            row for tool_id in sorted(tools)
            for a in records.assessments.get(tool_id, [])
            if (row := rows.assessment_row(a)) is not None
        ],
    }


def read_previous(path: Path) -> tuple[int | None, dict[str, dict] | None]:
    """(version, tools by id) of the whitelist currently at `path`; (None, None) if none."""
    if not path.exists():
        return None, None
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        version = conn.execute("SELECT version FROM publication").fetchone()[0]
        tools = conn.execute("SELECT id, name, verdict, verdict_label, reasons FROM tools")
        return version, {row["id"]: dict(row) for row in tools}


# --- the file -------------------------------------------------------------------------------


def _build(path: Path, tables: dict[str, list[dict]], publication: dict) -> str:
    """Write every table to a fresh file at `path`; return the sha256 of its content."""
    db = Database(path)
    try:
        # A scratch file: VACUUM INTO makes the durable copy, so no journal and no syncs here.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA foreign_keys = ON")
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
            db["publication"].create(
                {"version": int, "published_at": str, "evaluated_on": str,
                 "policy_version": str, "previous_version": int, "counts": str,
                 "changes": str, "sha256": str},
                pk="version",
            )
            for name in ("vendors", "tools", "domains", "assessments", "changes"):
                _insert(db, name, tables[name])
            _name_words(db, tables["tools"])
        # `domains` is looked up by host through its primary key (host, tool_id).
        for table, column in [*(("tools", c) for c in TOOL_INDEXES),
                              ("domains", "registrable_domain"), ("domains", "tool_id"),
                              ("assessments", "tool_id"), ("changes", "change")]:
            db[table].create_index([column])
        db["tools"].enable_fts(FTS_COLUMNS, fts_version="FTS5", tokenize=FTS_TOKENIZER)
        sha256 = content_sha256(db.conn)
        with db.atomic():
            _insert(db, "publication", [publication | {"sha256": sha256}])
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


def _insert(db: Database, table: str, records: list[dict]) -> None:
    """Insert rows with exactly the table's columns (twice as fast as `insert_all`)."""
    columns = db[table].columns_dict
    if records and set(records[0]) != set(columns):  # rows.py builds every row alike
        raise ValueError(f"{table}: rows have {sorted(records[0])}, the table {sorted(columns)}")
    sql = (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    db.conn.executemany(sql, ([row[c] for c in columns] for row in records))


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


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows cannot open a folder and needs none."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
