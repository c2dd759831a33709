"""Who is signed in to the back office, and what their role lets them do.

CONTRACT (used by every back-office module):
- `signed_in(role)` returns a Litestar guard: a request without a valid session is sent to
  the sign-in page (GET) or refused (other methods); an account whose role does not include
  `role` gets a Dutch 403 page. `Role.admin` includes publisher, publisher includes procurement.
- The dependency `account` (see `DEPENDENCIES`, given by the back office's router) gives the
  signed-in `Account` (None where no guard ran and nobody is signed in, as on the sign-in
  page); declare it as `account: access.SignedInAccount`. Its `actor` is the name every
  audit event records: the e-mail address.
- `await start_session(request, account_id)` signs an account in after its password or OIDC
  sign-in was checked: the old session is deleted and a new one, with a new id, is started
  (no session fixation). `await end_session(request)` signs out: the session is deleted on
  the server and its cookie expired.

A disabled account, or one that no longer exists, is treated as not signed in: its session
ends at its next request. An account without a role (a first OIDC sign-in, waiting for an
admin) is signed in but gets a Dutch "wacht op goedkeuring" page (403) on every guarded page.
An account scoped to one school board (`Account.board_id`) is refused (a Dutch 403 naming its
board) by every guard but those that opt in with `signed_in(role, boards=True)`: its board's
own pages and the record pages of its decisions and agreements, which then show and change
only that board's records (`registry.backoffice.boards.scope`). Its `/beheer` is its board's page.
Errors on the back office's router are Dutch HTML pages (`EXCEPTION_HANDLERS`), not problem
details: the 403s above, a failed CSRF check, and any HTTP or registry error a page does not
handle itself.
"""

from __future__ import annotations

import logging
import secrets
import urllib.parse
from typing import TYPE_CHECKING

import msgspec
from litestar import Request, Response
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.response import Redirect, Template

from registry.auth import includes
from registry.backoffice.sessions import NEW_ID, SESSION_COOKIE
from registry.errors import RegistryError
from registry.labels.records import NO_ROLE, ROLE_NAMES
from registry.models import Role

if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler

log = logging.getLogger(__name__)

SIGN_IN = "/beheer/inloggen"
ACCOUNT_KEY = "account"
"""The session's key for the signed-in account's id."""
_CACHED = "beheer.account"
_ENDED = "beheer.account_ended"
class Account(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    email: str
    name: str
    role: Role | None
    board_id: str | None = None
    """The school board this account works for (None: the sector)."""

    @property
    def actor(self) -> str:
        return self.email

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role] if self.role else NO_ROLE


class NotSignedIn(NotAuthorizedException):
    """No valid session: GET goes to the sign-in page, anything else gets a 403 page."""


class Refused(PermissionDeniedException):
    """Signed in, but this is not for this account (`reason`: "role", "waiting" or "board":
    a page for the sector, or another board's record, asked by a board's account)."""

    def __init__(self, reason: str, needed: Role | None = None):
        super().__init__(reason)
        self.reason = reason
        self.needed = needed


class ToBoardPage(NotAuthorizedException):
    """A board's account asked for the sector's overview: it goes to its board's page."""


BOARD_PAGE = "/beheer/bestuur"


async def current_account(connection: ASGIConnection) -> Account | None:
    """The signed-in account of this request, or None; a session of a disabled or removed
    account is ended. Read once per request."""
    state = connection.scope.setdefault("state", {})
    if _CACHED in state:
        return state[_CACHED]
    session = connection.scope.get("session")
    account_id = session.get(ACCOUNT_KEY) if isinstance(session, dict) else None
    account = None
    if account_id:
        found = connection.app.state.registry.accounts.find(account_id)
        if found is None or found.disabled_at is not None:
            connection.scope["session"] = {}  # the backend deletes it and expires the cookie
            state[_ENDED] = True  # not "expired": the sign-in page says nothing about it
        else:
            account = Account(id=found.id, email=found.email, name=found.name, role=found.role,
                              board_id=getattr(found, "board_id", None))
    state[_CACHED] = account
    return account


def signed_in(role: Role, boards: bool = False):
    """A guard: signed in with an account whose role includes `role`; a board's account only
    where `boards` (see the module)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        account = await current_account(connection)
        if account is None:
            raise NotSignedIn()
        if account.role is None:
            raise Refused("waiting")
        if not includes(account.role, role):
            raise Refused("role", role)
        if account.board_id is not None and not boards:
            if connection.scope.get("path") == "/beheer" and connection.scope.get(
                    "method") in ("GET", "HEAD"):
                raise ToBoardPage()
            raise Refused("board")
        connection.scope["state"]["actor"] = account.actor

    guard.__name__ = f"signed_in_{role}" + "_boards" * boards
    guard.role = role  # read by the tests' access matrix
    guard.boards = boards
    return guard


async def start_session(request: Request, account_id: str) -> None:
    """Sign `account_id` in: the old session (if any) is deleted, a new one with a new id
    holds the account (the cookie is set on this response)."""
    old = request.cookies.get(SESSION_COOKIE)
    store = request.app.state.backoffice.store
    if old:
        await store.delete(old)
    request.scope[NEW_ID] = secrets.token_hex(32)
    request.scope["session"] = {ACCOUNT_KEY: account_id}
    request.scope.setdefault("state", {}).pop(_CACHED, None)
    request.app.state.registry.accounts.signed_in(account_id)


async def end_session(request: Request) -> None:
    """Sign out: delete the session on the server and expire its cookie."""
    if old := request.cookies.get(SESSION_COOKIE):
        await request.app.state.backoffice.store.delete(old)
    request.scope["session"] = {}
    request.scope.setdefault("state", {})[_CACHED] = None


async def provide_account(request: Request) -> Account | None:
    return await current_account(request)


DEPENDENCIES = {"account": Provide(provide_account)}
SignedInAccount = NamedDependency[Account]
"""The annotation of a handler's `account` parameter (`account: access.SignedInAccount`):
Litestar wants a dependency named explicitly, and warns (an error in our tests) otherwise."""


# --- answers when access is refused -------------------------------------------------------------

def safe_next(target: str | None) -> str:
    """`target` if it is a page of the back office on this site, else the overview: the
    sign-in page never redirects anywhere else (no open redirect)."""
    if not target or any(c in target for c in "\\\r\n\t") or target.startswith("//"):
        return "/beheer"
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == "/beheer"
                                            or parts.path.startswith("/beheer/")):
        return "/beheer"
    if parts.path.rstrip("/") in (SIGN_IN, "/beheer/uitloggen"):
        return "/beheer"
    return target


def _sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"volgende": target}
    if request.cookies.get(SESSION_COOKIE) and not request.scope["state"].get(_ENDED):
        query["verlopen"] = "1"
    return f"{SIGN_IN}?{urllib.parse.urlencode(query)}"


def refused_page(request: Request, reason: str, status: int = 403, needed: Role | None = None
                 ) -> Template:
    return Template(
        template_name="beheer/bestuur-geweigerd.html" if reason == "board"
        else "beheer/geweigerd.html", status_code=status,
        context={"account": request.scope.get("state", {}).get(_CACHED), "section": None,
                 "reason": reason, "needed": ROLE_NAMES.get(needed), "path": request.url.path,
                 "sign_in": _sign_in_url(request)},
    )


def on_not_signed_in(request: Request, exc: NotSignedIn) -> Response:
    if request.method in ("GET", "HEAD"):
        return Redirect(_sign_in_url(request), status_code=303)
    return refused_page(request, "signed_out")


def on_to_board_page(request: Request, exc: ToBoardPage) -> Response:
    return Redirect(BOARD_PAGE, status_code=303)


def on_refused(request: Request, exc: Refused) -> Response:
    return refused_page(request, exc.reason, needed=exc.needed)


def on_forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    """A 403 that no guard of ours gave: Litestar's CSRF check (a missing or wrong token)."""
    return refused_page(request, "csrf" if "CSRF" in str(exc.detail) else "role")


ERROR_TITLES = {
    400: "Dit verzoek klopt niet",
    404: "Deze pagina bestaat niet",
    405: "Dit kan hier niet",
    409: "Dit botst met wat er al is",
    413: "Dit is te groot",
    422: "Dit klopt niet",
    429: "Te veel verzoeken",
    507: "De database is vol",
}


def error_page(request: Request, status: int) -> Template:
    title = ERROR_TITLES.get(status, "Er ging iets mis")
    return Template(template_name="beheer/fout.html", status_code=status,
                    context={"account": request.scope.get("state", {}).get(_CACHED),
                             "section": None, "status": status, "title": title})


def on_http_error(request: Request, exc: HTTPException) -> Response:
    return error_page(request, exc.status_code)


def on_registry_error(request: Request, exc: RegistryError) -> Response:
    return error_page(request, exc.status)


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_page(request, 500)


EXCEPTION_HANDLERS = {
    NotSignedIn: on_not_signed_in,
    ToBoardPage: on_to_board_page,
    Refused: on_refused,
    PermissionDeniedException: on_forbidden,
    HTTPException: on_http_error,
    RegistryError: on_registry_error,
    Exception: on_unexpected,
}
"""The back office answers in Dutch HTML pages, not problem details (`registry.backoffice`
puts them on its router)."""

__all__ = ["DEPENDENCIES", "EXCEPTION_HANDLERS", "Account", "SignedInAccount",
           "current_account", "end_session", "safe_next", "signed_in", "start_session"]
