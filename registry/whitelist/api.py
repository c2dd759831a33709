"""The read API: the teacher check and the embed feed (anonymous, rate limited), and the check
statistics (for staff: the write side puts its token guard on `STAFF_HANDLERS`).

The embed feed is for a school's own website: `registry/headers.py` gives its path (and only
its path) `Access-Control-Allow-Origin: *`, so `static/embed.js` on a school's page can read
it; `/embed` (registry/whitelist/pages.py) is the same list as a page to show in a frame.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Annotated, Literal

import msgspec
from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, QueryParameter

from registry.labels import CATEGORY_LABELS, LEVEL_LABELS, NOT_PUBLISHED
from registry.limits import CHECK_LIMIT, EMBED_LIMIT
from registry.problem import FieldError, problem_response, problems
from registry.whitelist.boards import BOARD_NUMBER, BoardRef, UnknownBoard
from registry.whitelist.check import (
    ChangeWarning,
    ChangesOn,
    CheckAnswer,
    NextVerdict,
    PublicationRef,
)
from registry.whitelist.direct import MAX_QUESTION, answer_directly
from registry.whitelist.reader import NotPublished, PublishedWhitelist
from registry.whitelist.stats import CheckCounter, Checking, DayCount

Level = Literal[tuple(LEVEL_LABELS)]
Category = Literal[tuple(CATEGORY_LABELS)]


def not_published() -> HTTPException:
    return HTTPException(status_code=503, detail=NOT_PUBLISHED)


Bestuur = Annotated[str | None, QueryParameter(
    pattern=BOARD_NUMBER, description=(
        "The number (5 digits, bevoegd gezag as DUO publishes it) of the teacher's school "
        "board: the answer says what that board decided beside the sector verdict."))]
UNKNOWN_BOARD_NOTE = {404: "No school board with this number (`bestuur`) in the whitelist."}


def unknown_board(request: Request, exc: UnknownBoard) -> Response:
    """404 naming `bestuur`: a well-formed number of no board in the publication."""
    message = f"no school board with number '{exc.board}' in the published whitelist"
    return problem_response(request, 404, f"bestuur: {message}.", [
        FieldError(field="bestuur", pointer="", location="query", message=message)])


@get(
    "/api/check",
    tags=["public"],
    summary="May I use this tool? A pasted URL or a name, answered from the published whitelist",
    # The limiter first (outermost); then plain questions are answered without the handler's
    # machinery, with the same answer (registry/whitelist/direct.py says why).
    middleware=[CHECK_LIMIT.middleware, answer_directly],
    responses=problems(400, 404, 429, 503, notes=UNKNOWN_BOARD_NOTE),
    cache_control=None,
)
async def check(
    request: Request,
    checking: NamedDependency[Checking],
    q: Annotated[str, QueryParameter(min_length=1, max_length=MAX_QUESTION,
                                     description="A URL (with or without https://) or a name.")],
    level: Annotated[Level | None, QueryParameter(
        description="The school type the teacher works in (PO, VO, SO): a tool for another "
                    "one, or for older pupils, says so in `tool.level_warning`.")] = None,
    bestuur: Bestuur = None,
) -> Response[CheckAnswer]:
    """Every verdict in the answer is the one valid today (`tool.valid_on`), also when it
    changed by itself since the publication; `tool.warning` warns 60 days before it changes.
    With `bestuur`, `board` says what that board's teachers do."""
    try:
        status, answer = checking.whitelist.check_json(q, checking.today, level, bestuur)
    except NotPublished:
        raise not_published() from None
    except UnknownBoard as exc:
        return unknown_board(request, exc)
    checking.count(status)
    return Response(answer, media_type=MediaType.JSON)


@get(
    "/api/stats",
    tags=["status"],
    summary="Checks per day and how they ended; no questions, no IP addresses (any token)",
    description=(
        "Counted in the memory of each worker process for the last 366 days: lost on restart, "
        "and with several workers each answers with its own counts."
    ),
    security=[{"BearerToken": []}],
    responses=problems(401),
)
async def stats(stats: NamedDependency[CheckCounter]) -> list[DayCount]:
    return stats.days()


class EmbedTool(msgspec.Struct, kw_only=True):
    id: str
    name: str
    vendor_name: str
    category: str
    category_label: str
    levels: list[str]
    verdict: Annotated[str, msgspec.Meta(description="Valid on the day asked.")]
    verdict_label: str
    conditions: list[str]
    link: str
    """The answer on the check page, relative to this server."""
    changes_on: ChangesOn = None
    next_verdict: NextVerdict = None
    next_verdict_label: str | None = None
    warning: ChangeWarning = None


class EmbedFeed(msgspec.Struct, kw_only=True, omit_defaults=True):
    publication: PublicationRef
    level: str | None
    category: str | None
    tools: list[EmbedTool]
    board: Annotated[BoardRef | None, msgspec.Meta(
        description="Asked with `bestuur`: the board whose schools these tools are allowed "
                    "at (its decisions and own agreements counted).")] = None


def check_path(board: str | None = None) -> str:
    """The check page, or a board's check page."""
    return f"/b/{board}/" if board else "/"


def allowed_tools(whitelist: PublishedWhitelist, level: str | None, category: str | None,
                  today: dt.date | None = None, board: str | None = None
                  ) -> tuple[PublicationRef, list[EmbedTool]]:
    """The tools allowed on `today` by name (at the schools of `board` if given), and the
    publication they come from; raises NotPublished and UnknownBoard."""
    publication = whitelist.publication()
    tools = [
        EmbedTool(
            id=row["id"], name=row["name"], vendor_name=row["vendor_name"],
            category=row["category"], category_label=row["category_label"],
            levels=row["level_codes"], verdict=row["verdict"],
            verdict_label=row["verdict_label"], conditions=row["conditions"],
            link=check_path(board) + "?" + urllib.parse.urlencode({"q": row["name"]}),
            changes_on=row["changes_on"], next_verdict=row["next_verdict"],
            next_verdict_label=row["next_verdict_label"], warning=row["warning"],
        )
        for row in whitelist.allowed(level, category, today, board)
    ]
    return publication, tools


@get(
    "/api/embed/tools",
    tags=["public"],
    summary="Allowed tools for a level and category, to show on a school's website (CORS: any origin)",
    middleware=[EMBED_LIMIT.middleware],
    responses=problems(400, 404, 429, 503, notes=UNKNOWN_BOARD_NOTE),
    cache_control=CacheControlHeader(max_age=300, public=True),
)
async def embed_tools(
    request: Request,
    checking: NamedDependency[Checking],
    level: FromQuery[Level | None] = None,
    category: FromQuery[Category | None] = None,
    bestuur: Bestuur = None,
) -> Response[EmbedFeed]:
    """The tools allowed today, also when a verdict changed by itself since the publication;
    `warning` says when one changes within 60 days."""
    # One dependency (the whitelist and today), as the check: see `Checking`.
    try:
        publication, tools = allowed_tools(checking.whitelist, level, category, checking.today,
                                           bestuur)
        board = checking.whitelist.boards().boards[bestuur] if bestuur else None
    except NotPublished:
        raise not_published() from None
    except UnknownBoard as exc:
        return unknown_board(request, exc)
    return Response(EmbedFeed(publication=publication, level=level, category=category,
                              tools=tools, board=board))


HANDLERS = [check, embed_tools]
STAFF_HANDLERS = [stats]
"""Behind a token: the app that serves them gives them its guard."""
