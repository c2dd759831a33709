"""The public side of the API: the teacher check and review requests (anonymous, rate limited),
and the review-request queue for procurement."""

from typing import Annotated

import msgspec
from litestar import MediaType, Request, Response, get, post, put
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from registry import auth, models
from registry.api.askers import Askers
from registry.api.bodies import StrictJSONRequest, body_operation, struct_schema
from registry.api.limits import CHECK_LIMIT, REVIEW_LIMIT
from registry.api.problems import problems
from registry.api.records import MAX_PAGE, IfMatch, Offset, expected_versions
from registry.check import CheckAnswer, NotPublished, review_target
from registry.stats import DayCount

THANKS = "Bedankt. We hebben je vraag ontvangen en gaan de tool beoordelen."


class ReviewReceipt(msgspec.Struct, kw_only=True):
    """What a teacher gets back: the same whether or not the tool was asked for before, so
    nobody learns from it what others asked."""

    received: bool
    message: str


# The models' rules that JSON Schema can say, so a client generated from the document knows.
def _named(field: str) -> dict:
    return {"required": [field], "properties": {field: {"type": "string"}}}


REVIEW_REQUEST_BODY = body_operation(struct_schema(
    models.ReviewRequestIn, anyOf=[_named("tool_name"), _named("url")],
    description="A tool to review, by `tool_name` or `url` (one of them is required); no "
                "personal data is asked for.",
))
REVIEW_UPDATE_BODY = body_operation(struct_schema(
    models.ReviewRequestUpdate,
    **{"if": {"required": ["status"], "properties": {"status": {"const": "linked"}}},
       "then": _named("tool_id")},
    description="`tool_id` is required when the status is `linked`, and must name a tool in "
                "the registry.",
))


def ask_for_review(request: Request, data: models.ReviewRequestIn) -> None:
    """Record a teacher's request; the same client asking again for the same tool on the same
    day counts once (see `registry.api.askers`)."""
    host, key = review_target(data.url, data.tool_name)
    address = REVIEW_LIMIT.identifier_for_request(request)
    if Askers.of(request.app).first_today(address, f"host:{host}" if host else f"name:{key}"):
        request.app.state.registry.request_review(data, host, key)


class ReviewRequestPage(msgspec.Struct, kw_only=True):
    items: list[models.ReviewRequest]
    total: int
    limit: int
    offset: int


def not_published() -> HTTPException:
    return HTTPException(
        status_code=503,
        detail="Er is nog geen witte lijst gepubliceerd. Probeer het later opnieuw.",
    )


@get(
    "/api/check",
    tags=["public"],
    summary="May I use this tool? A pasted URL or a name, answered from the published whitelist",
    middleware=[CHECK_LIMIT.middleware],
    responses=problems(400, 429, 503),
    cache_control=None,
)
async def check(
    request: Request,
    q: Annotated[str, QueryParameter(min_length=1, max_length=4000,
                                     description="A URL (with or without https://) or a name.")],
) -> Response[CheckAnswer]:
    try:
        status, answer = request.app.state.whitelist.check_json(q)
    except NotPublished:
        raise not_published() from None
    request.app.state.stats.count(request.app.state.today(), status)
    return Response(answer, media_type=MediaType.JSON)


@get(
    "/api/stats",
    guards=[auth.any_token],
    tags=["status"],
    summary="Checks per day and how they ended; no questions, no IP addresses (any token)",
    description=(
        "Counted in the memory of each worker process for the last 366 days: lost on restart, "
        "and with several workers each answers with its own counts."
    ),
    security=[{"BearerToken": []}],
    responses=problems(401),
)
async def stats(request: Request) -> list[DayCount]:
    return request.app.state.stats.days()


@post(
    "/api/review-requests",
    tags=["public"],
    summary="Ask for a review of a tool; no personal data needed",
    middleware=[REVIEW_LIMIT.middleware],
    status_code=202,
    description=(
        "Accepted for review. The answer is the same whether or not the tool was asked for "
        "before; one client address counts once per tool per day."
    ),
    operation_class=REVIEW_REQUEST_BODY,
    request_class=StrictJSONRequest,
    responses=problems(400, 413, 422, 429),
)
async def request_review(request: Request, data: JSONBody[models.ReviewRequestIn]
                         ) -> ReviewReceipt:
    ask_for_review(request, data)
    return ReviewReceipt(received=True, message=THANKS)


@get(
    "/api/review-requests",
    guards=[auth.procurement],
    tags=["review requests"],
    summary="Review requests, most asked for first (procurement)",
    security=[{"BearerToken": []}],
    responses=problems(400, 401, 403),
)
async def list_review_requests(
    request: Request,
    status: FromQuery[models.ReviewStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> ReviewRequestPage:
    items, total = request.app.state.registry.review_requests(status, limit, offset)
    return ReviewRequestPage(items=items, total=total, limit=limit, offset=offset)


@put(
    "/api/review-requests/{record_id:str}",
    guards=[auth.procurement],
    tags=["review requests"],
    summary="Link a review request to a registered tool, or close it (procurement; If-Match)",
    security=[{"BearerToken": []}],
    operation_class=REVIEW_UPDATE_BODY,
    request_class=StrictJSONRequest,
    responses=problems(400, 401, 403, 404, 412, 422, 428, notes={422: (
        "A field is invalid; `errors` names each field with its JSON path and pointer. Besides "
        "what the body's schema says, the registry refuses a `tool_id` that names no tool.")}),
)
async def update_review_request(
    request: Request,
    record_id: FromPath[str],
    data: JSONBody[models.ReviewRequestUpdate],
    if_match: IfMatch = None,
) -> Response[models.ReviewRequest]:
    expected = expected_versions(if_match)
    updated = request.app.state.registry.update_review_request(
        record_id, data, request.state.actor, expected
    )
    return Response(updated, headers={"ETag": f'"{updated.version}"'})


HANDLERS = [check, stats, request_review, list_review_requests, update_review_request]
