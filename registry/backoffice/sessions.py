"""The back office's sessions and CSRF protection: the middleware of the `/beheer` router.

Both are middleware of the back office's router only (see `registry.backoffice.router`), not
of the app: a public path never passes through them, so it can never get a cookie. (Litestar's
app-wide `exclude` patterns could say the same with a negative lookahead, but Litestar warns
about a pattern that matches `/`, and an app-wide CSRF config adds a script to the API docs.)

- Sessions are server-side, in the registry database (`SessionStore`, on `registry.sessions`),
  so every worker process shares them. The cookie holds only a random id; it is HttpOnly,
  SameSite=Strict, scoped to `/beheer`, Secure when the public URL is https. A session expires
  after `idle` seconds without a request (renewed at most once a minute, which is a write).
- `SessionBackend` stores nothing for a visitor who is not signed in (Litestar's would store
  an empty session and set a cookie on every request), and gives a session a new id when
  `access.start_session` asks for one at sign-in (Litestar never rotates it: fixation).
- CSRF: Litestar's double-submit token, in a cookie scoped the same way and in every form as
  `{{ csrf_input | safe }}`; its key is kept in the database (`registry.sessions.secret`),
  so all workers accept each other's tokens. `/beheer/oidc/terug` (a GET that arrives from the
  identity provider) is left out of it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import FormMultiDict
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import Store


if TYPE_CHECKING:
    from litestar.connection import ASGIConnection
    from litestar.types import Message, ScopeSession

    from registry.db import Registry
    from registry.store.sessions import Sessions

PATH = "/beheer"
SESSION_COOKIE = "beheer_sessie"
CSRF_COOKIE = "beheer_csrf"
NEW_ID = "beheer.new_session_id"
"""Scope key: the id `access.start_session` chose for the session it starts."""
RENEW_AFTER = 60
"""Seconds: an unchanged session is renewed (written) at most this often."""
CSRF_EXCLUDE = [r"^/beheer/oidc/terug$"]


class SessionStore(Store):
    """A Litestar `Store` on `registry.sessions`, with a clock of its own (tests move it).

    Given the registry's connection at startup (`bind`); every call runs on the event loop
    and is one short query."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.sessions: Sessions | None = None

    def bind(self, registry: Registry) -> None:
        self.sessions = registry.sessions
        self.sessions.purge(self.clock())

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
                  ) -> None:
        # Litestar sets the session after every request that has one: unchanged data whose
        # expiry moves less than RENEW_AFTER is not written again (a write takes the lock).
        data = value.encode() if isinstance(value, str) else value
        expires_at = self._at(expires_in)
        current = self.sessions.get(key, self.clock())
        if current is None:
            self.sessions.purge(self.clock())  # a new session: forget those that expired
        elif current[0] == data and expires_at is not None and current[1] is not None and (
                expires_at - current[1] < RENEW_AFTER):
            return
        self.sessions.set(key, data, expires_at)

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        now = self.clock()
        found = self.sessions.get(key, now)
        if found is None:
            return None
        data, expires_at = found
        if renew_for is not None and expires_at is not None:
            renewed = self._at(renew_for)
            if renewed - expires_at >= RENEW_AFTER:
                self.sessions.renew(key, renewed)
        return data

    async def delete(self, key: str) -> None:
        self.sessions.delete(key)

    async def delete_all(self) -> None:
        self.sessions.delete_all()

    async def exists(self, key: str) -> bool:
        return self.sessions.get(key, self.clock()) is not None

    async def expires_in(self, key: str) -> int | None:
        found = self.sessions.get(key, self.clock())
        return None if found is None or found[1] is None else int(found[1] - self.clock())

    def _at(self, seconds: int | dt.timedelta | None) -> float | None:
        if seconds is None:
            return None
        if isinstance(seconds, dt.timedelta):
            seconds = seconds.total_seconds()
        return self.clock() + seconds


class SessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, minus an empty session per visitor, plus a new id at
    sign-in (see the module)."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        return connection.scope.get(NEW_ID) or super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection) -> None:
        if scope_session is Empty or not scope_session:
            if connection.cookies.get(self.config.key) or connection.scope.get(NEW_ID):
                await super().store_in_message(Empty, message, connection)  # delete, expire
            return
        await super().store_in_message(scope_session, message, connection)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend


class SharedCSRFConfig(CSRFConfig):
    """Litestar's CSRF settings, whose key `Protection.open` sets at startup. Litestar
    deep-copies a router (and so its middleware's arguments) when the app is built: this
    one stays itself, so the middleware sees the key set later."""

    def __deepcopy__(self, memo: dict) -> SharedCSRFConfig:
        return self


@dataclass
class Protection:
    """What the back office needs from the app's settings: the session store, the session and
    CSRF configurations and their middleware, the clock of sessions and sign-in throttling,
    and the argon2 parameters. Built by `create_app` (kept as `app.state.backoffice`);
    `open(registry)` at startup gives them the database."""

    idle_seconds: int
    secure: bool
    clock: Callable[[], float]
    hasher: PasswordHasher

    def __post_init__(self) -> None:
        self.store = SessionStore(self.clock)
        self.session = SessionConfig(
            key=SESSION_COOKIE, path=PATH, httponly=True, samesite="strict", secure=self.secure,
            max_age=self.idle_seconds, renew_on_access=True, store="beheer_sessions",
        )
        # A key of this process until `open` reads the one all workers share.
        self.csrf = SharedCSRFConfig(
            secret=secrets.token_hex(32), cookie_name=CSRF_COOKIE, cookie_path=PATH,
            cookie_httponly=True, cookie_samesite="strict", cookie_secure=self.secure,
            header_name="x-csrftoken", exclude=CSRF_EXCLUDE,
        )

    def open(self, registry: Registry) -> None:
        registry.accounts.hasher = self.hasher
        self.store.bind(registry)
        self.csrf.secret = registry.sessions.secret("csrf")

    def stores(self) -> dict[str, Store]:
        return {self.session.store: self.store}

    def middleware(self) -> list[Any]:
        """Uploads closed outermost, then the session, CSRF inside (Litestar wraps the first
        one outermost)."""
        return [close_uploads, self.session.middleware,
                DefineMiddleware(CSRFMiddleware, config=self.csrf)]


def close_uploads(app: ASGIApp) -> ASGIApp:
    """Close the temporary files of a parsed multipart body, whatever answered. Litestar closes
    them only after a handler ran; a request that the CSRF check or a guard refuses after the
    body was parsed would leave them open (Python warns when they are collected)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            form = ScopeState.from_scope(scope).form
            if form is not Empty:
                await FormMultiDict.from_form_data(form).close()

    return middleware
