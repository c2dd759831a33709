"""The public pages, in plain Dutch: the teacher check at `/` with the review request form,
the explanation, the embed page a school shows in a frame and the help page for embedding.

Rendered on the server, so they work without JavaScript, set no cookies and need no
third-party assets (registry/headers.py makes the browser refuse any).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.datastructures import CacheControlHeader
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from registry import models
from registry.api.embed import allowed_tools
from registry.api.limits import CHECK_LIMIT, EMBED_LIMIT, REVIEW_LIMIT
from registry.api.public import ask_for_review
from registry.check import NotPublished
from registry.errors import RegistryError, decode
from registry.publish.rows import CATEGORY_LABELS

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
WHITELIST_PREFIX = "/lijst"
DATABASE = "witte-lijst"

# (code, label, icon, what it means, what a teacher does next)
VERDICTS = [
    ("allowed", "Toegestaan", "✔",
     "De tool voldoet aan alle eisen.",
     "Je mag de tool in de les gebruiken."),
    ("allowed_with_conditions", "Toegestaan onder voorwaarden", "!",
     "De tool voldoet aan de eisen, maar alleen als je je aan de voorwaarden houdt.",
     "Lees de voorwaarden bij het oordeel. Gebruik de tool alleen zo."),
    ("not_allowed", "Niet toegestaan", "✖",
     "De tool voldoet niet aan een of meer eisen. Bij het oordeel staat welke.",
     "Gebruik de tool niet met leerlingen. Kies een tool die wel is toegestaan."),
    ("under_review", "In beoordeling", "…",
     "We onderzoeken de tool nu. Er is nog geen oordeel.",
     "Gebruik de tool nog niet met gegevens van leerlingen. Kijk later nog eens."),
    ("not_assessed", "Niet beoordeeld", "?",
     "Niemand heeft de tool nog onderzocht.",
     "Gebruik de tool niet met gegevens van leerlingen. Vraag om een beoordeling."),
]
LEVELS = {"PO": "primair onderwijs", "VO": "voortgezet onderwijs", "SO": "speciaal onderwijs"}
CATEGORIES = {str(code): label for code, label in CATEGORY_LABELS.items()}
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december"]
FAVICON = (STATIC / "favicon.svg").read_bytes()


def dutch_date(iso: str) -> str:
    """'2026-11-28' or '2026-11-28T10:00:00Z' → '28 november 2026'."""
    year, month, day = iso[:10].split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {year}"


def _context(request: Request, **extra) -> dict:
    try:
        publication = request.app.state.whitelist.publication()
    except NotPublished:
        publication = None
    return {
        "publication": publication,
        "published_on": dutch_date(publication.published_at) if publication else None,
        "verdicts": VERDICTS,
        "icons": {code: icon for code, _, icon, _, _ in VERDICTS},
        "next_steps": {code: step for code, _, _, _, step in VERDICTS},
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
        else:
            request.app.state.stats.count(request.app.state.today(), answer.status)
    return Template("check.html", context=_context(request, q=q or "", answer=answer))


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
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    if cross_site(request):
        # Another website must not ask in a visitor's name (and count once more with it).
        return Template("geweigerd.html", status_code=403, context=_context(request))
    fields = {k: v.strip() for k, v in data.items()
              if k in ("tool_name", "url", "school", "reason") and v.strip()}
    try:
        review = decode(fields, models.ReviewRequestIn)
    except RegistryError:
        return Template("check.html", context=_context(
            request, q="", answer=None, request_error=(
                "Vul de naam of het webadres van de tool in. Dan kunnen we hem beoordelen."),
        ))
    ask_for_review(request, review)
    return Template("check.html", context=_context(request, q="", answer=None, requested=True))


@get("/uitleg", include_in_schema=False)
async def explanation_page(request: Request) -> Template:
    return Template("uitleg.html", context=_context(request))


def _choice(niveau: str | None, categorie: str | None) -> tuple[str | None, str | None, str | None]:
    """(level, category, problem): the embed parameters checked, with a Dutch sentence if wrong."""
    level = (niveau or "").strip().upper() or None
    category = (categorie or "").strip().lower() or None
    if level and level not in LEVELS:
        return None, None, f"Het niveau '{niveau}' kennen we niet. Kies PO, VO of SO."
    if category and category not in CATEGORIES:
        return None, None, (f"De soort tool '{categorie}' kennen we niet. Kies een van deze: "
                            + ", ".join(f"{code} ({label})" for code, label in CATEGORIES.items())
                            + ".")
    return level, category, None


def _title(level: str | None, category: str | None) -> str:
    """'Toegestane tools voor het primair onderwijs: Oefenen'."""
    title = "Toegestane tools"
    if level:
        title += f" voor het {LEVELS[level]}"
    if category:
        title += f": {CATEGORIES[category]}"
    return title


def embed_url(level: str | None, category: str | None) -> str:
    params = {k: v for k, v in (("niveau", level), ("categorie", category)) if v}
    return "/embed" + ("?" + urllib.parse.urlencode(params) if params else "")


@get("/embed", include_in_schema=False, middleware=[EMBED_LIMIT.middleware])
async def embed_page(
    request: Request,
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
    categorie: Annotated[str | None, QueryParameter(max_length=40)] = None,
) -> Template:
    level, category, problem = _choice(niveau, categorie)
    status, publication, tools = 400 if problem else 200, None, []
    if problem is None:
        try:
            publication, tools = allowed_tools(request, level, category)
        except NotPublished:
            status = 503
            problem = "Er is nog geen witte lijst gepubliceerd. Probeer het later opnieuw."
    return Template("embed.html", status_code=status, context={
        "title": _title(level, category), "tools": tools, "problem": problem,
        "publication": publication,
        "published_on": dutch_date(publication.published_at) if publication else None,
        "icons": {code: icon for code, _, icon, _, _ in VERDICTS},
    })


@get("/insluiten", include_in_schema=False)
async def embed_help_page(
    request: Request,
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
    categorie: Annotated[str | None, QueryParameter(max_length=40)] = None,
) -> Template:
    level, category, problem = _choice(niveau, categorie)
    origin = str(request.base_url).rstrip("/")
    return Template("insluiten.html", context=_context(
        request, level=level, category=category, problem=problem, levels=LEVELS,
        categories=CATEGORIES, origin=origin, embed_path=embed_url(level, category),
        title=_title(level, category),
    ))


@get("/favicon.ico", include_in_schema=False,
     cache_control=CacheControlHeader(max_age=86400, public=True))
async def favicon() -> Response[bytes]:
    return Response(FAVICON, media_type="image/svg+xml")


HANDLERS = [check_page, review_request_form, explanation_page, embed_page, embed_help_page,
            favicon]
