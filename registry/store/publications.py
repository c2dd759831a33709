"""The record of each published whitelist (`registry.publish` builds the file itself)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from registry.errors import Conflict


class PublicationStore:
    """`Registry`'s publications, and consistent reads for building one."""

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one consistent state of the database (a read transaction)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def publications(self) -> list[dict[str, Any]]:
        """Every recorded publication, newest first, with `counts` and `changes` decoded."""
        rows = self._rows("SELECT * FROM publications ORDER BY version DESC")
        return [row | {"counts": json.loads(row["counts"]), "changes": json.loads(row["changes"])}
                for row in rows]

    def record_publication(self, publication: dict[str, Any], actor: str) -> None:
        """Record a publication and its audit event; its version must follow the latest."""
        with self.write():
            latest = self._rows("SELECT max(version) AS v FROM publications")[0]["v"] or 0
            if publication["version"] != latest + 1:
                raise Conflict(
                    f"Version {latest} of the whitelist was published while this one was being "
                    "built; publish again to include it."
                )
            self._insert("publications", {
                **publication,
                "counts": json.dumps(publication["counts"], ensure_ascii=False),
                "changes": json.dumps(publication["changes"], ensure_ascii=False),
                "actor": actor,
            })
            self._log("create", "publication", str(publication["version"]), 1, None,
                      publication, actor, None)
