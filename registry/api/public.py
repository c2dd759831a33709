"""Review requests: a teacher asks for a tool to be reviewed (anonymous, rate limited), through
the API or the form on the check page, and procurement works through the queue. (The check
itself is the read wing's: registry/whitelist/api.py.)"""

import urllib.parse
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Template

from registry import auth, models
from registry.api.askers import Askers
from registry.api.bodies import StrictJSONRequest, body_operation, struct_schema
from registry.api.problems import problems
from registry.api.records import MAX_PAGE, IfMatch, Offset, expected_versions
from registry.db import Registry
from registry.domains import name_key, parse_query
from registry.errors import RegistryError, decode
from registry.limits import REVIEW_LIMIT
from registry.whitelist.pages import page_context
from registry.whitelist.reader import PublishedWhitelist

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


def ask_for_review(request: Request, registry: Registry, askers: Askers,
                   data: models.ReviewRequestIn) -> None:
    """Record a teacher's request; the same client asking again for the same tool on the same
    day counts once (see `registry.api.askers`)."""
    host, key = review_target(data.url, data.tool_name)
    address = REVIEW_LIMIT.identifier_for_request(request)
    if askers.first_today(address, f"host:{host}" if host else f"name:{key}"):
        registry.reviews.request(data, host, key)


class ReviewRequestPage(msgspec.Struct, kw_only=True):
    items: list[models.ReviewRequest]
    total: int
    limit: int
    offset: int


def review_target(url: str | None, tool_name: str | None) -> tuple[str | None, str | None]:
    """What makes two review requests the same: the host of the URL, else the name's key."""
    if url:
        query = parse_query(url)
        if query.kind == "url":
            return query.host, None
    return None, name_key(tool_name or url or "")


def cross_site(request: Request) -> bool:
    """Whether a form was posted from another website: the browser says so (`Sec-Fetch-Site`),
    or it names an `Origin` whose host is not the one the form was posted to.

    `Origin: null` tells nothing: our pages send no referrer (registry/headers.py), and then a
    browser sends `null` from our own form too; `Sec-Fetch-Site` decides those."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return True
    origin = request.headers.get("origin", "null").strip()
    if origin == "null":
        return False
    host = request.headers.get("host", "").lower()
    return urllib.parse.urlsplit(origin).netloc.lower() != host


@post("/aanvragen", include_in_schema=False, middleware=[REVIEW_LIMIT.middleware],
      status_code=200)
async def review_request_form(
    request: Request,
    registry: NamedDependency[Registry],
    askers: NamedDependency[Askers],
    whitelist: NamedDependency[PublishedWhitelist],
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    if cross_site(request):
        # Another website must not ask in a visitor's name (and count once more with it).
        return Template("geweigerd.html", status_code=403, context=page_context(whitelist))
    fields = {k: v.strip() for k, v in data.items()
              if k in ("tool_name", "url", "school", "reason") and v.strip()}
    try:
        review = decode(fields, models.ReviewRequestIn)
    except RegistryError:
        return Template("check.html", context=page_context(
            whitelist, q="", answer=None, request_error=(
                "Vul de naam of het webadres van de tool in. Dan kunnen we hem beoordelen."),
        ))
    ask_for_review(request, registry, askers, review)
    return Template("check.html", context=page_context(whitelist, q="", answer=None,
                                                       requested=True))


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
async def request_review(request: Request, registry: NamedDependency[Registry],
                         askers: NamedDependency[Askers],
                         data: JSONBody[models.ReviewRequestIn]) -> ReviewReceipt:
    ask_for_review(request, registry, askers, data)
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
    registry: NamedDependency[Registry],
    status: FromQuery[models.ReviewStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> ReviewRequestPage:
    items, total = registry.reviews.list(status, limit, offset)
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
    registry: NamedDependency[Registry],
    record_id: FromPath[str],
    data: JSONBody[models.ReviewRequestUpdate],
    if_match: IfMatch = None,
) -> Response[models.ReviewRequest]:
    expected = expected_versions(if_match)
    updated = registry.reviews.update(
        record_id, data, request.state.actor, expected
    )
    return Response(updated, headers={"ETag": f'"{updated.version}"'})


HANDLERS = [review_request_form, request_review, list_review_requests,
            update_review_request]
