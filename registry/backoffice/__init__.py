"""The back office under `/beheer`: Dutch staff pages for procurement, publishers and admins.

Server-rendered, working without JavaScript. Only this part of the app sets cookies (the
session and the CSRF token, both scoped to `/beheer`); the public side never does.
Each module holds one noun and exports `HANDLERS`; `sessions.py` holds the middleware.

`router(protection)` puts every handler on one router with the session and CSRF middleware,
the `account` dependency and Dutch error pages (`access.EXCEPTION_HANDLERS`): whatever is not
on it (the public side, and the back office's own CSS under /beheer/static) never passes
through them, so it never gets a cookie.
"""

from __future__ import annotations

from litestar import Litestar, Request, Response, Router

from registry.backoffice import access, admin, imports, oidc, overview, records, signin
from registry.backoffice.sessions import Protection
from registry.backoffice import expiry, notices
from registry.backoffice import publications
from registry.backoffice import requests
from registry.backoffice import publishing
from registry.backoffice import boards

HANDLERS = [
    *signin.HANDLERS,
    *oidc.HANDLERS,
    *admin.HANDLERS,
    *overview.HANDLERS,
    *records.HANDLERS,
    *imports.HANDLERS,
    *expiry.HANDLERS,
    *notices.HANDLERS,
    *publications.HANDLERS,
    *requests.HANDLERS,
    *publishing.HANDLERS,
    *boards.HANDLERS,
]


def router(protection: Protection) -> Router:
    """Every back-office page, behind its sessions and CSRF protection."""
    return Router("/", route_handlers=HANDLERS, middleware=protection.middleware(),
                  dependencies=access.DEPENDENCIES, exception_handlers=access.EXCEPTION_HANDLERS)


def _for_unknown_addresses(handler):
    """`handler` (an app-wide one: problem details), answering a browser that asks for an
    address under /beheer that no page has (a 404, or a method a page does not take) with
    the back office's Dutch error page instead."""
    if getattr(handler, "back_office_pages", False):
        return handler

    def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        path = request.url.path
        if (path == "/beheer" or path.startswith("/beheer/")) and 400 <= response.status_code < 500 \
                and "text/html" in request.headers.get("accept", "").lower():
            page = access.error_page(request, response.status_code)
            if allow := (response.headers or {}).get("allow"):
                page.headers["allow"] = allow
            return page
        return response

    handle.back_office_pages = True
    return handle


def install(app: Litestar) -> None:
    """Unknown back-office addresses get a Dutch page too: the router looks the app's own
    handlers up for paths no route has, so they are wrapped in place (as
    `registry.whitelist.errorpages.install` does for the public pages)."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _for_unknown_addresses(handler)
