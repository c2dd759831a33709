"""Versions of the minimum standards: each kept, each change audited."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from registry.errors import Conflict, PreconditionFailed
from registry.store.rows import now


class PolicyStore:
    """`Registry`'s policies."""

    def policy_documents(self) -> list[dict[str, Any]]:
        """Every stored policy version, oldest first, with its document as builtins."""
        rows = self._rows("SELECT * FROM policies ORDER BY rowid")
        return [row | {"document": json.loads(row["document"])} for row in rows]

    def save_policy(
        self, document: dict[str, Any], actor: str, expected_version: Collection[str] | None
    ) -> None:
        """Store a new policy version; the previous ones are kept. `expected_version` is the
        version the change was based on (None: any); the new version must be new."""
        version = document["version"]
        with self.write():
            current = self._rows("SELECT version FROM policies ORDER BY rowid DESC LIMIT 1")
            current_version = current[0]["version"] if current else None
            if expected_version is not None and current_version not in expected_version:
                raise PreconditionFailed(
                    f"The policy is at version {current_version}, not the one in If-Match: "
                    "someone changed it. Read it again and redo your change."
                )
            if self._rows("SELECT 1 FROM policies WHERE version = ?", [version]):
                raise Conflict(
                    f"Policy version {version} exists already; versions are never reused. "
                    "Give the new policy a new version."
                )
            self._insert("policies", {
                "version": version,
                "effective_on": document["effective_on"],
                "document": json.dumps(document, ensure_ascii=False),
                "created_at": now(),
                "actor": actor,
            })
            before = self._rows("SELECT document FROM policies WHERE version = ?",
                                [current_version]) if current_version else []
            self._log(
                "replace_policy", "policy", version, len(self.policy_documents()),
                json.loads(before[0]["document"]) if before else None, document, actor, None,
            )
