"""Teachers' review requests (anonymous, grouped per host or name) and procurement's answers.

Every ask is a row of `review_asks` with its own public code, by which its asker follows the
request (`by_code`); the request keeps how often it was asked for and when last. Codes are 8
characters from an alphabet without look-alikes (no 0/O, 1/I), shown as `ABCD-EFGH`: 32^8
(about 10^12) codes, so guessing one is hopeless, and they say nothing about the request.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from typing import NamedTuple

import msgspec

from registry import models
from registry.errors import NotFound, PreconditionFailed
from registry.labels.requests import CLOSED_REASON_LABELS
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.kinds import REVIEW_REQUESTS
from registry.store.references import check_references
from registry.store.rows import now, to_builtins

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str) -> str | None:
    """The code in `text` as typed (`abcd-efgh`, `ABCDEFGH`, with spaces), or None."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def shown_code(code: str) -> str:
    """`ABCDEFGH` as a person reads and types it: `ABCD-EFGH`."""
    return f"{code[:4]}-{code[4:]}"


class Receipt(NamedTuple):
    """What an ask gives back: its own code (shown form) and the request it joined."""

    code: str
    request: models.ReviewRequest


class ReviewRequests:
    """The registry's review requests (declared as `REVIEW_REQUESTS`) and their asks."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit
        self.table = REVIEW_REQUESTS.table

    def request(self, data: models.ReviewRequestIn, host: str | None, key: str | None,
                counted: bool = True) -> Receipt:
        """Record a teacher's ask with a new code. An open (or linked) request for the same
        host (or, without a URL, the same name) gets the ask instead of a second request;
        `counted` False (the same client asked today already) keeps its count as it is."""
        with self.store.write() as db:
            where, param = ("host = ?", host) if host else ("host IS NULL AND name_key = ?", key)
            rows = self.store.rows(
                f"SELECT id, count FROM review_requests WHERE status IN ('open', 'linked') "
                f"AND {where} ORDER BY created_at LIMIT 1", [param])
            stamp = now()
            if rows:
                request_id = rows[0]["id"]
                db[self.table].update(request_id, {
                    "count": rows[0]["count"] + int(counted), "last_asked_at": stamp})
            else:
                request = models.ReviewRequest(
                    id="rr-" + secrets.token_hex(5), tool_name=data.tool_name, url=data.url,
                    host=host, school=data.school, reason=data.reason, version=1,
                    created_at=stamp, updated_at=stamp,
                )
                request_id = request.id
                db[self.table].insert(to_builtins(request) | {"name_key": key,
                                                              "last_asked_at": stamp})
            code = self._unused_code()
            db["review_asks"].insert({"request_id": request_id, "code": code,
                                      "school": data.school, "reason": data.reason,
                                      "asked_at": stamp})
            return Receipt(shown_code(code), self.get(request_id))

    def _unused_code(self) -> str:
        while True:  # a clash is one in 10^12 per code already given: this loops once
            code = new_code()
            if not self.store.rows("SELECT 1 FROM review_asks WHERE code = ?", [code]):
                return code

    def get(self, request_id: str) -> models.ReviewRequest:
        rows = self.store.rows("SELECT * FROM review_requests WHERE id = ?", [request_id])
        if not rows:
            raise NotFound(REVIEW_REQUESTS.singular, request_id)
        return _request(rows[0])

    def by_code(self, code: str) -> models.ReviewRequestForAsker | None:
        """What the asker holding `code` may see (any form `normal_code` reads), or None."""
        code = normal_code(code)
        if code is None:
            return None
        rows = self.store.rows(
            "SELECT a.code, a.asked_at, r.tool_name, r.url, r.host, r.status, r.closed_reason, "
            "r.closed_note, r.tool_id FROM review_asks a JOIN review_requests r "
            "ON r.id = a.request_id WHERE a.code = ?", [code])
        if not rows:
            return None
        row = {k: v for k, v in rows[0].items() if v is not None}
        row["code"] = shown_code(code)
        if "closed_reason" in row:
            row["closed_reason_label"] = CLOSED_REASON_LABELS.get(row["closed_reason"])
        return msgspec.convert(row, models.ReviewRequestForAsker, strict=False)

    def asks(self, request_id: str) -> list[models.ReviewRequestAsk]:
        """Every ask of a request, oldest first (for procurement: schools and reasons)."""
        rows = self.store.rows(
            "SELECT code, school, reason, asked_at FROM review_asks WHERE request_id = ? "
            "ORDER BY asked_at, id", [request_id])
        return [msgspec.convert({k: v for k, v in r.items() if v is not None} | {
            "code": shown_code(r["code"])}, models.ReviewRequestAsk, strict=False) for r in rows]

    def list(self, status: str | None, limit: int, offset: int
             ) -> tuple[list[models.ReviewRequest], int]:
        """One page of requests, most asked for first, and how many match `status`."""
        where, params = (REVIEW_REQUESTS.filter("status").where, [status]) if status else (None, [])
        table = self.store.db[self.table]
        total = table.count_where(where, params)
        rows = list(table.rows_where(where, params, select="id", order_by="count DESC, created_at",
                                     limit=int(limit), offset=int(offset)))
        return [self.get(r["id"]) for r in rows], total

    def inbox(self, status: str | None, q: str, limit: int, offset: int
              ) -> tuple[list[models.ReviewRequest], int]:
        """One page of the back office's inbox: open requests first, then linked, then
        closed, each the most recently asked first; `q` finds a name or an address."""
        clauses, params = [], []
        if status:
            clauses.append("status = ?")
            params.append(status)
        if q:
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(tool_name LIKE ? ESCAPE '\\' OR url LIKE ? ESCAPE '\\')")
            params += [pattern, pattern]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = self.store.rows(f"SELECT count(*) AS n FROM review_requests {where}", params)
        rows = self.store.rows(
            f"SELECT * FROM review_requests {where} ORDER BY CASE status WHEN 'open' THEN 0 "
            "WHEN 'linked' THEN 1 ELSE 2 END, coalesce(last_asked_at, updated_at) DESC, id "
            "LIMIT ? OFFSET ?", [*params, int(limit), int(offset)])
        return [_request(r) for r in rows], total[0]["n"]

    def tools_named(self, names: Collection[str], ids: Collection[str] = ()
                    ) -> list[tuple[str, str]]:
        """(id, name) of live tools with one of these names (whatever their case) or ids,
        through the index of names and the primary key: as fast at 100,000 tools as at ten."""
        names, ids = [n for n in names if n][:100], [i for i in ids if i][:100]
        if not names and not ids:
            return []
        marks = ", ".join("?" for _ in names) or "NULL"
        id_marks = ", ".join("?" for _ in ids) or "NULL"
        return [(r["id"], r["name"]) for r in self.store.rows(
            f"SELECT id, name FROM tools WHERE (name COLLATE NOCASE IN ({marks}) "
            f"OR id IN ({id_marks})) AND archived_at IS NULL ORDER BY name, id",
            [*names, *ids])]

    def update(self, request_id: str, change: models.ReviewRequestUpdate, actor: str,
               expected_version: Collection[int] | None) -> models.ReviewRequest:
        """Link a request to a registered tool, close it (with a reason; a linked tool stays
        linked, so its asker sees the verdict), or open it again; audited."""
        with self.store.write() as db:
            before = self.get(request_id)
            if expected_version is not None and before.version not in expected_version:
                raise PreconditionFailed(
                    f"The review request '{request_id}' is at version {before.version}, not the "
                    "one in If-Match: someone changed it. Read it again and redo your change."
                )
            check_references(self.store, REVIEW_REQUESTS, change)
            tool_id = change.tool_id
            if change.status == models.ReviewStatus.closed and tool_id is None:
                tool_id = before.tool_id
            after = msgspec.structs.replace(
                before, status=change.status, tool_id=tool_id,
                closed_reason=change.closed_reason, closed_note=change.closed_note,
                version=before.version + 1, updated_at=now(),
            )
            after = msgspec.convert(to_builtins(after), models.ReviewRequest)
            doc = to_builtins(after)
            db[self.table].update(request_id, {name: doc[name] for name in (
                "status", "tool_id", "closed_reason", "closed_note", "version", "updated_at")})
            action = {"linked": "link", "closed": "close"}.get(after.status, "update")
            self.audit.append(action, self.table, request_id, after.version,
                              to_builtins(before), doc, actor, None)
        return self.get(request_id)


def _request(row: dict) -> models.ReviewRequest:
    row = {k: v for k, v in row.items() if v is not None and k != "name_key"}
    return msgspec.convert(row, models.ReviewRequest, strict=False)
