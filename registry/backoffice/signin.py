"""Signing in to the back office with e-mail address and password, and signing out.

The password is checked in a worker thread on a connection of its own (argon2 takes about
0.7 s). Failed sign-ins are counted in the database, so every worker process sees them:
after `ACCOUNT_LIMIT` failures for one e-mail address, or `ADDRESS_LIMIT` from one client
address, within `WINDOW` seconds, sign-in is refused with a Dutch message that says how long
to wait; a successful sign-in clears the account's count. An unknown address and a wrong
password get the same message after the same work (no account enumeration); an address is
counted whether it has an account or not.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import math
from pathlib import Path

import anyio.to_thread
import msgspec
from argon2 import PasswordHasher
from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from registry.backoffice import access, oidc
from registry.db import Registry

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = 15 * 60
WRONG = "Het e-mailadres of het wachtwoord klopt niet."
DISABLED = ("Dit account is uitgeschakeld. Vraag een beheerder van de witte lijst om het weer "
            "aan te zetten.")
NOTICES = {
    "uitgelogd": "Je bent uitgelogd.",
    "verlopen": "Je was een tijd niet actief en bent daarom uitgelogd. Log opnieuw in.",
}


class Outcome(msgspec.Struct, frozen=True):
    account_id: str | None = None
    error: str | None = None
    wait_minutes: int | None = None


def too_many(minutes: int) -> str:
    unit = "minuut" if minutes == 1 else "minuten"
    return f"Te veel mislukte pogingen. Probeer het over {minutes} {unit} opnieuw."


def wait_minutes(failures: list[float], limit: int, now: float) -> int | None:
    """Minutes until fewer than `limit` of these failures fall in the window, or None."""
    if len(failures) < limit:
        return None
    frees_at = failures[-limit] + WINDOW
    return max(1, math.ceil((frees_at - now) / 60))


def attempt(registry: Registry, email: str, password: str, address: str, now: float) -> Outcome:
    """Check a sign-in: throttled, refused (one message for every reason), or whose account."""
    keys = [f"account:{email.strip().lower()}", f"address:{address}"]
    since = now - WINDOW
    waits = [wait_minutes(registry.accounts.failures(key, since), limit, now)
             for key, limit in zip(keys, (ACCOUNT_LIMIT, ADDRESS_LIMIT), strict=True)]
    if any(waits):
        minutes = max(w for w in waits if w)
        return Outcome(error=too_many(minutes), wait_minutes=minutes)
    account = registry.accounts.verify_password(email, password)
    if account is None:
        registry.accounts.record_failure(keys, now, forget_before=since)
        return Outcome(error=WRONG)
    registry.accounts.clear_failures(keys[0])
    if account.disabled_at is not None:
        return Outcome(error=DISABLED)
    return Outcome(account_id=account.id)


def _attempt_in_thread(db_path: Path, hasher: PasswordHasher, email: str, password: str,
                       address: str, now: float) -> Outcome:
    registry = Registry(db_path)
    try:
        registry.accounts.hasher = hasher
        return attempt(registry, email, password, address, now)
    finally:
        registry.close()


def _page(request: Request, *, email: str = "", error: str | None = None, notice: str | None = None,
          target: str = "/beheer", status: int = 200, account: access.Account | None = None
          ) -> Template:
    return Template(template_name="beheer/inloggen.html", status_code=status, context={
        "account": account, "section": None, "email": email, "error": error, "notice": notice,
        "volgende": target, "oidc": _oidc_link(request, target),
    })


def _oidc_link(request: Request, target: str) -> str | None:
    """Where single sign-on starts, if the app has it configured."""
    settings = getattr(request.app.state, "settings", None)
    return oidc.start_url(target) if oidc.enabled(settings) else None


@get("/beheer/inloggen", include_in_schema=False)
async def sign_in_page(request: Request) -> Response:
    """The form; also for someone signed in already (to sign in as someone else)."""
    target = access.safe_next(request.query_params.get("volgende"))
    notice = next((text for key, text in NOTICES.items() if request.query_params.get(key)), None)
    if (account := await access.current_account(request)) is not None:
        notice = f"Je bent ingelogd als {account.email}. Hieronder log je in als iemand anders."
    return _page(request, notice=notice, target=target, account=account)


@post("/beheer/inloggen", include_in_schema=False, status_code=303)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email") or "").strip()
    password = str(form.get("wachtwoord") or "")
    target = access.safe_next(str(form.get("volgende") or ""))
    if not email or not password:
        missing = "je e-mailadres" if not email else "je wachtwoord"
        return _page(request, email=email, error=f"Vul {missing} in.", target=target, status=400)
    backoffice = request.app.state.backoffice
    address = request.client.host if request.client else "onbekend"
    outcome = await anyio.to_thread.run_sync(
        _attempt_in_thread, request.app.state.registry.path, backoffice.hasher, email, password,
        address, backoffice.clock())
    if outcome.account_id is None:
        status = 429 if outcome.wait_minutes else 400
        page = _page(request, email=email, error=outcome.error, target=target, status=status)
        if outcome.wait_minutes:
            page.headers["Retry-After"] = str(outcome.wait_minutes * 60)
        return page
    await access.start_session(request, outcome.account_id)
    return Redirect(target, status_code=303)


@post("/beheer/uitloggen", include_in_schema=False, status_code=303)
async def sign_out(request: Request) -> Redirect:
    await access.end_session(request)
    return Redirect(f"{access.SIGN_IN}?uitgelogd=1", status_code=303)


HANDLERS = [sign_in_page, sign_in, sign_out]
