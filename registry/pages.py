"""The public pages: the teacher check at `/` and the review request form, in plain Dutch.

Rendered on the server, so they work without JavaScript, set no cookies and need no
third-party assets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from registry import models
from registry.api.public import CHECK_LIMIT, REVIEW_LIMIT
from registry.check import NotPublished, review_target
from registry.errors import RegistryError, decode

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
WHITELIST_PREFIX = "/lijst"
DATABASE = "witte-lijst"

VERDICTS = [
    ("allowed", "Toegestaan", "✔",
     "De tool voldoet aan alle eisen. Je mag hem gebruiken."),
    ("allowed_with_conditions", "Toegestaan onder voorwaarden", "!",
     "Je mag de tool gebruiken als je je aan de voorwaarden houdt."),
    ("not_allowed", "Niet toegestaan", "✖",
     "De tool voldoet niet aan een of meer eisen. Gebruik hem niet met leerlingen. "
     "Kies een tool die wel is toegestaan."),
    ("under_review", "In beoordeling", "…",
     "De tool wordt nu onderzocht. Gebruik hem nog niet met gegevens van leerlingen."),
    ("not_assessed", "Niet beoordeeld", "?",
     "Niemand heeft de tool nog onderzocht. Gebruik hem niet met gegevens van leerlingen. "
     "Vraag om een beoordeling."),
]


def _context(request: Request, **extra) -> dict:
    try:
        publication = request.app.state.whitelist.publication()
    except NotPublished:
        publication = None
    return {
        "publication": publication,
        "verdicts": VERDICTS,
        "icons": {code: icon for code, _, icon, _ in VERDICTS},
        "whitelist_url": f"{WHITELIST_PREFIX}/{DATABASE}",
        **extra,
    }


@get("/", include_in_schema=False, middleware=[CHECK_LIMIT.middleware])
async def check_page(
    request: Request, q: Annotated[str | None, QueryParameter(max_length=4000)] = None
) -> Template:
    answer = None
    if q and q.strip():
        try:
            answer = request.app.state.whitelist.check(q)
        except NotPublished:
            answer = None
    return Template("check.html", context=_context(request, q=q or "", answer=answer))


@post("/aanvragen", include_in_schema=False, middleware=[REVIEW_LIMIT.middleware],
      status_code=200)
async def review_request_form(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    fields = {k: v.strip() for k, v in data.items()
              if k in ("tool_name", "url", "school", "reason") and v.strip()}
    try:
        review = decode(fields, models.ReviewRequestIn)
    except RegistryError:
        return Template("check.html", context=_context(
            request, q="", answer=None, request_error=(
                "Vul de naam of het webadres van de tool in. Dan kunnen we hem beoordelen."),
        ))
    host, key = review_target(review.url, review.tool_name)
    stored = request.app.state.registry.request_review(review, host, key)
    return Template("check.html", context=_context(request, q="", answer=None, requested=stored))


@get("/uitleg", include_in_schema=False)
async def explanation_page(request: Request) -> Template:
    return Template("uitleg.html", context=_context(request))


HANDLERS = [check_page, review_request_form, explanation_page]
