"""Teachers' review requests under /beheer/aanvragen: the inbox (open first, with how often and
when each was asked for, and whether the tool is on the list already under another name) and
a request's page with every ask, where procurement links a tool, starts a new one with the
request's name and address filled in, closes the request with a reason, or opens it again.
For procurement staff (and the roles above); every change is a POST with a CSRF token and
the version it was read at, audited by `registry.reviews.update`, then a redirect (303).
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
import urllib.parse
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from registry import domains, labels
from registry.backoffice.access import Account, SignedInAccount
from registry.backoffice.lists import GUARDS, PAGE_SIZE, number, record_url
from registry.db import Registry
from registry.errors import Invalid, PreconditionFailed
from registry.labels.requests import (
    CLOSED_REASON_LABELS,
    INBOX_STATUS_LABELS,
    REQUEST_DONE,
    REQUEST_ERRORS,
    REQUEST_WORDS,
)
from registry.models import ClosedReason, ReviewRequest, ReviewRequestUpdate, ReviewStatus
from registry.whitelist.reader import NotPublished, PublishedWhitelist

INBOX_FILTERS = {"open": "open", "gekoppeld": "linked", "afgehandeld": "closed"}
"""The inbox's status filter: the Dutch query value (a word of the URL) and its status."""

INBOX = "/beheer/aanvragen"
MAX_NOTE = 5000  # as `LongText`, the models' notes
MAX_PAGE = 2_000


def suggested_id(text: str) -> str:
    """The id a new tool made from a request gets at first: its name as a slug."""
    return domains.name_key(text or "").replace(" ", "-")[:64].strip("-")


def _title(request: ReviewRequest) -> str:
    return request.tool_name or request.host or request.url or request.id


def new_tool_link(request: ReviewRequest) -> str:
    """The tool form, filled in with the request's name and address."""
    params = {"naam": request.tool_name or request.host or ""}
    if request.url:
        params["website"] = request.url
    return "/beheer/tools/nieuw?" + urllib.parse.urlencode(params)


def _on_the_whitelist(whitelist: PublishedWhitelist, request: ReviewRequest, today: dt.date
                      ) -> tuple[str, str] | None:
    """The published tool a request's address (or exact name) finds, as the check finds it."""
    question = request.host or request.tool_name
    if not question:
        return None
    try:
        answer = whitelist.check_kept(question, today)
    except NotPublished:
        return None
    tool = answer.tool if answer.status == "found" else None
    if tool is None or (not request.host and domains.name_key(tool.name) != domains.name_key(
            request.tool_name)):
        return None
    return tool.id, tool.name


def matches(registry: Registry, whitelist: PublishedWhitelist, today: dt.date,
            requests: list[ReviewRequest]) -> dict[str, tuple[str, str]]:
    """Per unlinked request, a tool it may be about: a registered tool of that name (or with
    the id a tool made from it got), else the published tool its address or name finds.
    Through indexes only (names, ids, the whitelist's domains): fast at 100,000 tools."""
    open_ones = [r for r in requests if r.tool_id is None]
    registered = registry.reviews.tools_named(
        {r.tool_name for r in open_ones if r.tool_name},
        {suggested_id(_title(r)) for r in open_ones})
    found = {}
    for request in open_ones:
        name, slug = (request.tool_name or "").casefold(), suggested_id(_title(request))
        hit = next((t for t in registered if t[1].casefold() == name or t[0] == slug), None)
        found[request.id] = hit or _on_the_whitelist(whitelist, request, today)
    return {request_id: hit for request_id, hit in found.items() if hit}


# --- the inbox --------------------------------------------------------------------------------


def _row(request: ReviewRequest, match: tuple[str, str] | None, linked: dict[str, Any]) -> dict:
    last = request.last_asked_at or request.created_at
    tool = linked.get(request.tool_id) if request.tool_id else None
    return {
        "request": request, "title": _title(request), "host": request.host,
        "href": f"{INBOX}/{request.id}", "count": request.count,
        "first": labels.dutch_date(request.created_at.date()),
        "last": labels.dutch_date(last.date()),
        "status": INBOX_STATUS_LABELS[request.status],
        "match": REQUEST_WORDS["already_listed_as"].format(name=match[1]) if match else None,
        "match_href": record_url("tools", match[0]) if match else None,
        "linked": tool.name if tool else request.tool_id,
    }


@get(INBOX, guards=GUARDS, include_in_schema=False)
async def inbox_page(request: Request, registry: NamedDependency[Registry],
                     whitelist: NamedDependency[PublishedWhitelist],
                     today: NamedDependency[dt.date], account: SignedInAccount) -> Template:
    query = request.query_params
    chosen = query.get("status") or ""
    chosen = chosen if chosen in INBOX_FILTERS else ""
    q = (query.get("q") or "").strip()[:200]
    at = min(max(number(query.get("pagina") or "") or 1, 1), MAX_PAGE)
    offset = (at - 1) * PAGE_SIZE
    items, total = registry.reviews.inbox(INBOX_FILTERS.get(chosen), q, PAGE_SIZE, offset)
    found = matches(registry, whitelist, today, items)
    linked = registry.records_by_id("tools", {r.tool_id for r in items if r.tool_id})
    base = {k: v for k, v in {"status": chosen, "q": q}.items() if v}

    def link(n: int) -> str:
        params = base | ({"pagina": str(n)} if n > 1 else {})
        return INBOX + ("?" + urllib.parse.urlencode(params) if params else "")

    return Template("beheer/aanvragen.html", context={
        "account": account, "section": "requests", "q": q, "chosen": chosen,
        "filters": {word: INBOX_STATUS_LABELS[status] for word, status in INBOX_FILTERS.items()},
        "rows": [_row(r, found.get(r.id), linked) for r in items], "total": total,
        "first": offset + 1 if items else 0, "last": offset + len(items),
        "previous": link(at - 1) if at > 1 else None,
        "next": link(at + 1) if offset + len(items) < total else None,
    })


# --- one request ------------------------------------------------------------------------------


def _request_page(registry: Registry, whitelist: PublishedWhitelist, today: dt.date,
                  account: Account, request_id: str, *, errors: dict[str, str] | None = None,
                  values: dict[str, str] | None = None, done: str | None = None,
                  stale: bool = False, status: int = 200) -> Template:
    review = registry.reviews.get(request_id)
    tool = None
    if review.tool_id:
        tool = registry.records_by_id("tools", [review.tool_id]).get(review.tool_id)
    match = matches(registry, whitelist, today, [review]).get(review.id)
    return Template("beheer/aanvraag.html", status_code=status, context={
        "account": account, "section": "requests", "review": review, "title": _title(review),
        "asks": registry.reviews.asks(review.id), "empty": REQUEST_WORDS["empty"],
        "dutch_datetime": labels.dutch_datetime, "dutch_date": labels.dutch_date,
        "status_label": INBOX_STATUS_LABELS[review.status], "tool": tool,
        "tool_href": record_url("tools", review.tool_id) if review.tool_id else None,
        "match": match, "match_href": record_url("tools", match[0]) if match else None,
        "reasons": CLOSED_REASON_LABELS, "new_tool": new_tool_link(review),
        "errors": errors or {}, "values": values or {}, "done": REQUEST_DONE.get(done or ""),
        "stale": REQUEST_ERRORS["stale"] if stale else None, "max_note": MAX_NOTE,
    })


@get(f"{INBOX}/{{request_id:str}}", guards=GUARDS, include_in_schema=False)
async def request_page(request: Request, registry: NamedDependency[Registry],
                       whitelist: NamedDependency[PublishedWhitelist],
                       today: NamedDependency[dt.date], account: SignedInAccount,
                       request_id: FromPath[str]) -> Template:
    return _request_page(registry, whitelist, today, account, request_id,
                         done=request.query_params.get("gedaan"))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(form.get(key) or "").strip() for key in form.keys()
            if isinstance(form.get(key), str)}


def _change(registry: Registry, request_id: str, change: ReviewRequestUpdate, account: Account,
            version: str) -> None:
    """Save a change made on the version the form was read at (PreconditionFailed if stale)."""
    expected = {number(version)} if number(version) is not None else set()
    registry.reviews.update(request_id, change, account.actor, expected)


@post(f"{INBOX}/{{request_id:str}}/koppelen", guards=GUARDS, include_in_schema=False)
async def link_tool(request: Request, registry: NamedDependency[Registry],
                    whitelist: NamedDependency[PublishedWhitelist],
                    today: NamedDependency[dt.date], account: SignedInAccount,
                    request_id: FromPath[str]) -> Template | Redirect:
    values = await _form(request)
    tool_id = values.get("tool", "").lower()[:200]
    registry.reviews.get(request_id)  # NotFound: the 404 page
    error = None
    if not tool_id:
        error = REQUEST_ERRORS["tool_missing"]
    elif not registry.records_by_id("tools", [tool_id]):
        error = REQUEST_ERRORS["tool_unknown"].format(id=tool_id)
    if error is None:
        try:
            _change(registry, request_id, ReviewRequestUpdate(
                status=ReviewStatus.linked, tool_id=tool_id), account, values.get("versie", ""))
        except PreconditionFailed:
            return _request_page(registry, whitelist, today, account, request_id, stale=True,
                                 status=409)
        except Invalid:  # archived or removed meanwhile
            error = REQUEST_ERRORS["tool_unknown"].format(id=tool_id)
        else:
            return Redirect(f"{INBOX}/{request_id}?gedaan=gekoppeld", status_code=303)
    return _request_page(registry, whitelist, today, account, request_id,
                         errors={"tool": error}, values=values, status=422)


@post(f"{INBOX}/{{request_id:str}}/afsluiten", guards=GUARDS, include_in_schema=False)
async def close_request(request: Request, registry: NamedDependency[Registry],
                        whitelist: NamedDependency[PublishedWhitelist],
                        today: NamedDependency[dt.date], account: SignedInAccount,
                        request_id: FromPath[str]) -> Template | Redirect:
    values = await _form(request)
    registry.reviews.get(request_id)
    errors = {}
    if values.get("reden") not in CLOSED_REASON_LABELS:
        errors["reden"] = REQUEST_ERRORS["reason_missing"]
    note = values.get("toelichting", "").replace("\r\n", "\n")
    if len(note) > MAX_NOTE:
        errors["toelichting"] = REQUEST_ERRORS["note_too_long"].format(max=MAX_NOTE)
    if errors:
        return _request_page(registry, whitelist, today, account, request_id, errors=errors,
                             values=values, status=422)
    change = ReviewRequestUpdate(status=ReviewStatus.closed,
                                 closed_reason=ClosedReason(values["reden"]),
                                 closed_note=note or None)
    try:
        _change(registry, request_id, change, account, values.get("versie", ""))
    except PreconditionFailed:
        return _request_page(registry, whitelist, today, account, request_id, stale=True,
                             status=409)
    return Redirect(f"{INBOX}/{request_id}?gedaan=afgesloten", status_code=303)


@post(f"{INBOX}/{{request_id:str}}/heropenen", guards=GUARDS, include_in_schema=False)
async def reopen_request(request: Request, registry: NamedDependency[Registry],
                         whitelist: NamedDependency[PublishedWhitelist],
                         today: NamedDependency[dt.date], account: SignedInAccount,
                         request_id: FromPath[str]) -> Template | Redirect:
    values = await _form(request)
    try:
        _change(registry, request_id, ReviewRequestUpdate(status=ReviewStatus.open), account,
                values.get("versie", ""))
    except PreconditionFailed:
        return _request_page(registry, whitelist, today, account, request_id, stale=True,
                             status=409)
    return Redirect(f"{INBOX}/{request_id}?gedaan=heropend", status_code=303)


HANDLERS = [inbox_page, request_page, link_tool, close_request, reopen_request]
