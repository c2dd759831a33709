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
from registry.errors import NotFound
from registry.store.connection import Store
from registry.store.kinds import KINDS
from registry.store.records import read_all
from registry.store.rows import META_FIELDS, now, to_builtins

GENESIS_HASH = "0" * 64
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
    if action in ("archive", "restore"):
        changed = ["archived_at"]
    # Each nested part is encoded once, keys sorted: the same text is stored and is embedded
    # (as msgspec.Raw) in the sorted encoding that is hashed, which `event_hash` reproduces.
    parts = {name: msgspec.json.encode(value, order="sorted")
             for name, value in (("changed", changed), ("before", before_doc),
                                 ("after", after_doc))}
    event = {"at": at, "actor": actor, "action": action, "kind": kind, "record_id": record_id,
             "version": version, "source": source, "prev_hash": prev_hash}
    digest = hashlib.sha256(msgspec.json.encode(
        {**event, **{name: msgspec.Raw(text) for name, text in parts.items()}},
        order="sorted")).hexdigest()
    event.update({name: text.decode() for name, text in parts.items()}, hash=digest)
    return event


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in ("id", "hash")}
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


class AuditLog:
    """The registry's audit log. Records whose every version is an event: `KINDS` (review
    requests are created anonymously and counted without one; only procurement's changes to
    them are events), policies and publications."""

    def __init__(self, store: Store):
        self.store = store

    def record(self, action: str, kind: str, record, before, actor: str,
               source: str | None) -> None:
        """Append the event of a record's change: `before` and `record` as they are stored."""
        after_doc = None if record is None else to_builtins(record)
        before_doc = None if before is None else to_builtins(before)
        self.append(action, kind, record.id, record.version, before_doc, after_doc, actor, source)

    def last_hash(self) -> str:
        prev = self.store.rows("SELECT hash FROM events ORDER BY id DESC LIMIT 1")
        return prev[0]["hash"] if prev else GENESIS_HASH

    def append(self, action, kind, record_id, version, before_doc, after_doc, actor, source):
        """Append one event; its hash covers the previous event's hash (a chain). Inside the
        caller's write, so a change and its event commit together."""
        self.store.insert_many("events", [event_row(
            action, kind, record_id, version, before_doc, after_doc, actor, source,
            self.last_hash(), now())])

    def history(self, kind: str, record_id: str) -> list[models.Event]:
        """The events of one record, oldest first."""
        if not self.store.db[KINDS[kind].table].count_where("id = ?", [record_id]):
            raise NotFound(KINDS[kind].singular, record_id)
        return self.events("kind = ? AND record_id = ?", [kind, record_id])

    def since(self, kind: str, record_id: str, version: int) -> list[models.Event]:
        """The events of one record that made it newer than `version`, oldest first: what
        others changed since someone read it at that version."""
        return self.events("kind = ? AND record_id = ? AND version > ?", [kind, record_id,
                                                                         version])

    def events(self, where: str | None = None, params: list | None = None
               ) -> list[models.Event]:
        """The events that match an SQL condition (all of them: None), oldest first."""
        out = []
        for row in list(self.store.db["events"].rows_where(where, params, order_by="id")):
            row.pop("prev_hash")
            for k in ("changed", "before", "after"):
                row[k] = json.loads(row[k]) if row[k] is not None else None
            out.append(msgspec.convert({k: v for k, v in row.items() if v is not None},
                                       models.Event))
        return out

    def verify_events(self) -> list[str]:
        """Recompute the hash chain; return one line per event that was edited or removed."""
        problems, prev = [], GENESIS_HASH
        for row in list(self.store.db["events"].rows_where(order_by="id")):
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
        last = {(r["kind"], r["record_id"]): r for r in self.store.rows(
            "SELECT kind, record_id, version, after FROM events WHERE id IN "
            "(SELECT max(id) FROM events GROUP BY kind, record_id)")}
        problems = []
        for kind in KINDS.values():
            for record in read_all(self.store, kind, include_archived=True):
                event = last.get((kind.name, record.id))
                if event is None:
                    problems.append(f"{kind.name} {record.id}: no event records it (written "
                                    "outside the registry, or its events were removed)")
                elif _bare(to_builtins(record)) != _bare(json.loads(event["after"] or "{}")):
                    problems.append(f"{kind.name} {record.id}: the row is not what its last "
                                    f"event (version {event['version']}) says (edited outside "
                                    "the registry, or later events were removed)")
        for row in list(self.store.db["review_requests"].rows_where(
                select="id, version, status, tool_id")):
            event = last.get(("review_requests", row["id"]))
            # Without an event a request is as a teacher left it: version 1, open, unlinked.
            after = json.loads(event["after"] or "{}") if event else UNHANDLED_REVIEW
            if any(after.get(name) != row[name] for name in REVIEW_FIELDS):
                problems.append(f"review request {row['id']}: the row is not what its last "
                                "event says (edited outside the registry, or events removed)")
        for kind, sql in (("publication", "SELECT CAST(version AS TEXT) AS id FROM publications"),
                          ("policy", "SELECT version AS id FROM policies")):
            for row in self.store.rows(sql):
                if (kind, row["id"]) not in last:
                    problems.append(f"{kind} {row['id']}: no event records it (written outside "
                                    "the registry, or its event was removed)")
        return problems


def _bare(doc: dict[str, Any]) -> dict[str, Any]:
    """A record's fields without the unset ones (imports write them as null, `create` not)."""
    return {k: v for k, v in doc.items() if v is not None and v != []}
