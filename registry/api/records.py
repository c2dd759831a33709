"""Create, read, update, archive, list and history for vendors, tools, agreements, assessments.

One controller per kind, made by one factory, so the four kinds cannot drift apart.
(No `from __future__ import annotations` here: the handlers' annotations name the kind's
Structs from the factory's scope, and Litestar reads them at registration.)
"""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from registry import auth, models
from registry.api.problems import problems
from registry.errors import PreconditionRequired, RegistryError
from registry.policy import VerdictCode
from registry.verdicts import Records, current_policy


class ToolListItem(models.Tool, kw_only=True):
    """A tool in a list, with its live verdict code under the current policy."""

    verdict: VerdictCode

MAX_PAGE = 200
FILTERS = {
    "vendors": {"q"},
    "tools": {"vendor", "category", "level", "q", "verdict"},
    "agreements": {"vendor", "tool", "status", "q"},
    "assessments": {"tool", "status", "q"},
}
STATUSES = {"agreements": models.AgreementStatus, "assessments": models.AssessmentStatus}

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='The ETag of your last read, e.g. "3", or * for any version. Required.',
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}.")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
Archived = Annotated[
    str,
    QueryParameter(
        pattern="^(exclude|include|only)$", description="exclude (default), include or only."
    ),
]


def etag(record: Any) -> dict[str, str]:
    return {"ETag": f'"{record.version}"'}


def expected_versions(if_match: str | None) -> set[int] | None:
    """The versions an If-Match header accepts; None for `*` (any current version)."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of your last read (or * to overwrite any version); "
            "this keeps two people from overwriting each other's changes."
        )
    if if_match.strip() == "*":
        return None
    # Only strong tags compare in If-Match (RFC 9110 13.1.1); weak or malformed ones never match.
    return {
        int(tag[1:-1])
        for tag in (t.strip() for t in if_match.split(","))
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit()
    }


def record_controller(kind: str) -> type[Controller]:
    """The controller of one kind of record, mounted at `/{kind}`."""
    data_type, stored_type = models.RECORD_TYPES[kind]
    single = models.SINGULAR[kind]
    item_type = ToolListItem if kind == "tools" else stored_type
    page_type = msgspec.defstruct(
        f"{stored_type.__name__}Page",
        [("items", list[item_type]), ("total", int), ("limit", int), ("offset", int)],
        kw_only=True,
    )
    allowed_filters = FILTERS[kind]

    class RecordController(Controller):
        path = f"/{kind}"
        tags = [kind]
        security = [{"BearerToken": []}]

        @get(
            "/",
            guards=[auth.any_token],
            operation_id=f"list_{kind}",
            summary=f"List {kind}",
            description=f"Filters: {', '.join(sorted(allowed_filters))}; archived records are "
            "left out unless `archived` says otherwise.",
            responses=problems(400, 401),
        )
        async def list_records(
            self,
            request: Request,
            limit: Limit = 50,
            offset: Offset = 0,
            vendor: FromQuery[models.Slug | None] = None,
            tool: FromQuery[models.Slug | None] = None,
            category: FromQuery[models.Category | None] = None,
            level: FromQuery[models.Level | None] = None,
            status: FromQuery[str | None] = None,
            q: Annotated[str | None, QueryParameter(max_length=200)] = None,
            verdict: FromQuery[VerdictCode | None] = None,
            archived: Archived = "exclude",
        ) -> page_type:
            given = {"vendor": vendor, "tool": tool, "category": category, "level": level,
                     "status": status, "q": q, "verdict": verdict}
            for name, value in given.items():
                if value is not None and name not in allowed_filters:
                    raise RegistryError(f"The filter '{name}' does not apply to {kind}.")
            if status is not None and status not in {s.value for s in STATUSES[kind]}:
                allowed = ", ".join(s.value for s in STATUSES[kind])
                raise RegistryError(f"status: '{status}' is not one of: {allowed}.")
            registry = request.app.state.registry
            filters = {k: v for k, v in given.items() if v is not None and k != "verdict"}
            if kind != "tools":
                items, total = registry.list(kind, limit=limit, offset=offset, archived=archived,
                                             **filters)
                return page_type(items=items, total=total, limit=limit, offset=offset)
            # Verdicts are computed, not stored: filter on them after computing each one.
            tools, _ = registry.list(kind, limit=None, archived=archived, **filters)
            records = Records.load(registry, include_archived_tools=True)
            policy, today = current_policy(registry), request.app.state.today()
            items = [
                ToolListItem(**msgspec.structs.asdict(t),
                             verdict=records.verdict(t, policy, today).code)
                for t in tools
            ]
            if verdict is not None:
                items = [t for t in items if t.verdict == verdict]
            return page_type(items=items[offset:offset + limit], total=len(items), limit=limit,
                             offset=offset)

        @post(
            "/",
            guards=[auth.procurement],
            operation_id=f"create_{single}",
            summary=f"Create a {single}",
            responses=problems(400, 401, 403, 409, 413, 422),
        )
        async def create_record(self, request: Request, data: JSONBody[data_type]) -> Response[stored_type]:
            record = request.app.state.registry.create(kind, data, request.state.actor)
            headers = etag(record) | {"Location": f"{request.url.path.rstrip('/')}/{record.id}"}
            return Response(record, status_code=201, headers=headers)

        @get(
            "/{record_id:str}",
            guards=[auth.any_token],
            operation_id=f"get_{single}",
            summary=f"Read a {single} (archived ones too)",
            responses=problems(400, 401, 404),
        )
        async def get_record(self, request: Request, record_id: FromPath[str]) -> Response[stored_type]:
            record = request.app.state.registry.get(kind, record_id)
            return Response(record, headers=etag(record))

        @put(
            "/{record_id:str}",
            guards=[auth.procurement],
            operation_id=f"update_{single}",
            summary=f"Replace a {single}'s fields (needs If-Match)",
            responses=problems(400, 401, 403, 404, 409, 412, 413, 422, 428),
        )
        async def update_record(
            self, request: Request, record_id: FromPath[str], data: JSONBody[data_type], if_match: IfMatch = None
        ) -> Response[stored_type]:
            expected = expected_versions(if_match)
            record = request.app.state.registry.update(
                kind, record_id, data, request.state.actor, expected
            )
            return Response(record, headers=etag(record))

        @delete(
            "/{record_id:str}",
            guards=[auth.procurement],
            status_code=200,
            operation_id=f"archive_{single}",
            summary=f"Archive a {single}: nothing is deleted, it stays readable with its history",
            responses=problems(400, 401, 403, 404, 409, 412, 428),
        )
        async def archive_record(
            self, request: Request, record_id: FromPath[str], if_match: IfMatch = None
        ) -> Response[stored_type]:
            expected = expected_versions(if_match)
            record = request.app.state.registry.archive(
                kind, record_id, request.state.actor, expected
            )
            return Response(record, headers=etag(record))

        @get(
            "/{record_id:str}/history",
            guards=[auth.any_token],
            operation_id=f"history_{single}",
            summary=f"The audit events of one {single}, oldest first",
            responses=problems(400, 401, 404),
        )
        async def history(self, request: Request, record_id: FromPath[str]) -> list[models.Event]:
            return request.app.state.registry.history(kind, record_id)

    RecordController.__name__ = f"{stored_type.__name__}Controller"
    return RecordController


CONTROLLERS = [record_controller(kind) for kind in models.RECORD_TYPES]
