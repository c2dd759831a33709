"""The public pages, in plain Dutch: the teacher check at `/` with the review request form,
the explanation, the embed page a school shows in a frame and the help page for embedding.
(The form posts to the write side: `registry/api/public.py`.)

Rendered on the server, so they work without JavaScript, set no cookies and need no
third-party assets (registry/headers.py makes the browser refuse any).
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Annotated

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from registry.labels import (
    CATEGORY_LABELS as CATEGORIES,
    CHECK_WORDS,
    LEVEL_LABELS as LEVELS,
    LEVEL_SHORT_LABELS,
    NOT_PUBLISHED,
    VERDICT_LABELS,
    VERDICTS as VERDICT_WORDS,
    dutch_date,
    sentence,
)
from registry.labels.board_check import BOARD_CHECK_WORDS
from registry.limits import CHECK_LIMIT, EMBED_LIMIT
from registry.published import DATABASE
from registry.whitelist.api import allowed_tools, check_path
from registry.whitelist.boards import BoardRef, UnknownBoard
from registry.whitelist.reader import NotPublished, PublishedWhitelist
from registry.whitelist.stats import Checking

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
WHITELIST_PREFIX = "/lijst"

VERDICTS = [(code, *words) for code, words in VERDICT_WORDS.items()]
"""(code, label, icon, what it means, what a teacher does next), best first."""
ICONS = {code: words.icon for code, words in VERDICT_WORDS.items()}
FAVICON = (STATIC / "favicon.svg").read_bytes()


def page_context(whitelist: PublishedWhitelist, **extra) -> dict:
    """What every page shows: the publication, the verdicts' words, the whitelist's address."""
    try:
        publication = whitelist.publication()
    except NotPublished:
        publication = None
    return {
        "publication": publication,
        "published_on": dutch_date(publication.published_at) if publication else None,
        "verdicts": VERDICTS,
        "verdict_labels": VERDICT_LABELS,
        "icons": ICONS,
        "next_steps": {code: words.next_step for code, words in VERDICT_WORDS.items()},
        "whitelist_url": f"{WHITELIST_PREFIX}/{DATABASE}",
        "dutch_date": dutch_date,
        "sentence": sentence,
        "level": None,
        "level_choices": LEVEL_SHORT_LABELS,
        "level_words": CHECK_WORDS,
        "check_link": check_link,
        "check_path": "/",
        **extra,
    }


def check_link(q: str, level: str | None = None, board: str | None = None) -> str:
    """The check page's answer to `q`, keeping the teacher's school type (and board)."""
    return check_path(board) + "?" + urllib.parse.urlencode(
        {"q": q, **({"niveau": level} if level else {})})


@get("/", include_in_schema=False, middleware=[CHECK_LIMIT.middleware])
async def check_page(
    checking: NamedDependency[Checking],
    q: Annotated[str | None, QueryParameter(max_length=4000)] = None,
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    """The same kept answers as /api/check, with the verdicts valid today."""
    level, _, problem = _choice(niveau, None)
    answer = None
    if q and q.strip() and problem is None:
        try:
            answer = checking.whitelist.check_kept(q, checking.today, level)
        except NotPublished:
            answer = None
        else:
            checking.count(answer.status)
    return Template("check.html", status_code=400 if problem else 200, context=page_context(
        checking.whitelist, q=q or "", answer=answer, level=level, request_error=problem))


@get("/b/{board:str}", include_in_schema=False, middleware=[CHECK_LIMIT.middleware])
async def board_page(
    checking: NamedDependency[Checking],
    board: FromPath[str],
    q: Annotated[str | None, QueryParameter(max_length=4000)] = None,
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template | Redirect:
    """The check page for the teachers of one board: the sector verdict and the board's
    decision side by side. A school's BRIN or location code leads to its board's page."""
    try:
        boards = checking.whitelist.boards()
    except NotPublished:
        raise HTTPException(status_code=503, detail=NOT_PUBLISHED) from None
    found = boards.find(board) if len(board) <= 20 else None
    if found is None:
        raise NotFoundException(f"No school board or school with code {board[:20]!r}.")
    if found != board:
        kept = {k: v for k, v in (("q", q), ("niveau", niveau)) if v}
        return Redirect(check_path(found) + ("?" + urllib.parse.urlencode(kept) if kept else ""))
    level, _, problem = _choice(niveau, None)
    answer = None
    if q and q.strip() and problem is None:
        try:
            answer = checking.whitelist.check_kept(q, checking.today, level, found)
        except (NotPublished, UnknownBoard):  # replaced since: as with no publication
            answer = None
        else:
            checking.count(answer.status)
    return Template("bestuur.html", status_code=400 if problem else 200, context=page_context(
        checking.whitelist, q=q or "", answer=answer, level=level, request_error=problem,
        **board_context(boards.boards[found])))


def board_context(board: BoardRef) -> dict:
    """What a board's check page adds: the board, its form and its links."""
    return {
        "board": board, "board_words": BOARD_CHECK_WORDS, "check_path": check_path(board.id),
        "check_link": lambda q, level=None: check_link(q, level, board.id),
        "board_list_url": f"{WHITELIST_PREFIX}/{DATABASE}/board_verdicts?"
                          + urllib.parse.urlencode({"board_id": board.id}),
    }


@get("/uitleg", include_in_schema=False)
async def explanation_page(whitelist: NamedDependency[PublishedWhitelist]) -> Template:
    return Template("uitleg.html", context=page_context(whitelist))


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


def _board_choice(whitelist: PublishedWhitelist, bestuur: str | None
                  ) -> tuple[BoardRef | None, str | None]:
    """(board, problem): the board of a number or school code, with a Dutch sentence if
    there is none."""
    if not (bestuur or "").strip():
        return None, None
    try:
        boards = whitelist.boards()
    except NotPublished:
        return None, None
    found = boards.find(bestuur)
    if found is None:
        return None, BOARD_CHECK_WORDS["unknown_board"].format(board=bestuur.strip())
    return boards.boards[found], None


def _title(level: str | None, category: str | None, board: BoardRef | None = None) -> str:
    """'Toegestane tools voor het primair onderwijs: Oefenen', at a board's schools if given."""
    title = "Toegestane tools"
    if level:
        title += f" voor het {LEVELS[level]}"
    if category:
        title += f": {CATEGORIES[category]}"
    if board:
        title = BOARD_CHECK_WORDS["embed_title"].format(title=title, board=board.name)
    return title


def embed_url(level: str | None, category: str | None, board: str | None = None) -> str:
    params = {k: v for k, v in (("niveau", level), ("categorie", category), ("bestuur", board))
              if v}
    return "/embed" + ("?" + urllib.parse.urlencode(params) if params else "")


@get("/embed", include_in_schema=False, middleware=[EMBED_LIMIT.middleware])
async def embed_page(
    checking: NamedDependency[Checking],
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
    categorie: Annotated[str | None, QueryParameter(max_length=40)] = None,
    bestuur: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    """The tools allowed today (at a board's schools, with `bestuur`), with a warning for a
    verdict that changes soon."""
    level, category, problem = _choice(niveau, categorie)
    status, publication, tools = 400 if problem else 200, None, []
    board, board_problem = _board_choice(checking.whitelist, bestuur)
    if problem is None and board_problem:
        status, problem = 404, board_problem
    if problem is None:
        try:
            publication, tools = allowed_tools(checking.whitelist, level, category,
                                               checking.today, board.id if board else None)
        except (NotPublished, UnknownBoard):
            status = 503
            problem = NOT_PUBLISHED
    return Template("embed.html", status_code=status, context={
        "title": _title(level, category, board), "tools": tools, "problem": problem,
        "publication": publication,
        "published_on": dutch_date(publication.published_at) if publication else None,
        "icons": ICONS, "dutch_date": dutch_date,
    })


@get("/insluiten", include_in_schema=False)
async def embed_help_page(
    request: Request,
    whitelist: NamedDependency[PublishedWhitelist],
    niveau: Annotated[str | None, QueryParameter(max_length=20)] = None,
    categorie: Annotated[str | None, QueryParameter(max_length=40)] = None,
    bestuur: Annotated[str | None, QueryParameter(max_length=20)] = None,
) -> Template:
    level, category, problem = _choice(niveau, categorie)
    board, board_problem = _board_choice(whitelist, bestuur)
    origin = str(request.base_url).rstrip("/")
    board_id = board.id if board else None
    return Template("insluiten.html", context=page_context(
        whitelist, level=level, category=category, problem=problem or board_problem,
        levels=LEVELS, categories=CATEGORIES, origin=origin,
        embed_path=embed_url(level, category, board_id), title=_title(level, category, board),
        board=board, bestuur=(bestuur or "").strip(), board_words=BOARD_CHECK_WORDS,
        feed_query=urllib.parse.urlencode({k: v for k, v in (
            ("level", level), ("category", category), ("bestuur", board_id)) if v}),
    ))


@get("/favicon.ico", include_in_schema=False,
     cache_control=CacheControlHeader(max_age=86400, public=True))
async def favicon() -> Response[bytes]:
    return Response(FAVICON, media_type="image/svg+xml")


HANDLERS = [check_page, board_page, explanation_page, embed_page, embed_help_page, favicon]
