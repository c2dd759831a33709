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
from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, QueryParameter

from registry.labels import CATEGORY_LABELS, LEVEL_LABELS, NOT_PUBLISHED
from registry.limits import CHECK_LIMIT, EMBED_LIMIT
from registry.problem import problems
from registry.whitelist.check import (
    ChangeWarning,
    ChangesOn,
    CheckAnswer,
    NextVerdict,
    PublicationRef,
)
from registry.whitelist.reader import NotPublished, PublishedWhitelist
from registry.whitelist.stats import CheckCounter, Checking, DayCount

Level = Literal[tuple(LEVEL_LABELS)]
Category = Literal[tuple(CATEGORY_LABELS)]


def not_published() -> HTTPException:
    return HTTPException(status_code=503, detail=NOT_PUBLISHED)


@get(
    "/api/check",
    tags=["public"],
    summary="May I use this tool? A pasted URL or a name, answered from the published whitelist",
    middleware=[CHECK_LIMIT.middleware],
    responses=problems(400, 429, 503),
    cache_control=None,
)
async def check(
    checking: NamedDependency[Checking],
    q: Annotated[str, QueryParameter(min_length=1, max_length=4000,
                                     description="A URL (with or without https://) or a name.")],
    level: Annotated[Level | None, QueryParameter(
        description="The school type the teacher works in (PO, VO, SO): a tool for another "
                    "one, or for older pupils, says so in `tool.level_warning`.")] = None,
) -> Response[CheckAnswer]:
    """Every verdict in the answer is the one valid today (`tool.valid_on`), also when it
    changed by itself since the publication; `tool.warning` warns 60 days before it changes."""
    try:
        status, answer = checking.whitelist.check_json(q, checking.today, level)
    except NotPublished:
        raise not_published() from None
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


class EmbedFeed(msgspec.Struct, kw_only=True):
    publication: PublicationRef
    level: str | None
    category: str | None
    tools: list[EmbedTool]


def allowed_tools(whitelist: PublishedWhitelist, level: str | None, category: str | None,
                  today: dt.date | None = None) -> tuple[PublicationRef, list[EmbedTool]]:
    """The tools allowed on `today` by name, and the publication they come from; raises
    NotPublished."""
    publication = whitelist.publication()
    tools = [
        EmbedTool(
            id=row["id"], name=row["name"], vendor_name=row["vendor_name"],
            category=row["category"], category_label=row["category_label"],
            levels=row["level_codes"], verdict=row["verdict"],
            verdict_label=row["verdict_label"], conditions=row["conditions"],
            link="/?" + urllib.parse.urlencode({"q": row["name"]}),
            changes_on=row["changes_on"], next_verdict=row["next_verdict"],
            next_verdict_label=row["next_verdict_label"], warning=row["warning"],
        )
        for row in whitelist.allowed(level, category, today)
    ]
    return publication, tools


@get(
    "/api/embed/tools",
    tags=["public"],
    summary="Allowed tools for a level and category, to show on a school's website (CORS: any origin)",
    middleware=[EMBED_LIMIT.middleware],
    responses=problems(400, 429, 503),
    cache_control=CacheControlHeader(max_age=300, public=True),
)
async def embed_tools(
    checking: NamedDependency[Checking],
    level: FromQuery[Level | None] = None,
    category: FromQuery[Category | None] = None,
) -> EmbedFeed:
    """The tools allowed today, also when a verdict changed by itself since the publication;
    `warning` says when one changes within 60 days."""
    # One dependency (the whitelist and today), as the check: see `Checking`.
    try:
        publication, tools = allowed_tools(checking.whitelist, level, category, checking.today)
    except NotPublished:
        raise not_published() from None
    return EmbedFeed(publication=publication, level=level, category=category, tools=tools)


HANDLERS = [check, embed_tools]
STAFF_HANDLERS = [stats]
"""Behind a token: the app that serves them gives them its guard."""
