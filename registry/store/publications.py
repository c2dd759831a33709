"""The record of each published whitelist (`registry.publish` builds the file itself)."""

from __future__ import annotations

import json
from typing import Any

from registry.errors import Conflict
from registry.store.audit import AuditLog
from registry.store.connection import Store


class Publications:
    """The registry's record of its publications."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit

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
