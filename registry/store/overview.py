"""Read-only questions the back office's overview asks, each answered by one or two queries.

What a record's change can do to a verdict follows from the kinds' declared references
(`registry.store.kinds`): a tool's own events, the events of records that name tools (an
agreement's `tool_ids`, an assessment's `tool_id`, before and after the change) and the
events of records that tools name (a vendor: all its tools).
"""

from __future__ import annotations

from typing import Any

from registry.store.connection import Store
from registry.store.kinds import KINDS

TOOLS = KINDS["tools"]
PUBLICATION_KIND = "publication"  # as `Publications.record` writes its event


def last_event_id(store: Store) -> int:
    """The id of the newest audit event; 0 for an empty log."""
    return store.rows("SELECT coalesce(max(id), 0) AS id FROM events")[0]["id"]


def publication_event_id(store: Store, version: int) -> int | None:
    """The id of the event that recorded publication `version`, if there is one."""
    rows = store.rows("SELECT min(id) AS id FROM events WHERE kind = ? AND record_id = ?",
                      [PUBLICATION_KIND, str(version)])
    return rows[0]["id"]


def _touched_queries() -> list[tuple[str, list]]:
    """(SELECT of tool ids, its kind) for every way an event can be about a tool. `+kind`
    keeps SQLite on the range of event ids: the index on (kind, record_id) would visit every
    event of the kind ever written (40 ms at 100,000 tools, for none since)."""
    recent = "events.id > ? AND +events.kind = ?"
    parts = [(f"SELECT record_id AS tool_id FROM events WHERE {recent}", TOOLS.name)]
    for kind in KINDS.values():
        for ref in kind.references:
            if ref.target != TOOLS.name:
                continue
            for side in ("before", "after"):
                if ref.many:
                    parts.append((f"SELECT j.value FROM events, json_each(events.{side}, "
                                  f"'$.{ref.field}') AS j WHERE {recent}", kind.name))
                else:
                    parts.append((f"SELECT json_extract({side}, '$.{ref.field}') FROM events "
                                  f"WHERE {recent}", kind.name))
    for ref in TOOLS.references:  # a vendor's change concerns each of its tools
        parts.append((f"SELECT t.id FROM events CROSS JOIN [{TOOLS.table}] AS t "
                      f"ON t.[{ref.field}] = events.record_id WHERE {recent}", ref.target))
    return parts


_TOUCHED = _touched_queries()


def tools_touched_since(store: Store, event_id: int) -> set[str]:
    """Every tool whose verdict an event after `event_id` may have changed."""
    sql = " UNION ".join(select for select, _ in _TOUCHED)
    params = [value for _, kind in _TOUCHED for value in (event_id, kind)]
    return {row["tool_id"] for row in store.rows(f"SELECT * FROM ({sql})", params)
            if row["tool_id"] is not None}


def live_tools_of_archived_vendors(store: Store) -> list[str]:
    """Tools that are not archived themselves but whose vendor is: on no whitelist."""
    return [row["id"] for row in store.rows(
        "SELECT id FROM tools WHERE archived_at IS NULL AND vendor_id IN "
        "(SELECT id FROM vendors WHERE archived_at IS NOT NULL) ORDER BY id")]


def live_tool_count(store: Store) -> int:
    return store.rows("SELECT count(*) AS n FROM tools WHERE archived_at IS NULL")[0]["n"]


def signed_agreements_ending(store: Store, first: str, last: str) -> list[dict[str, Any]]:
    """Live signed agreements that cover a tool and whose `expires_on` lies in [first, last]
    (ISO dates): id, vendor_id, expires_on."""
    return store.rows(
        "SELECT a.id, a.vendor_id, a.expires_on FROM agreements AS a "
        "WHERE a.archived_at IS NULL AND a.status = 'signed' AND a.expires_on BETWEEN ? AND ? "
        "AND EXISTS (SELECT 1 FROM agreement_tools AS at WHERE at.agreement_id = a.id)",
        [first, last])


def final_assessments_ending(store: Store, first: str, last: str, assessed_first: str,
                             assessed_last: str) -> list[dict[str, Any]]:
    """Live final assessments whose `valid_until` lies in [first, last] or whose
    `assessed_on` lies in [assessed_first, assessed_last] (ISO dates): the candidates whose
    last valid day may fall in the window (id, tool_id, kind, assessed_on, valid_until).
    The caller decides."""
    return store.rows(
        "SELECT id, tool_id, kind, assessed_on, valid_until FROM assessments "
        "WHERE archived_at IS NULL AND status = 'final' "
        "AND (valid_until BETWEEN ? AND ? OR assessed_on BETWEEN ? AND ?)",
        [first, last, assessed_first, assessed_last])


def names(store: Store, table: str, ids: list[str]) -> dict[str, str]:
    """The `name` of each record of `table` (vendors, tools) with one of `ids`."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    return {row["id"]: row["name"] for row in store.rows(
        f"SELECT id, name FROM [{table}] WHERE id IN ({marks})", ids)}


def tools_of_agreements(store: Store, agreement_ids: list[str]) -> dict[str, list[str]]:
    """The names of each agreement's tools, in the agreement's order."""
    out: dict[str, list[str]] = {i: [] for i in agreement_ids}
    if not agreement_ids:
        return out
    marks = ", ".join("?" for _ in agreement_ids)
    for row in store.rows(
            "SELECT at.agreement_id, t.name FROM agreement_tools AS at CROSS JOIN tools AS t "
            f"ON t.id = at.tool_id WHERE at.agreement_id IN ({marks}) ORDER BY at.rowid",
            agreement_ids):
        out[row["agreement_id"]].append(row["name"])
    return out


def ids_naming_tools(store: Store, tool_ids: list[str], chunk: int = 500
                     ) -> dict[str, list[tuple[str, str]]]:
    """Per kind that names tools (agreements, assessments): (record id, tool id) of each live
    record naming one of `tool_ids`, a few hundred tools per query."""
    out: dict[str, list[tuple[str, str]]] = {}
    for kind in KINDS.values():
        for ref in kind.references:
            if ref.target != TOOLS.name:
                continue
            link = next((link for link in kind.links if link.field == ref.field), None)
            if link is not None:
                sql = (f"SELECT l.[{link.owner}] AS record_id, l.[{link.item}] AS tool_id "
                       f"FROM [{link.table}] AS l JOIN [{kind.table}] AS r "
                       f"ON r.id = l.[{link.owner}] WHERE r.archived_at IS NULL "
                       f"AND l.[{link.item}] IN ({{marks}}) ORDER BY l.rowid")
            else:
                sql = (f"SELECT id AS record_id, [{ref.field}] AS tool_id FROM [{kind.table}] "
                       f"WHERE archived_at IS NULL AND [{ref.field}] IN ({{marks}}) ORDER BY id")
            pairs = out.setdefault(kind.name, [])
            for start in range(0, len(tool_ids), chunk):
                part = tool_ids[start:start + chunk]
                pairs += [(row["record_id"], row["tool_id"]) for row in store.rows(
                    sql.format(marks=", ".join("?" for _ in part)), part)]
    return out
