"""The back office under `/beheer`: Dutch staff pages for procurement, publishers and admins.

Server-rendered, working without JavaScript. Only this part of the app sets cookies (the
session and the CSRF token, both scoped to `/beheer`); the public side never does.
Each module holds one noun and exports `HANDLERS`; `sessions.py` holds the middleware.
"""

from __future__ import annotations

from registry.backoffice import admin, imports, oidc, overview, records, signin

HANDLERS = [
    *signin.HANDLERS,
    *oidc.HANDLERS,
    *admin.HANDLERS,
    *overview.HANDLERS,
    *records.HANDLERS,
    *imports.HANDLERS,
]
