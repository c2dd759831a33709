"""Versions of the minimum standards: each kept, each change audited."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from registry.errors import Conflict, PreconditionFailed
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.rows import now


class Policies:
    """The registry's policy versions; `registry.verdicts.current_policy` reads the latest."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit

    def documents(self) -> list[dict[str, Any]]:
        """Every stored policy version, oldest first, with its document as builtins."""
        rows = list(self.store.db["policies"].rows_where(order_by="rowid"))
        return [row | {"document": json.loads(row["document"])} for row in rows]

    def save(
        self, document: dict[str, Any], actor: str, expected_version: Collection[str] | None
    ) -> None:
        """Store a new policy version; the previous ones are kept. `expected_version` is the
        version the change was based on (None: any); the new version must be new."""
        version = document["version"]
        with self.store.write() as db:
            current = list(db["policies"].rows_where(order_by="rowid DESC", limit=1))
            current_version = current[0]["version"] if current else None
            if expected_version is not None and current_version not in expected_version:
                raise PreconditionFailed(
                    f"The policy is at version {current_version}, not the one in If-Match: "
                    "someone changed it. Read it again and redo your change."
                )
            if db["policies"].count_where("version = ?", [version]):
                raise Conflict(
                    f"Policy version {version} exists already; versions are never reused. "
                    "Give the new policy a new version."
                )
            db["policies"].insert({
                "version": version,
                "effective_on": document["effective_on"],
                "document": json.dumps(document, ensure_ascii=False),
                "created_at": now(),
                "actor": actor,
            })
            self.audit.append(
                "replace_policy", "policy", version, db["policies"].count,
                json.loads(current[0]["document"]) if current else None, document, actor, None,
            )
