"""Errors on the public pages as Dutch HTML pages (`fout.html`) for a browser; problem details
(`registry.problem`) for everyone else.

A browser says it wants HTML (`Accept: text/html`); `curl`, scripts and the API's clients do
not, and keep the one error shape of the API. The API (/api) always answers with problem
details, and the back office (/beheer) keeps its own pages: its router's exception handlers
win over the app's for its routes, and an unknown /beheer address keeps the problem details
it had. Datasette under /lijst answers its own errors; only the rate limit in front of it
(a 429) comes here.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar import Request, Response
from litestar.response import Template

from registry.whitelist.pages import page_context

NOT_OURS = ("/api/", "/beheer")
"""Paths that never get a public HTML error page."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
KEPT_HEADERS = ("allow", "retry-after", "ratelimit-policy", "ratelimit-limit",
                "ratelimit-remaining", "ratelimit-reset")

Handler = Callable[[Request, Exception], Response]


def wants_html(request: Request) -> bool:
    """A browser asking for a public page."""
    path = request.url.path
    if path == "/api" or path.startswith(NOT_OURS):
        return False
    accept = request.headers.get("accept", "").lower()
    return any(kind in accept for kind in HTML_TYPES)


def error_page(request: Request, status: int, headers: dict[str, str]) -> Template:
    """`fout.html` for `status`, with the headers that tell a client what to do next."""
    wait = _retry_after_value(headers)
    context = page_context(request.app.state.whitelist, status=status, path=request.url.path,
                           method=request.method, retry_after=wait)
    return Template("fout.html", status_code=status, headers=headers, context=context)


def _retry_after_value(headers: dict[str, str]) -> int | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    return int(value) if value and str(value).isdigit() else None


def for_browsers(handler: Handler) -> Handler:
    """`handler` (which gives problem details, and logs what it must), answering a browser on
    a public page with `fout.html` instead, with the same status and the same next-step
    headers (Allow, Retry-After, RateLimit-*)."""
    if getattr(handler, "public_pages", False):
        return handler

    def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if not wants_html(request):
            return response
        headers = {k: str(v) for k, v in (response.headers or {}).items()
                   if k.lower() in KEPT_HEADERS}
        return error_page(request, response.status_code, headers)

    handle.public_pages = True
    return handle


def install(exception_handlers: dict) -> None:
    """Wrap each of an app's own handlers in place (`Litestar.exception_handlers`): the router
    looks them up there for unknown paths and wrong methods, so a copy would not be seen."""
    for key, handler in list(exception_handlers.items()):
        exception_handlers[key] = for_browsers(handler)
