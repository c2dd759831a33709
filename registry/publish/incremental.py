"""The incremental publication: the next whitelist from the served one, rebuilding only what
changed since that one was built.

A whitelist is a function of the records, the policy and the day. The served file was built
from the records as they were at an audit event (recorded with its publication:
`publications.event_id`), with a policy, on a day. When it is in this code's format, the
policy is the same and the day not earlier, the next file differs from it only in:

- the tools whose records changed after that event: a tool's own events, every tool of a
  changed vendor, the tools an agreement or an assessment covered before or after its
  change, the tool of a changed board decision, every tool a changed board has a row for;
- the tools whose verdict, or a board's verdict on them, changes by itself by today
  (`verdict_changes_on`);
- the alternatives of the other tools, which follow the verdicts in their category;
- the changes of this publication, its lines in the histories and its `publication` row.

So `build` copies the served file, rebuilds those tools with the functions of the full
build (`rows`, `boards`), replaces their rows and entries in the indexes, updates the
alternatives that differ and hashes the whole content again. Another policy, a rollback
before it, a due publication of records as they were (changes waiting for approval) before
it, a file of another format, or `full=True` build in full. A test compares the content's
sha256 with a full rebuild's after random changes (`tests/test_incremental.py`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Collection, Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from registry.db import Registry
from registry.errors import Conflict
from registry.policy import Policy
from registry.publish import boards, rows, sqlfile
from registry.publish.history import changelog_entries
from registry.publish.record import content_sha256
from registry.store.records import CHUNK
from registry.verdict import VerdictCode
from registry.verdicts import Records, current_policy

Docs = list[dict[str, Any]]
TOUCHED: dict[str, tuple[str, Callable[[str, Docs], Iterable[str]]]] = {
    "tools": ("tools", lambda record_id, docs: [record_id]),
    "vendors": ("vendors", lambda record_id, docs: [record_id]),
    "agreements": ("tools", lambda record_id, docs: [t for d in docs for t in d.get("tool_ids")
                                                     or ()]),
    "assessments": ("tools", lambda record_id, docs: [d["tool_id"] for d in docs]),
    "board_decisions": ("tools", lambda record_id, docs: [d["tool_id"] for d in docs]),
    "boards": ("boards", lambda record_id, docs: [record_id]),
}
"""Per kind of record a whitelist is built from: what an event of it touches (tools,
vendors or boards) and which, from its record id and its documents before and after. An
event of any other of `BUILT_FROM` (the policy) means a full build."""
BUILT_FROM = (*TOUCHED, "policy")
PATCHED = {"tools", "tools_fts", "vendors", "domains", "assessments", "name_words", "changes",
           "changelog", "boards", "board_verdicts", "board_changelog", "publication"}
"""The tables the served file must have to be patched (else a full build makes them)."""


@dataclass
class Plan:
    """What the next publication rebuilds of the file served at version `base`."""

    base: int
    sha256: str
    policy: Policy
    tools: set[str]
    """The tools rebuilt (each as the full build would, or removed from the list)."""
    vendors: set[str]
    listed: int
    """The tools in the served file."""
    records: boards.WithBoards
    """The records of `tools` (and every board), read in the same snapshot as the plan."""


def plan(registry: Registry, out_path: Path, published: list[dict[str, Any]],
         today: dt.date, event_id: int) -> Plan | None:
    """The plan for the next publication, or None when it must be built in full. Called in
    the registry's read snapshot: `event_id` is its newest audit event."""
    latest = published[0] if published else {}
    if latest.get("event_id") is None or latest.get("restores_version") is not None:
        return None
    policy = current_policy(registry)
    try:
        with closing(_read_only(out_path)) as conn:
            head = _head(conn)
            if ((head["user_version"], head["version"], head["sha256"], head["policy_version"])
                    != (sqlfile.SCHEMA_VERSION, latest["version"], latest["sha256"],
                        policy.version) or head["evaluated_on"] > today.isoformat()
                    or not PATCHED <= head["tables"]):
                return None
            touched = _touched(registry, latest["event_id"], event_id)
            if touched is None:
                return None
            tools, vendors, board_ids = touched
            tools |= _served_tools(conn, vendors, board_ids, today)
            listed = conn.execute("SELECT count(*) FROM tools").fetchone()[0]
    except (OSError, sqlite3.DatabaseError):
        return None  # no file, or not a whitelist: a full build says what is wrong
    tools |= _registry_tools(registry, vendors, board_ids)
    return Plan(base=latest["version"], sha256=latest["sha256"], policy=policy, tools=tools,
                vendors=vendors, listed=listed, records=_records(registry, tools, vendors))


def _read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _head(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT version, sha256, policy_version, evaluated_on "
                       "FROM publication").fetchone()
    if row is None:
        raise sqlite3.DatabaseError("the file has no publication row")
    return dict(row) | {"user_version": conn.execute("PRAGMA user_version").fetchone()[0],
                        "tables": {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}}


def _touched(registry: Registry, since: int, until: int
             ) -> tuple[set[str], set[str], set[str]] | None:
    """(tools, vendors, boards) that events after `since` up to `until` changed; None when
    the policy changed."""
    found: dict[str, set[str]] = {"tools": set(), "vendors": set(), "boards": set()}
    marks = ", ".join("?" for _ in BUILT_FROM)
    for event in registry.store.rows(
            f"SELECT kind, record_id, before, after FROM events WHERE id > ? AND id <= ? "
            f"AND kind IN ({marks})", [since, until, *BUILT_FROM]):
        if event["kind"] not in TOUCHED:
            return None
        what, ids = TOUCHED[event["kind"]]
        docs = [json.loads(d) for d in (event["before"], event["after"]) if d]
        found[what].update(ids(event["record_id"], [d for d in docs if d]))
    return found["tools"], found["vendors"], found["boards"]


def _chunks(ids: Collection[str]) -> Iterable[list[str]]:
    ordered = sorted(ids)
    return (ordered[i:i + CHUNK] for i in range(0, len(ordered), CHUNK))


def _ids_where(conn, sql: str, ids: Collection[str], *params) -> set[str]:
    """The first column of `sql` (its `{}` replaced by the marks) for each chunk of `ids`."""
    out = set()
    for chunk in _chunks(ids):
        out |= {row[0] for row in conn.execute(sql.format(", ".join("?" * len(chunk))),
                                               [*chunk, *params])}
    return out


def _served_tools(conn: sqlite3.Connection, vendors: set[str], board_ids: set[str],
                  today: dt.date) -> set[str]:
    """The tools of the served file a change or the day touches: those of the changed
    vendors, those with a row of a changed board, and those whose verdict (or a board's)
    changes by itself by `today`. That day is the first on which anything the verdict
    reads of the date changes, an agreement's expiry (and so its status) too."""
    day = today.isoformat()
    found = {row[0] for row in conn.execute(
        "SELECT id FROM tools WHERE verdict_changes_on <= ? UNION SELECT tool_id "
        "FROM board_verdicts WHERE verdict_changes_on <= ?", [day, day])}
    found |= _ids_where(conn, "SELECT id FROM tools WHERE vendor_id IN ({})", vendors)
    return found | _ids_where(conn, "SELECT tool_id FROM board_verdicts WHERE board_id IN ({})",
                              board_ids)


def _registry_tools(registry: Registry, vendors: set[str], board_ids: set[str]) -> set[str]:
    """The tools of the changed vendors, and those a changed board decided on or has an
    agreement for, as the registry has them now."""
    conn = registry.store.conn
    return (_ids_where(conn, "SELECT id FROM tools WHERE vendor_id IN ({})", vendors)
            | _ids_where(conn, "SELECT tool_id FROM board_decisions WHERE board_id IN ({})",
                         board_ids)
            | _ids_where(conn, "SELECT t.tool_id FROM agreement_tools t JOIN agreements a ON "
                         "a.id = t.agreement_id WHERE a.party IN ({})", board_ids))


def _records(registry: Registry, ids: set[str], vendor_ids: set[str]) -> boards.WithBoards:
    """The records of the tools `ids` as `Records.load` has them: live tools, their vendors
    (archived ones too), their live agreements and assessments by id; the vendors
    `vendor_ids` too, and every board."""
    conn = registry.store.conn
    tools = {i: t for i, t in sorted(registry.records_by_id("tools", ids).items())
             if t.archived_at is None}
    agreement_ids = _ids_where(conn, "SELECT agreement_id FROM agreement_tools "
                                     "WHERE tool_id IN ({})", tools)
    assessment_ids = _ids_where(conn, "SELECT id FROM assessments WHERE tool_id IN ({})", tools)
    agreements: dict[str, list] = {}
    for agreement in _live(registry, "agreements", agreement_ids):
        for tool_id in agreement.tool_ids:
            agreements.setdefault(tool_id, []).append(agreement)
    assessments: dict[str, list] = {}
    for assessment in _live(registry, "assessments", assessment_ids):
        assessments.setdefault(assessment.tool_id, []).append(assessment)
    vendors = registry.records_by_id("vendors",
                                     {t.vendor_id for t in tools.values()} | vendor_ids)
    return boards.with_boards(Records(tools, vendors, agreements, assessments),
                              boards.BoardRecords.load(registry))


def _live(registry: Registry, kind: str, ids: set[str]) -> list:
    found = registry.records_by_id(kind, ids)
    return [found[i] for i in sorted(found) if found[i].archived_at is None]


# --- the new file ----------------------------------------------------------------------------


def build(plan: Plan, out_path: Path, ready: Path, today: dt.date, head: dict[str, Any]
          ) -> dict[str, Any]:
    """Copy the file served at `out_path` to `ready` and make it the next publication
    (`head`: its version, published_at and evaluated_on); return its `publication` row
    (counts and changes decoded). Checked and flushed to disk as a full build's."""
    shutil.copyfile(out_path, ready)
    db = Database(ready)
    try:
        conn = db.conn
        conn.execute("PRAGMA journal_mode = OFF")  # a scratch copy until it is checked
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA foreign_keys = OFF")  # checked on the whole file below
        conn.row_factory = sqlite3.Row
        copied = _head(conn)
        if (copied["version"], copied["sha256"]) != (plan.base, plan.sha256):
            raise Conflict(f"Version {copied['version']} of the whitelist was published "
                           "while this one was being built; publish again to include it.")
        with db.atomic():
            changes, counts = _patch(db, plan, today, head)
        row = head | {"policy_version": plan.policy.version, "previous_version": plan.base,
                      "counts": counts, "changes": changes, "restores_version": None}
        # SQLite checks the whole file without holding the GIL while the content is hashed:
        # on two cores the two take about the time of the longer one.
        with ThreadPoolExecutor(1) as pool:
            checked = pool.submit(sqlfile.check_integrity, ready)
            row["sha256"] = content_sha256(conn)
            checked.result()
        with db.atomic():
            conn.execute("DELETE FROM publication")
            sqlfile.insert(db, "publication", [row | {
                "counts": rows.to_json(counts), "changes": rows.to_json(changes)}])
    finally:
        db.close()
    sqlfile.check(ready, integrity=False)
    return row


def _patch(db: Database, plan: Plan, today: dt.date, head: dict[str, Any]
           ) -> tuple[dict[str, Any], dict[str, int]]:
    """Replace the rows of the rebuilt tools, their vendors and boards; return the summary
    of the changes and the counts."""
    conn, records, policy = db.conn, plan.records, plan.policy
    conn.execute("CREATE TEMP TABLE rebuilt (id TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO rebuilt VALUES (?)", [(i,) for i in sorted(plan.tools)])
    before = {r["id"]: dict(r) for r in conn.execute(
        "SELECT id, name, verdict, verdict_label, reasons, level_codes FROM tools "
        "WHERE id IN (SELECT id FROM rebuilt)")}
    listed = rows.listed_tools(records)
    judged = {i: records.verdict_and_following(t, policy, today) for i, t in listed.items()}
    options, updated = _alternatives(conn, listed, judged)
    tables = rows.tool_tables(records, listed, judged, policy, today, options)
    tools = tables["tools"]
    _replace_tools(db, tools, tables["domains"], tables["assessments"])
    conn.executemany("UPDATE tools SET alternatives = ? WHERE id = ?", updated)
    _replace_vendors(db, records, plan.vendors)
    changes = rows.change_rows(before, tools)
    levels = {i: r["level_codes"] for i, r in before.items()}
    levels |= {t["id"]: t["level_codes"] for t in tools}
    conn.execute("DELETE FROM changes")
    sqlfile.insert(db, "changes", changes)
    sqlfile.insert(db, "changelog", changelog_entries(changes, levels, head["version"],
                                                      head["published_at"]))
    _replace_boards(db, records, policy, today, {i: v for i, (v, _) in judged.items()},
                    levels, head)
    return rows.change_summary(changes, plan.base), _counts(conn)


def _alternatives(conn: sqlite3.Connection, listed: dict, judged: dict
                  ) -> tuple[dict[str, list[dict]], list[tuple[str | None, str]]]:
    """The alternatives of the rebuilt tools, and (alternatives, id) of each kept tool whose
    alternatives change. Those follow the allowed tools of their category, so only the
    categories where a rebuilt tool's place among them changed are worked out again."""
    codes = {code.value: code for code in VerdictCode}
    levels: dict[str, tuple[str, ...]] = {}
    name_keys = dict(conn.execute("SELECT rowid, name_key FROM tools"))  # from its index
    was = {}
    for rowid, tool_id, name, category, level_codes, verdict in conn.execute(
            "SELECT rowid, id, name, category, level_codes, verdict FROM tools"):
        if level_codes not in levels:
            levels[level_codes] = tuple(json.loads(level_codes))
        was[tool_id] = (name, name_keys[rowid], category, levels[level_codes], codes[verdict])
    rebuilt = {r[0] for r in conn.execute("SELECT id FROM rebuilt")}
    now = {i: p for i, p in was.items() if i not in rebuilt}
    now |= {i: rows.place(t, judged[i][0]) for i, t in listed.items()}
    touched = sorted({p[2] for i in rebuilt if was.get(i) != now.get(i)
                      for p in (was.get(i), now.get(i)) if p and p[4] in rows.ALLOWED})
    stored = dict(conn.execute(
        f"SELECT id, alternatives FROM tools WHERE category IN ({', '.join('?' * len(touched))}) "
        "AND id NOT IN (SELECT id FROM rebuilt)", touched)) if touched else {}
    options = rows.alternatives(now, only=set(listed) | set(stored))
    updated = []
    for tool_id, published in stored.items():
        found = options.get(tool_id)
        if (found := None if found is None else rows.compact_json(found)) != published:
            updated.append((found, tool_id))
    return options, updated


def _replace_tools(db: Database, tools: list[dict], domains: list[dict],
                   assessments: list[dict]) -> None:
    """The rows of the rebuilt tools, their domains, assessments, name words and entries in
    the full-text index, in place of the published ones. A tool still listed keeps its
    rowid, so the order of equally ranked search results stays as it was."""
    conn = db.conn
    columns = ", ".join(f"[{c}]" for c in sqlfile.FTS_COLUMNS)
    conn.execute(f"INSERT INTO tools_fts (tools_fts, rowid, {columns}) SELECT 'delete', "
                 f"rowid, {columns} FROM tools WHERE id IN (SELECT id FROM rebuilt)")
    for table in ("domains", "assessments", "name_words"):
        conn.execute(f"DELETE FROM [{table}] WHERE tool_id IN (SELECT id FROM rebuilt)")
    kept = {r[0] for r in conn.execute("SELECT id FROM tools WHERE id IN (SELECT id FROM rebuilt)")}
    listed = {t["id"] for t in tools}
    conn.executemany("DELETE FROM tools WHERE id = ?", [(i,) for i in sorted(kept - listed)])
    names = [c for c in rows.TOOL_COLUMNS if c != "id"]
    conn.executemany(
        f"UPDATE tools SET {', '.join(f'[{c}] = ?' for c in names)} WHERE id = ?",
        [[t[c] for c in names] + [t["id"]] for t in tools if t["id"] in kept])
    sqlfile.insert(db, "tools", [t for t in tools if t["id"] not in kept])
    conn.execute(f"INSERT INTO tools_fts (rowid, {columns}) SELECT rowid, {columns} "
                 "FROM tools WHERE id IN (SELECT id FROM rebuilt)")
    sqlfile.insert(db, "domains", domains)
    sqlfile.insert(db, "assessments", assessments)
    sqlfile.add_name_words(conn, tools)


def _replace_vendors(db: Database, records: Records, vendor_ids: set[str]) -> None:
    """The rows of the changed vendors: gone when archived."""
    db.conn.executemany("DELETE FROM vendors WHERE id = ?", [(v,) for v in sorted(vendor_ids)])
    sqlfile.insert(db, "vendors", [rows.vendor_row(records.vendors[v]) for v in sorted(vendor_ids)
                                   if v in records.vendors
                                   and records.vendors[v].archived_at is None])


def _replace_boards(db: Database, records: boards.WithBoards, policy: Policy, today: dt.date,
                    verdicts: dict, levels: dict[str, str], head: dict[str, Any]) -> None:
    """Every board's row, and the board rows of the rebuilt tools; their changes go into
    the board history."""
    conn = db.conn
    previous = {(r["board_id"], r["tool_id"]): dict(r) for r in conn.execute(
        "SELECT board_id, tool_id, board_name, tool_name, decision, decision_label, verdict, "
        "verdict_label, conditions FROM board_verdicts WHERE tool_id IN (SELECT id FROM rebuilt)")}
    tables = boards.tables(records, policy, today, verdicts)
    conn.execute("DELETE FROM boards")
    sqlfile.insert(db, "boards", tables["boards"])
    conn.execute("DELETE FROM board_verdicts WHERE tool_id IN (SELECT id FROM rebuilt)")
    sqlfile.insert(db, "board_verdicts", tables["board_verdicts"])
    changes = boards.change_rows(previous, tables["board_verdicts"])
    sqlfile.insert(db, "board_changelog", boards.changelog_rows(
        [], changes, levels, head["version"], head["published_at"]))


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    """The counts of the `publication` row, as the full build makes them."""
    return rows.publication_counts(
        {name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]
         for name in rows.COUNTED},
        dict(conn.execute("SELECT verdict, count(*) FROM tools GROUP BY verdict")))
