"""Notices at /beheer/meldingen: the signed-in account turns its daily e-mail digest
(`registry.digest`) on or off, and sees whether the server sends e-mail at all. Open to
every account with a role; each account changes only its own preference (a POST with a
CSRF token, audited, then a redirect back that says what was done).
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from registry.backoffice.access import SignedInAccount, signed_in
from registry.db import Registry
from registry.labels.notices import DIGEST_CHOICE, DIGEST_SAVED, MAIL_OFF
from registry.models import Role

NOTICES = "/beheer/meldingen"
GUARDS = [signed_in(Role.procurement)]
"""Procurement is the least role: every account with a role."""
FIELD = "overzicht"
SAVED = {"aan": True, "uit": False}


@get(NOTICES, guards=GUARDS, name="meldingen", include_in_schema=False)
async def notices_page(request: Request, registry: NamedDependency[Registry],
                       account: SignedInAccount) -> Template:
    saved = SAVED.get(request.query_params.get("gedaan") or "")
    smtp = request.app.state.settings.smtp
    return Template(template_name="beheer/meldingen.html", context={
        "account": account, "section": "notices", "field": FIELD, "choice": DIGEST_CHOICE,
        "wants": registry.accounts.get(account.id).wants_digest,
        "mail_on": smtp.enabled, "mail_off": MAIL_OFF,
        "done": None if saved is None else DIGEST_SAVED[saved],
    })


@post(NOTICES, guards=GUARDS, include_in_schema=False)
async def save_notices(request: Request, registry: NamedDependency[Registry],
                       account: SignedInAccount) -> Response:
    form = await request.form()
    wanted = str(form.get(FIELD) or "") == "1"
    registry.accounts.set_digest(account.id, wanted, account.actor)
    return Redirect(f"{NOTICES}?gedaan={'aan' if wanted else 'uit'}", status_code=303)


HANDLERS = [notices_page, save_notices]
