"""The public side of the API: the teacher check and review requests (anonymous, rate limited),
and the review-request queue for procurement."""

from typing import Annotated

import msgspec
from litestar import MediaType, Request, Response, get, post, put
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter

from registry import auth, models
from registry.api.limits import CHECK_LIMIT, REVIEW_LIMIT
from registry.api.problems import problems
from registry.api.records import MAX_PAGE, expected_versions
from registry.check import CheckAnswer, NotPublished, review_target
from registry.stats import DayCount



class ReviewReceipt(msgspec.Struct, kw_only=True):
    """What a teacher gets back: no other teacher's details, only how often it was asked."""

    received: bool
    count: int
    message: str


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
    responses={
        **problems(400, 413, 422, 429),
        200: ResponseSpec(data_container=ReviewReceipt, generate_examples=False,
                          description="Asked for before and still open: counted once more."),
    },
)
async def request_review(request: Request, data: JSONBody[models.ReviewRequestIn]
                         ) -> Response[ReviewReceipt]:
    host, key = review_target(data.url, data.tool_name)
    stored = request.app.state.registry.request_review(data, host, key)
    first = stored.count == 1
    message = (
        "Bedankt. We hebben je vraag ontvangen en gaan de tool beoordelen."
        if first else
        f"Bedankt. Deze tool is al {stored.count} keer aangevraagd; je vraag telt mee."
    )
    return Response(ReviewReceipt(received=True, count=stored.count, message=message),
                    status_code=201 if first else 200)


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
    offset: Annotated[int, QueryParameter(ge=0)] = 0,
) -> ReviewRequestPage:
    items, total = request.app.state.registry.review_requests(status, limit, offset)
    return ReviewRequestPage(items=items, total=total, limit=limit, offset=offset)


@put(
    "/api/review-requests/{record_id:str}",
    guards=[auth.procurement],
    tags=["review requests"],
    summary="Link a review request to a registered tool, or close it (procurement; If-Match)",
    security=[{"BearerToken": []}],
    responses=problems(400, 401, 403, 404, 412, 422, 428),
)
async def update_review_request(
    request: Request,
    record_id: FromPath[str],
    data: JSONBody[models.ReviewRequestUpdate],
    if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
) -> Response[models.ReviewRequest]:
    expected = expected_versions(if_match)
    updated = request.app.state.registry.update_review_request(
        record_id, data, request.state.actor, expected
    )
    return Response(updated, headers={"ETag": f'"{updated.version}"'})


HANDLERS = [check, stats, request_review, list_review_requests, update_review_request]
