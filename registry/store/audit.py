"""The audit log: every change is an event, appended, never edited, chained by hash.

An event's hash covers its content and the previous event's hash, so `verify_events` finds
an event that was edited, removed or moved, even with the triggers that refuse it dropped.
The chain alone cannot tell that its last events were cut off, nor see a row edited behind
its back: `verify_rows` anchors it in the rows themselves, each of which must equal what its
last event says it became.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import msgspec

from registry import models
from registry.store.rows import META_FIELDS, json_text, now, to_builtins

GENESIS_HASH = "0" * 64
AUDITED_KINDS = ("vendors", "tools", "agreements", "assessments")
"""Records whose every version is an event (review requests are created anonymously and
counted without one; only procurement's changes to them are events)."""
REVIEW_FIELDS = ("version", "status", "tool_id")
UNHANDLED_REVIEW = {"version": 1, "status": "open", "tool_id": None}


def event_row(action, kind, record_id, version, before_doc, after_doc, actor, source,
              prev_hash: str, at: str) -> dict[str, Any]:
    """One audit event as its row; its hash covers `prev_hash`, the previous event's (a chain)."""
    before, after = before_doc or {}, after_doc or {}
    if not before:  # a new record: every field that is set (the same, cheaper in bulk)
        changed = sorted(k for k, v in after.items() if v is not None and k not in META_FIELDS)
    else:
        changed = sorted(k for k in (after or before)
                         if k not in META_FIELDS and before.get(k) != after.get(k))
    if action == "archive":
        changed = ["archived_at"]
    event = {
        "at": at,
        "actor": actor,
        "action": action,
        "kind": kind,
        "record_id": record_id,
        "version": version,
        "changed": changed,
        "before": before_doc,
        "after": after_doc,
        "source": source,
        "prev_hash": prev_hash,
    }
    event["hash"] = event_hash(event)
    return {k: json_text(v) if k in ("changed", "before", "after") else v for k, v in event.items()}


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in ("id", "hash")}
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


class AuditLog:
    """`Registry`'s audit log."""

    def _event(self, action, kind, record, before, actor, source) -> None:
        after_doc = None if record is None else to_builtins(record)
        before_doc = None if before is None else to_builtins(before)
        self._log(action, kind, record.id, record.version, before_doc, after_doc, actor, source)

    def _last_hash(self) -> str:
        prev = self._rows("SELECT hash FROM events ORDER BY id DESC LIMIT 1")
        return prev[0]["hash"] if prev else GENESIS_HASH

    def _log(self, action, kind, record_id, version, before_doc, after_doc, actor, source):
        """Append one event; its hash covers the previous event's hash (a chain)."""
        self._insert("events", event_row(action, kind, record_id, version, before_doc,
                                          after_doc, actor, source, self._last_hash(), now()))

    def history(self, kind: str, record_id: str) -> list[models.Event]:
        self.get(kind, record_id)
        return self.events("kind = ? AND record_id = ?", [kind, record_id])

    def events(self, where: str = "1", params: list | None = None) -> list[models.Event]:
        out = []
        for row in self._rows(f"SELECT * FROM events WHERE {where} ORDER BY id", params or []):
            row.pop("prev_hash")
            for k in ("changed", "before", "after"):
                row[k] = json.loads(row[k]) if row[k] is not None else None
            out.append(msgspec.convert({k: v for k, v in row.items() if v is not None},
                                       models.Event))
        return out

    def verify_events(self) -> list[str]:
        """Recompute the hash chain; return one line per event that was edited or removed."""
        problems, prev = [], GENESIS_HASH
        for row in self._rows("SELECT * FROM events ORDER BY id"):
            stored = row.pop("hash")
            event = {k: json.loads(v) if k in ("changed", "before", "after") and v else v
                     for k, v in row.items() if k != "id"}
            if row["prev_hash"] != prev:
                problems.append(f"event {row['id']}: the chain breaks before it (removed or reordered)")
            if event_hash(event) != stored:
                problems.append(f"event {row['id']}: its content does not match its hash (edited)")
            prev = stored
        return problems

    def verify_rows(self) -> list[str]:
        """One line per row that is not what its last event says it became: a row edited
        outside the registry, or an event removed from the end of a record's history (the
        chain cannot see that the newest events are gone)."""
        last = {(r["kind"], r["record_id"]): r for r in self._rows(
            "SELECT kind, record_id, version, after FROM events WHERE id IN "
            "(SELECT max(id) FROM events GROUP BY kind, record_id)")}
        problems = []
        for kind in AUDITED_KINDS:
            for record in self.all(kind, include_archived=True):
                event = last.get((kind, record.id))
                if event is None:
                    problems.append(f"{kind} {record.id}: no event records it (written outside "
                                    "the registry, or its events were removed)")
                elif _bare(to_builtins(record)) != _bare(json.loads(event["after"] or "{}")):
                    problems.append(f"{kind} {record.id}: the row is not what its last event "
                                    f"(version {event['version']}) says (edited outside the "
                                    "registry, or later events were removed)")
        for row in self._rows("SELECT id, version, status, tool_id FROM review_requests"):
            event = last.get(("review_requests", row["id"]))
            # Without an event a request is as a teacher left it: version 1, open, unlinked.
            after = json.loads(event["after"] or "{}") if event else UNHANDLED_REVIEW
            if any(after.get(name) != row[name] for name in REVIEW_FIELDS):
                problems.append(f"review request {row['id']}: the row is not what its last "
                                "event says (edited outside the registry, or events removed)")
        for kind, sql in (("publication", "SELECT CAST(version AS TEXT) AS id FROM publications"),
                          ("policy", "SELECT version AS id FROM policies")):
            for row in self._rows(sql):
                if (kind, row["id"]) not in last:
                    problems.append(f"{kind} {row['id']}: no event records it (written outside "
                                    "the registry, or its event was removed)")
        return problems


def _bare(doc: dict[str, Any]) -> dict[str, Any]:
    """A record's fields without the unset ones (imports write them as null, `create` not)."""
    return {k: v for k, v in doc.items() if v is not None and v != []}
