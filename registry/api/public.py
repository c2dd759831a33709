"""Review requests: a teacher asks for a tool to be reviewed (anonymous, rate limited), through
the API or the form on the check page, and procurement works through the queue. (The check
itself is the read wing's: registry/whitelist/api.py.)"""

import datetime as dt
import urllib.parse
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Redirect, Template

from registry import auth, models
from registry.api.askers import Askers
from registry.api.bodies import StrictJSONRequest, body_operation, struct_schema
from registry.api.problems import problems
from registry.api.records import MAX_PAGE, IfMatch, Offset, expected_versions
from registry.db import Registry
from registry.domains import name_key, parse_query
from registry.errors import RegistryError, decode
from registry.labels.requests import HANDLING_TIME, REQUEST_STATUS_LABELS, REQUEST_WORDS
from registry.limits import LIST_LIMIT, REVIEW_LIMIT
from registry.whitelist.pages import page_context
from registry.whitelist.reader import NotPublished, PublishedWhitelist
from registry.whitelist.today import verdict_on

THANKS = "Bedankt. We hebben je vraag ontvangen en gaan de tool beoordelen."


class ReviewReceipt(msgspec.Struct, kw_only=True):
    """What a teacher gets back: the same whether or not the tool was asked for before (only
    the code differs, every ask has its own), so nobody learns from it what others asked."""

    received: bool
    message: str
    code: Annotated[str, msgspec.Meta(
        pattern=r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$", examples=["K7QM-3HTX"],
        description="This ask's own request code: its status, the reason it was closed and, "
                    "once assessed, the verdict are at `/aanvraag/{code}`.")]


# The models' rules that JSON Schema can say, so a client generated from the document knows.
def _named(field: str) -> dict:
    return {"required": [field], "properties": {field: {"type": "string"}}}


REVIEW_REQUEST_BODY = body_operation(struct_schema(
    models.ReviewRequestIn, anyOf=[_named("tool_name"), _named("url")],
    description="A tool to review, by `tool_name` or `url` (one of them is required); no "
                "personal data is asked for.",
))
def _when(status: str, field: str) -> dict:
    return {"if": {"required": ["status"], "properties": {"status": {"const": status}}},
            "then": _named(field)}


REVIEW_UPDATE_BODY = body_operation(struct_schema(
    models.ReviewRequestUpdate,
    allOf=[_when("linked", "tool_id"), {**_when("closed", "closed_reason"), "else": {
        "not": {"anyOf": [{"required": ["closed_reason"]}, {"required": ["closed_note"]}]}}}],
    description="`tool_id` is required when the status is `linked`, and must name a tool in "
                "the registry. `closed_reason` is required when the status is `closed` "
                "(`closed_note` may explain it), and both are only taken with `closed`; closing "
                "keeps a linked tool, so the askers "
                "see its verdict. Opening a request again unlinks it.",
))


def ask_for_review(request: Request, registry: Registry, askers: Askers,
                   data: models.ReviewRequestIn) -> str:
    """Record a teacher's ask and return its code; the same client asking again for the same
    tool on the same day gets a code of its own but counts once (see `registry.api.askers`)."""
    host, key = review_target(data.url, data.tool_name)
    address = REVIEW_LIMIT.identifier_for_request(request)
    counted = askers.first_today(address, f"host:{host}" if host else f"name:{key}")
    return registry.reviews.request(data, host, key, counted=counted).code


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
) -> Template | Redirect:
    """The check page's form; then to the ask's own page (Post/Redirect/Get: reloading the
    confirmation asks again for nothing)."""
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
    code = ask_for_review(request, registry, askers, review)
    return Redirect(f"{STATUS_PAGE}/{code}?nieuw=1", status_code=303)


@post(
    "/api/review-requests",
    tags=["public"],
    summary="Ask for a review of a tool; no personal data needed",
    middleware=[REVIEW_LIMIT.middleware],
    status_code=202,
    description=(
        "Accepted for review. The answer is the same whether or not the tool was asked for "
        "before, except for `code`: every ask gets its own request code, by which the asker "
        "follows it at `/aanvraag/{code}` (status, the reason it was closed, the verdict once "
        "assessed). One client address counts once per tool per day."
    ),
    operation_class=REVIEW_REQUEST_BODY,
    request_class=StrictJSONRequest,
    responses=problems(400, 413, 422, 429),
)
async def request_review(request: Request, registry: NamedDependency[Registry],
                         askers: NamedDependency[Askers],
                         data: JSONBody[models.ReviewRequestIn]) -> ReviewReceipt:
    code = ask_for_review(request, registry, askers, data)
    return ReviewReceipt(received=True, message=THANKS, code=code)


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
    summary="Link a review request to a registered tool, close it with a reason, or open it "
            "again (procurement; If-Match)",
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


# --- the asker's page: /aanvraag/{code} ------------------------------------------------------

STATUS_PAGE = "/aanvraag"
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
"""A request's page is for its asker only: kept by no cache, listed by no search engine."""


def published_verdict(whitelist: PublishedWhitelist, tool_id: str, today: dt.date
                      ) -> dict | None:
    """The tool's verdict of `today` on the published whitelist, or None if it is not on it."""
    try:
        conn = whitelist.connection()
    except NotPublished:
        return None
    row = conn.execute("SELECT * FROM tools WHERE id = ?", [tool_id]).fetchone()
    if row is None:
        return None
    now = verdict_on(row, today)
    return {"id": row["id"], "name": row["name"], "code": now.verdict, "label": now.verdict_label}


@get(f"{STATUS_PAGE}/{{code:str}}", include_in_schema=False, middleware=[LIST_LIMIT.middleware])
async def request_status(
    registry: NamedDependency[Registry],
    whitelist: NamedDependency[PublishedWhitelist],
    today: NamedDependency[dt.date],
    code: FromPath[str],
    nieuw: Annotated[str | None, QueryParameter(max_length=10)] = None,
) -> Template:
    """What became of one ask: its status, the reason it was closed and, once its tool is on
    the whitelist, the verdict of today. Unknown and malformed codes get the same page."""
    asked = registry.reviews.by_code(code[:40])
    if asked is None:
        return Template("aanvraag-onbekend.html", status_code=404, headers=PRIVATE,
                        context=page_context(whitelist, words=REQUEST_WORDS))
    verdict = published_verdict(whitelist, asked.tool_id, today) if asked.tool_id else None
    tool_name = verdict["name"] if verdict else None
    if asked.tool_id and tool_name is None:
        found = registry.records_by_id("tools", [asked.tool_id]).get(asked.tool_id)
        tool_name = found.name if found else asked.tool_id
    return Template("aanvraag-status.html", headers=PRIVATE, context=page_context(
        whitelist, asked=asked, new=nieuw == "1", status_label=REQUEST_STATUS_LABELS[asked.status],
        tool_name=tool_name, verdict=verdict, handling_time=HANDLING_TIME, words=REQUEST_WORDS,
        asked_on=asked.asked_at.date()))


HANDLERS = [review_request_form, request_review, list_review_requests,
            update_review_request, request_status]
