"""Create, read, update, archive, list and history for every kind of record.

One controller per kind, made by one factory (from one small factory per handler), so the
kinds cannot drift apart. A token scoped to a school board (`registry.auth`) reads every
kind, but of agreements and board decisions only the sector's and its own board's (others
are 404 and left out of lists), and writes only its own board's agreements and decisions:
the body's and the stored record's `party` / `board_id` must be its board (else 403; a
record of another board is 404, as for a read).
(No `from __future__ import annotations` here: the handlers' annotations name the kind's
Structs from the factory's scope, and Litestar reads them at registration.)
"""

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from registry import auth, jsonschemas, models
from registry.api.bodies import StrictJSONRequest, body_operation
from registry.api.problems import problems
from registry.db import Registry
from registry.errors import NotFound, PreconditionRequired, RegistryError, field_error
from registry.store.kinds import KINDS, Kind, Reference
from registry.verdict import VerdictCode
from registry.verdicts import Records, current_policy


class ToolListItem(models.Tool, kw_only=True):
    """A tool in a list, with its live verdict code under the current policy."""

    verdict: VerdictCode


class OutOfScope(RegistryError):
    """A board's token writing what is not its board's."""

    status = 403
    title = "Forbidden"


BOARD_FIELDS = {"agreements": "party", "board_decisions": "board_id"}
"""Whose a record is (`sector` or a board's number), for the kinds a board's token writes."""

MAX_PAGE = 200
FILTERS = {kind.name: kind.filter_names for kind in KINDS.values()}
FILTERS["tools"] = FILTERS["tools"] | {"verdict"}  # worked out per tool here, not stored
STATUSES = {kind.name: kind.filter("status").values for kind in KINDS.values()
            if kind.filter("status")}

# Documented as required text with a visible character (a client must send it), optional to
# Litestar: without it the answer is our 428 that says why, not a generic 400.
IF_MATCH = {"required": True,
            "schema_extra": {"one_of": None, "type": "string", "pattern": "[!-~]"}}
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='The ETag of your last read, e.g. "3", or * for any version.',
        **IF_MATCH,
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page size, 1 to {MAX_PAGE}.")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000)]
"""Bounded: SQLite's OFFSET is a 64-bit integer, and a larger one was a 500."""
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


def _refused(kind: Kind, ref: Reference) -> str:
    """A reference the registry refuses, in words: "`vendor_id` names no vendor"."""
    target = KINDS[ref.target].singular
    if not ref.many:
        return f"`{ref.field}` names no {target}"
    owner = next((KINDS[r.target].singular for r in kind.references if r.field == ref.same), None)
    return (f"`{ref.field}` a {target} that does not exist"
            + (f" or belongs to another {owner}" if owner else ""))


def invalid_body(kind: str, put: bool = False) -> str:
    """The 422 of a record write: what the registry refuses beyond the body's JSON Schema."""
    refs = [_refused(KINDS[kind], ref) for ref in KINDS[kind].references]
    refs = ", or ".join(refs) + "; " if refs else ""
    rule = jsonschemas.NOT_EXPRESSIBLE[KINDS[kind].input.__name__]
    return (
        "A field is invalid; `errors` names each field with its JSON path and pointer. Besides "
        f"what the body's schema says, the registry refuses what JSON Schema cannot say: {refs}"
        f"{rule}" + ("; the body's `id` differs from the one in the URL." if put else ".")
    )


def _scope(kind: str, request: Request) -> tuple[str, tuple[str, ...]] | None:
    """(field, values it may have) of the records a board's token may read; None: all."""
    board = auth.board_of(request)
    if board is None or kind not in BOARD_FIELDS:
        return None
    return BOARD_FIELDS[kind], ("sector", board)


def _readable(kind: str, request: Request, record: Any) -> Any:
    """The record, or 404 for a board's token if it is another board's."""
    scope = _scope(kind, request)
    if scope and getattr(record, scope[0]) not in scope[1]:
        raise NotFound(KINDS[kind].singular, record.id)
    return record


def _writable(kind: str, request: Request, record: Any, stored: bool) -> None:
    """403 for a board's token unless the record (the body, or the `stored` one) is its
    board's; a stored record of another board is 404 (the token cannot read it)."""
    board = auth.board_of(request)
    if board is None or getattr(record, BOARD_FIELDS[kind]) == board:
        return
    if stored:
        _readable(kind, request, record)
    field, value = BOARD_FIELDS[kind], getattr(record, BOARD_FIELDS[kind])
    message = (f"this token is scoped to board {board}: it writes only records whose "
               f"`{field}` is '{board}', not '{value}'")
    raise OutOfScope(f"`{field}`: {message}.", [field_error(f"$.{field}", message)])


def _page_of_tools(registry: Registry, tools: list[models.Tool], today: dt.date
                   ) -> list[ToolListItem]:
    """`tools` with their verdicts, from only the records those verdicts need."""
    records, policy = Records.for_tools(registry, tools), current_policy(registry)
    return [ToolListItem(**msgspec.structs.asdict(t), verdict=records.verdict(t, policy, today).code)
            for t in tools]


def _tools_by_verdict(db_path: Path, filters: dict[str, Any], archived: str,
                      verdict: VerdictCode, limit: int, offset: int, today: dt.date
                      ) -> tuple[list[ToolListItem], int]:
    # Every tool's verdict, to filter on it: seconds for a large registry, so in a worker
    # thread on a connection of its own (one connection must not serve the loop and the pool).
    registry = Registry(db_path)
    try:
        tools, _ = registry.list("tools", limit=None, archived=archived, **filters)
        records = Records.load(registry, include_archived_tools=True)
        policy = current_policy(registry)
        chosen = [t for t in tools if records.verdict(t, policy, today).code == verdict]
    finally:
        registry.close()
    page = chosen[offset:offset + limit]
    return [ToolListItem(**msgspec.structs.asdict(t), verdict=verdict) for t in page], len(chosen)


def _checked_filters(kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """The filters given, without `verdict`; 400 for one of another kind or a wrong status."""
    for name, value in given.items():
        if value is not None and name not in FILTERS[kind]:
            raise RegistryError(f"The filter '{name}' does not apply to {kind}.")
    status = given.get("status")
    if status is not None and status not in {s.value for s in STATUSES[kind]}:
        allowed = ", ".join(s.value for s in STATUSES[kind])
        raise RegistryError(f"status: '{status}' is not one of: {allowed}.")
    return {k: v for k, v in given.items() if v is not None and k != "verdict"}


def _page_type(kind: str) -> type[msgspec.Struct]:
    """`<Stored>Page`: one page of a list of `kind`."""
    stored_type = KINDS[kind].stored
    item_type = ToolListItem if kind == "tools" else stored_type
    return msgspec.defstruct(
        f"{stored_type.__name__}Page",
        [("items", list[item_type]), ("total", int), ("limit", int), ("offset", int)],
        kw_only=True,
    )


# One factory per handler, each for one kind; `record_controller` puts them together.
# (`self` is the controller: Litestar binds the handlers to it.)

def _list_handler(kind: str) -> HTTPRouteHandler:
    allowed_filters, page_type = FILTERS[kind], _page_type(kind)

    def filter_of(name: str, type_: Any, **constraints: Any) -> Any:
        # Filters of other kinds are left out of this kind's document, so a client generated
        # from it never sends them; sent anyway, they are refused with a 400 that says why.
        return Annotated[type_ | None, QueryParameter(include_in_schema=name in allowed_filters,
                                                      **constraints)]

    @get(
        "/",
        guards=[auth.reader],
        operation_id=f"list_{kind}",
        summary=f"List {kind}",
        description=f"Filters: {', '.join(sorted(allowed_filters))}; archived records are "
        "left out unless `archived` says otherwise.",
        responses=problems(400, 401),
    )
    async def list_records(
        self,
        request: Request,
        registry: NamedDependency[Registry],
        db_path: NamedDependency[Path],
        today: NamedDependency[dt.date],
        limit: Limit = 50,
        offset: Offset = 0,
        vendor: filter_of("vendor", models.Slug) = None,
        tool: filter_of("tool", models.Slug) = None,
        category: filter_of("category", models.Category) = None,
        level: filter_of("level", models.Level) = None,
        status: filter_of("status", str, enum=[s.value for s in STATUSES.get(kind, [])]
                          or None) = None,
        q: filter_of("q", str, max_length=200) = None,
        verdict: filter_of("verdict", VerdictCode) = None,
        party: filter_of("party", str, max_length=10) = None,
        board: filter_of("board", models.BoardNumber) = None,
        decision: filter_of("decision", models.BoardDecisionKind) = None,
        school_type: filter_of("school_type", models.SchoolType) = None,
        school: filter_of("school", str, max_length=10) = None,
        archived: Archived = "exclude",
    ) -> page_type:
        filters = _checked_filters(kind, {
            "vendor": vendor, "tool": tool, "category": category, "level": level,
            "status": status, "q": q, "verdict": verdict, "party": party, "board": board,
            "decision": decision, "school_type": school_type, "school": school})
        if verdict is not None:
            items, total = await anyio.to_thread.run_sync(
                _tools_by_verdict, db_path, filters, archived, verdict, limit, offset, today)
            return page_type(items=items, total=total, limit=limit, offset=offset)
        items, total = registry.list(kind, limit=limit, offset=offset, archived=archived,
                                     scope=_scope(kind, request), **filters)
        if kind == "tools":  # verdicts are computed, not stored: only this page's
            items = _page_of_tools(registry, items, today)
        return page_type(items=items, total=total, limit=limit, offset=offset)

    return list_records


def _create_handler(kind: str) -> HTTPRouteHandler:
    data_type, stored_type, single = KINDS[kind].input, KINDS[kind].stored, KINDS[kind].singular

    @post(
        "/",
        guards=[_write_guard(kind)],
        operation_id=f"create_{single}",
        summary=f"Create a {single}",
        operation_class=_body(kind),
        responses=problems(400, 401, 403, 409, 413, 422, notes={422: invalid_body(kind)}),
    )
    async def create_record(self, request: Request, registry: NamedDependency[Registry],
                            data: JSONBody[data_type]) -> Response[stored_type]:
        if kind in BOARD_FIELDS:
            _writable(kind, request, data, stored=False)
        record = registry.create(kind, data, request.state.actor)
        headers = etag(record) | {"Location": f"{request.url.path.rstrip('/')}/{record.id}"}
        return Response(record, status_code=201, headers=headers)

    return create_record


def _get_handler(kind: str) -> HTTPRouteHandler:
    stored_type, single = KINDS[kind].stored, KINDS[kind].singular

    @get(
        "/{record_id:str}",
        guards=[auth.reader],
        operation_id=f"get_{single}",
        summary=f"Read a {single} (archived ones too)",
        responses=problems(400, 401, 404),
    )
    async def get_record(self, request: Request, registry: NamedDependency[Registry],
                         record_id: FromPath[str]) -> Response[stored_type]:
        record = _readable(kind, request, registry.get(kind, record_id))
        return Response(record, headers=etag(record))

    return get_record


def _update_handler(kind: str) -> HTTPRouteHandler:
    data_type, stored_type, single = KINDS[kind].input, KINDS[kind].stored, KINDS[kind].singular

    @put(
        "/{record_id:str}",
        guards=[_write_guard(kind)],
        operation_id=f"update_{single}",
        summary=f"Replace a {single}'s fields (needs If-Match)",
        operation_class=_body(kind),
        responses=problems(400, 401, 403, 404, 409, 412, 413, 422, 428,
                           notes={422: invalid_body(kind, put=True)}),
    )
    async def update_record(
        self, request: Request, registry: NamedDependency[Registry], record_id: FromPath[str],
        data: JSONBody[data_type], if_match: IfMatch = None,
    ) -> Response[stored_type]:
        expected = expected_versions(if_match)
        if kind in BOARD_FIELDS:
            _writable(kind, request, registry.get(kind, record_id), stored=True)
            _writable(kind, request, data, stored=False)
        record = registry.update(kind, record_id, data, request.state.actor, expected)
        return Response(record, headers=etag(record))

    return update_record


def _archive_handler(kind: str) -> HTTPRouteHandler:
    stored_type, single = KINDS[kind].stored, KINDS[kind].singular

    @delete(
        "/{record_id:str}",
        guards=[_write_guard(kind)],
        status_code=200,
        operation_id=f"archive_{single}",
        summary=f"Archive a {single}: nothing is deleted, it stays readable with its history",
        responses=problems(400, 401, 403, 404, 409, 412, 428),
    )
    async def archive_record(
        self, request: Request, registry: NamedDependency[Registry], record_id: FromPath[str],
        if_match: IfMatch = None,
    ) -> Response[stored_type]:
        expected = expected_versions(if_match)
        if kind in BOARD_FIELDS:
            _writable(kind, request, registry.get(kind, record_id), stored=True)
        record = registry.archive(kind, record_id, request.state.actor, expected)
        return Response(record, headers=etag(record))

    return archive_record


def _history_handler(kind: str) -> HTTPRouteHandler:
    single = KINDS[kind].singular

    @get(
        "/{record_id:str}/history",
        guards=[auth.reader],
        operation_id=f"history_{single}",
        summary=f"The audit events of one {single}, oldest first",
        responses=problems(400, 401, 404),
    )
    async def history(self, request: Request, registry: NamedDependency[Registry],
                      record_id: FromPath[str]) -> list[models.Event]:
        if _scope(kind, request):
            _readable(kind, request, registry.get(kind, record_id))
        return registry.audit.history(kind, record_id)

    return history


def _write_guard(kind: str) -> Any:
    """Sector procurement+; for agreements and board decisions a board's token too."""
    return auth.board_writer if kind in BOARD_FIELDS else auth.procurement


def _body(kind: str) -> Any:
    single = KINDS[kind].singular
    return body_operation(jsonschemas.schema(single), f"The {single}; its JSON Schema is "
                          f"served at /api/schemas/{single}.")


def record_controller(kind: str) -> type[Controller]:
    """The controller of one kind of record, mounted at `/{kind}`."""
    handlers = {"list_records": _list_handler(kind), "create_record": _create_handler(kind),
                "get_record": _get_handler(kind), "update_record": _update_handler(kind),
                "archive_record": _archive_handler(kind), "history": _history_handler(kind)}
    return type(f"{KINDS[kind].stored.__name__}Controller", (Controller,), {
        "path": f"/{kind}",
        "tags": [kind],
        "security": [{"BearerToken": []}],
        "request_class": StrictJSONRequest,
        **handlers,
    })


CONTROLLERS = [record_controller(kind) for kind in KINDS]
