"""Teachers' review requests (anonymous, counted per host or name) and procurement's answers."""

from __future__ import annotations

import secrets
from collections.abc import Collection

import msgspec

from registry import models
from registry.errors import NotFound, PreconditionFailed
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.kinds import REVIEW_REQUESTS
from registry.store.references import check_references
from registry.store.rows import now, to_builtins


class ReviewRequests:
    """The registry's review requests (declared as `REVIEW_REQUESTS`)."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit
        self.table = REVIEW_REQUESTS.table

    def request(self, data: models.ReviewRequestIn, host: str | None, key: str | None
                ) -> models.ReviewRequest:
        """Record a teacher's request; an open request for the same host (or, without a URL,
        the same name) is counted again instead of stored twice."""
        with self.store.write() as db:
            where, param = ("host = ?", host) if host else ("host IS NULL AND name_key = ?", key)
            rows = list(db[self.table].rows_where(f"status = 'open' AND {where}", [param],
                                                  select="id, count", limit=1))
            stamp = now()
            if rows:
                db[self.table].update(rows[0]["id"], {"count": rows[0]["count"] + 1,
                                                      "updated_at": stamp})
                return self.get(rows[0]["id"])
            request = models.ReviewRequest(
                id="rr-" + secrets.token_hex(5), tool_name=data.tool_name, url=data.url, host=host,
                school=data.school, reason=data.reason, version=1,
                created_at=stamp, updated_at=stamp,
            )
            db[self.table].insert(to_builtins(request) | {"name_key": key})
            return self.get(request.id)

    def get(self, request_id: str) -> models.ReviewRequest:
        rows = list(self.store.db[self.table].rows_where("id = ?", [request_id]))
        if not rows:
            raise NotFound(REVIEW_REQUESTS.singular, request_id)
        row = {k: v for k, v in rows[0].items() if v is not None and k != "name_key"}
        return msgspec.convert(row, models.ReviewRequest, strict=False)

    def list(self, status: str | None, limit: int, offset: int
             ) -> tuple[list[models.ReviewRequest], int]:
        """One page of requests, most asked for first, and how many match `status`."""
        where, params = (REVIEW_REQUESTS.filter("status").where, [status]) if status else (None, [])
        table = self.store.db[self.table]
        total = table.count_where(where, params)
        rows = list(table.rows_where(where, params, select="id", order_by="count DESC, created_at",
                                     limit=int(limit), offset=int(offset)))
        return [self.get(r["id"]) for r in rows], total

    def update(self, request_id: str, change: models.ReviewRequestUpdate, actor: str,
               expected_version: Collection[int] | None) -> models.ReviewRequest:
        """Link a request to a registered tool, close it, or open it again; audited."""
        with self.store.write() as db:
            before = self.get(request_id)
            if expected_version is not None and before.version not in expected_version:
                raise PreconditionFailed(
                    f"The review request '{request_id}' is at version {before.version}, not the "
                    "one in If-Match: someone changed it. Read it again and redo your change."
                )
            check_references(self.store, REVIEW_REQUESTS, change)
            after = msgspec.structs.replace(
                before, status=change.status, tool_id=change.tool_id,
                version=before.version + 1, updated_at=now(),
            )
            after = msgspec.convert(to_builtins(after), models.ReviewRequest)
            doc = to_builtins(after)
            db[self.table].update(request_id, {name: doc[name] for name in (
                "status", "tool_id", "version", "updated_at")})
            action = {"linked": "link", "closed": "close"}.get(after.status, "update")
            self.audit.append(action, self.table, request_id, after.version,
                              to_builtins(before), doc, actor, None)
        return self.get(request_id)
