"""The record of each published whitelist (`registry.publish` builds the file itself), and
the publications and policies prepared for a second publisher's approval (`prepared`)."""

from __future__ import annotations

import json
from typing import Any

from registry.errors import Conflict
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.rows import now


class Publications:
    """The registry's record of its publications."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit
        self.prepared = Preparations(store, audit)

    def all(self) -> list[dict[str, Any]]:
        """Every recorded publication, newest first, with `counts` and `changes` decoded."""
        rows = list(self.store.db["publications"].rows_where(order_by="version DESC"))
        return [row | {"counts": json.loads(row["counts"]), "changes": json.loads(row["changes"])}
                for row in rows]

    def record(self, publication: dict[str, Any], actor: str) -> None:
        """Record a publication and its audit event; its version must follow the latest."""
        with self.store.write() as db:
            latest = db.execute("SELECT max(version) FROM publications").fetchone()[0] or 0
            if publication["version"] != latest + 1:
                raise Conflict(
                    f"Version {latest} of the whitelist was published while this one was being "
                    "built; publish again to include it."
                )
            db["publications"].insert({
                **publication,
                "counts": json.dumps(publication["counts"], ensure_ascii=False),
                "changes": json.dumps(publication["changes"], ensure_ascii=False),
                "actor": actor,
            })
            self.audit.append("create", "publication", str(publication["version"]), 1, None,
                              publication, actor, None)


RECORD_EVENT_KINDS = ("vendors", "tools", "agreements", "assessments", "policy")
"""The audit kinds whose events change what a publication would hold: the records a verdict
reads (`registry.store.kinds.KINDS`) and the policy. Review requests, accounts, sessions and
publications themselves do not (a publication in between changes the base version)."""


class Preparations:
    """Publications and policies prepared by one publisher, waiting for another's approval
    (four eyes): the table `prepared`. At most one is pending per kind: a newer preparation
    supersedes the older ones. Each change is an audit event of kind `prepared`."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit

    def get(self, prepared_id: str) -> dict[str, Any] | None:
        rows = self.store.rows("SELECT * FROM prepared WHERE id = ?", [prepared_id])
        return rows[0] if rows else None

    def list(self, kind: str, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The preparations of `kind` (with `status`, None: any), newest first."""
        where, params = "kind = ?", [kind]
        if status is not None:
            where, params = where + " AND status = ?", [*params, status]
        return self.store.rows(f"SELECT * FROM prepared WHERE {where} "
                               "ORDER BY prepared_at DESC, rowid DESC LIMIT ?", [*params, limit])

    def add(self, row: dict[str, Any], actor: str) -> list[dict[str, Any]]:
        """Record a new preparation (status 'prepared'); the pending ones of its kind become
        'superseded'. Returns those it superseded (their files are the caller's to remove)."""
        with self.store.write() as db:
            superseded = self.list(row["kind"], PENDING, limit=1000)
            for old in superseded:
                self._decide(old, "superseded", actor, None)
            db["prepared"].insert({**row, "status": PENDING, "prepared_by": actor})
            self.audit.append("create", "prepared", row["id"], 1, None,
                              _audited(self.get(row["id"])), actor, None)
        return superseded

    def decide(self, prepared_id: str, status: str, actor: str, note: str | None = None
               ) -> dict[str, Any]:
        """Set a pending preparation's status ('approved', 'withdrawn'); inside the caller's
        write when it has one, so an approval commits with what it approved."""
        with self.store.write():
            row = self.get(prepared_id)
            if row is None or row["status"] != PENDING:
                raise Conflict(f"Preparation {prepared_id} is not pending (it is "
                               f"{row['status'] if row else 'gone'}).")
            return self._decide(row, status, actor, note)

    def _decide(self, row: dict[str, Any], status: str, actor: str, note: str | None
                ) -> dict[str, Any]:
        after = {**row, "status": status, "decided_by": actor, "decided_at": now(), "note": note}
        self.store.db["prepared"].update(row["id"], {k: after[k] for k in (
            "status", "decided_by", "decided_at", "note")})
        self.audit.append("update", "prepared", row["id"], 2, _audited(row), _audited(after),
                          actor, None)
        return after

    def changes_since(self, event_id: int) -> list[str]:
        """The kinds of record (and 'policy') changed by an audit event after `event_id`."""
        marks = ", ".join("?" for _ in RECORD_EVENT_KINDS)
        return [row["kind"] for row in self.store.rows(
            f"SELECT DISTINCT kind FROM events WHERE id > ? AND kind IN ({marks}) "
            "ORDER BY kind", [event_id, *RECORD_EVENT_KINDS])]


PENDING = "prepared"


def _audited(row: dict[str, Any]) -> dict[str, Any]:
    """A preparation as its audit event keeps it: without the (long) change list."""
    return {k: v for k, v in row.items() if k not in ("summary", "document")}
