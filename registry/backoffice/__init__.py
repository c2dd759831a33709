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

from litestar import Router

from registry.backoffice import access, admin, imports, oidc, overview, records, signin
from registry.backoffice.sessions import Protection

HANDLERS = [
    *signin.HANDLERS,
    *oidc.HANDLERS,
    *admin.HANDLERS,
    *overview.HANDLERS,
    *records.HANDLERS,
    *imports.HANDLERS,
]


def router(protection: Protection) -> Router:
    """Every back-office page, behind its sessions and CSRF protection."""
    return Router("/", route_handlers=HANDLERS, middleware=protection.middleware(),
                  dependencies=access.DEPENDENCIES, exception_handlers=access.EXCEPTION_HANDLERS)
