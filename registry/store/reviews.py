"""Teachers' review requests (anonymous, counted per host or name) and procurement's answers."""

from __future__ import annotations

import secrets
from collections.abc import Collection

import msgspec

from registry import models
from registry.errors import Invalid, NotFound, PreconditionFailed
from registry.store.rows import now, to_builtins


class ReviewRequestStore:
    """`Registry`'s review requests."""

    def request_review(self, data: models.ReviewRequestIn, host: str | None, key: str | None
                       ) -> models.ReviewRequest:
        """Record a teacher's request; an open request for the same host (or, without a URL,
        the same name) is counted again instead of stored twice."""
        with self.write():
            where, param = ("host = ?", host) if host else ("host IS NULL AND name_key = ?", key)
            rows = self._rows(
                f"SELECT * FROM review_requests WHERE status = 'open' AND {where} LIMIT 1", [param]
            )
            stamp = now()
            if rows:
                row = rows[0]
                self.conn.execute(
                    "UPDATE review_requests SET count = count + 1, updated_at = ? WHERE id = ?",
                    [stamp, row["id"]],
                )
                return self.review_request(row["id"])
            request = models.ReviewRequest(
                id="rr-" + secrets.token_hex(5), tool_name=data.tool_name, url=data.url, host=host,
                school=data.school, reason=data.reason, version=1,
                created_at=stamp, updated_at=stamp,
            )
            self._insert("review_requests", to_builtins(request) | {"name_key": key})
            return self.review_request(request.id)

    def review_request(self, request_id: str) -> models.ReviewRequest:
        rows = self._rows("SELECT * FROM review_requests WHERE id = ?", [request_id])
        if not rows:
            raise NotFound("review request", request_id)
        row = {k: v for k, v in rows[0].items() if v is not None and k != "name_key"}
        return msgspec.convert(row, models.ReviewRequest, strict=False)

    def review_requests(self, status: str | None, limit: int, offset: int
                        ) -> tuple[list[models.ReviewRequest], int]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        total = self._rows(f"SELECT count(*) AS n FROM review_requests {where}", params)[0]["n"]
        rows = self._rows(
            f"SELECT id FROM review_requests {where} ORDER BY count DESC, created_at "
            "LIMIT ? OFFSET ?", [*params, limit, offset],
        )
        return [self.review_request(r["id"]) for r in rows], total

    def update_review_request(self, request_id: str, change: models.ReviewRequestUpdate,
                              actor: str, expected_version: Collection[int] | None
                              ) -> models.ReviewRequest:
        """Link a request to a registered tool, close it, or open it again; audited."""
        with self.write():
            before = self.review_request(request_id)
            if expected_version is not None and before.version not in expected_version:
                raise PreconditionFailed(
                    f"The review request '{request_id}' is at version {before.version}, not the "
                    "one in If-Match: someone changed it. Read it again and redo your change."
                )
            if change.tool_id is not None and self._fetch("tools", change.tool_id) is None:
                raise Invalid.at("$.tool_id", f"there is no tool with id '{change.tool_id}'")
            after = msgspec.structs.replace(
                before, status=change.status, tool_id=change.tool_id,
                version=before.version + 1, updated_at=now(),
            )
            after = msgspec.convert(to_builtins(after), models.ReviewRequest)
            self.conn.execute(
                "UPDATE review_requests SET status = ?, tool_id = ?, version = ?, updated_at = ? "
                "WHERE id = ?",
                [after.status, after.tool_id, after.version, to_builtins(after)["updated_at"],
                 request_id],
            )
            action = {"linked": "link", "closed": "close"}.get(after.status, "update")
            self._log(action, "review_requests", request_id, after.version, to_builtins(before),
                      to_builtins(after), actor, None)
        return self.review_request(request_id)
