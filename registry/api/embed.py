"""The embed feed: the allowed tools for a level and category, for a school's own website.

Anonymous and rate limited like the check. `registry/headers.py` gives this path (and only
this one) `Access-Control-Allow-Origin: *`, so `static/embed.js` on a school's page can read
it; `/embed` is the same list as a page to show in a frame.
"""

from __future__ import annotations

import urllib.parse

import msgspec
from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromQuery

from registry import models
from registry.api.limits import EMBED_LIMIT
from registry.api.problems import problems
from registry.api.public import not_published
from registry.check import NotPublished, PublicationRef

class EmbedTool(msgspec.Struct, kw_only=True):
    id: str
    name: str
    vendor_name: str
    category: str
    category_label: str
    levels: list[str]
    verdict: str
    verdict_label: str
    conditions: list[str]
    link: str
    """The answer on the check page, relative to this server."""


class EmbedFeed(msgspec.Struct, kw_only=True):
    publication: PublicationRef
    level: str | None
    category: str | None
    tools: list[EmbedTool]


def allowed_tools(request: Request, level: str | None, category: str | None
                  ) -> tuple[PublicationRef, list[EmbedTool]]:
    """The allowed tools by name, and the publication they come from; raises NotPublished."""
    whitelist = request.app.state.whitelist
    publication = whitelist.publication()
    tools = [
        EmbedTool(
            id=row["id"], name=row["name"], vendor_name=row["vendor_name"],
            category=row["category"], category_label=row["category_label"],
            levels=row["level_codes"], verdict=row["verdict"],
            verdict_label=row["verdict_label"], conditions=row["conditions"],
            link="/?" + urllib.parse.urlencode({"q": row["name"]}),
        )
        for row in whitelist.allowed(level, category)
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
    request: Request,
    level: FromQuery[models.Level | None] = None,
    category: FromQuery[models.Category | None] = None,
) -> EmbedFeed:
    try:
        publication, tools = allowed_tools(request, level, category)
    except NotPublished:
        raise not_published() from None
    return EmbedFeed(publication=publication, level=level, category=category, tools=tools)


HANDLERS = [embed_tools]
