"""Back-office test fixtures: an app with cheap password hashing and a clock the test moves,
clients signed in with a role, and the CSRF token of a form.

A pytest plugin (conftest.py names it in `pytest_plugins`); ask for the fixtures by name:

- `backoffice_settings`: the `Settings` of the app (a new database without demo data, verdicts
  as on 28 November 2026, cheap argon2, `backoffice_clock`). Override it in a module for
  other settings, e.g. `dataclasses.replace(backoffice_settings, demo=True)`.
- `backoffice_clock`: the clock of sessions and sign-in throttling; `backoffice_clock.advance(
  minutes=31)` moves it (no sleeping).
- `backoffice_app`: the app, started (its lifespan runs) for the whole test.
- `backoffice_client`: an anonymous `TestClient` on it (cookies kept between requests).
- `staff_account(role, email=None, name=None, password=PASSWORD, disabled=False)`: creates an
  account (role None: waiting for approval) and returns it (`StaffAccount`: `.id`, `.email`).
- `staff_client(role, **account)`: a NEW `TestClient` on the same app, signed in through the
  real sign-in form as a fresh account with that role; `client.account` is the account. Call
  it twice for two officers at once. `base_url="https://testserver.local"` with an https
  `public_url`, so Secure cookies are sent.
- `csrf_token(client, path="/beheer/inloggen")`: the `_csrf_token` of the form on that page
  (a GET of it, which also sets the CSRF cookie); post it with the form's fields.
- `sign_in(client, email, password=PASSWORD)`: fills in and sends the sign-in form; returns
  the answer (303 when it worked).
- `post_form(client, path, data, page=None)`: POST `data` to `path` with the token read
  from `page` (default: `path`), redirects not followed; returns the response.

`PASSWORD` is the password of accounts made by these fixtures.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.models import Role
from registry.store.accounts import StaffAccount

PASSWORD = "een lang wachtwoord voor tests"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
"""argon2id with the least work it allows: for tests only (production keeps the defaults)."""
TODAY = dt.date(2026, 11, 28)
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


class Clock:
    """Seconds since the epoch that only move when the test says so."""

    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 0, minutes: float = 0) -> None:
        self.now += seconds + 60 * minutes


@pytest.fixture
def backoffice_clock() -> Clock:
    return Clock()


@pytest.fixture
def backoffice_settings(tmp_path: Path, backoffice_clock: Clock) -> Settings:
    return Settings(db_path=tmp_path / "registry.db", demo=False, today=lambda: TODAY,
                    wall_clock=backoffice_clock, password_hasher=FAST_HASHER)


@pytest.fixture
def backoffice_app(backoffice_settings: Settings) -> Iterator[Litestar]:
    app = create_app(backoffice_settings)
    with TestClient(app, base_url=_base_url(backoffice_settings)) as lifespan:
        app.state.lifespan_client = lifespan
        yield app


def _base_url(settings: Settings) -> str:
    secure = settings.public_url.lower().startswith("https://")
    return "https://testserver.local" if secure else "http://testserver.local"


@pytest.fixture
def backoffice_client(backoffice_app: Litestar) -> TestClient:
    return backoffice_app.state.lifespan_client


@pytest.fixture
def staff_account(backoffice_app: Litestar) -> Callable[..., StaffAccount]:
    counter = iter(range(1, 10_000))

    def make(role: Role | str | None, email: str | None = None, name: str | None = None,
             password: str | None = PASSWORD, disabled: bool = False) -> StaffAccount:
        n = next(counter)
        label = role or "wachtend"
        email = email or f"{label}{n}@school.example"
        accounts = backoffice_app.state.registry.accounts
        account = accounts.create(email, name or f"Medewerker {label} {n}",
                                  None if role is None else Role(role), password, "test")
        if disabled:
            account = accounts.disable(account.id, "test")
        return account

    return make


def read_csrf_token(client: TestClient, path: str = "/beheer/inloggen") -> str:
    page = client.get(path)
    found = CSRF_FIELD.search(page.text)
    assert found, f"no CSRF field in the form at {path} ({page.status_code})"
    return found[1]


@pytest.fixture
def csrf_token() -> Callable[..., str]:
    return read_csrf_token


@pytest.fixture
def post_form() -> Callable[..., object]:
    def post(client: TestClient, path: str, data: dict, page: str | None = None):
        token = read_csrf_token(client, page or path)
        return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)

    return post


def sign_in(client: TestClient, email: str, password: str = PASSWORD):
    """The sign-in form, filled in and sent; returns the answer (a 303 when it worked)."""
    token = read_csrf_token(client)
    return client.post("/beheer/inloggen", follow_redirects=False, data={
        "email": email, "wachtwoord": password, "_csrf_token": token})


@pytest.fixture
def staff_client(backoffice_app: Litestar, backoffice_settings: Settings,
                 staff_account) -> Callable[..., TestClient]:
    def make(role: Role | str | None, **account_fields) -> TestClient:
        account = staff_account(role, **account_fields)
        # Not entered: the app's lifespan is `backoffice_app`'s; this only keeps its cookies.
        client = TestClient(backoffice_app, base_url=_base_url(backoffice_settings))
        answer = sign_in(client, account.email, account_fields.get("password", PASSWORD))
        assert answer.status_code == 303, answer.text
        client.account = account
        return client

    return make


@pytest.fixture(name="sign_in")
def sign_in_fixture() -> Callable[..., object]:
    """`sign_in(client, email, password=PASSWORD)`: the sign-in form sent (see `sign_in`)."""
    return sign_in
