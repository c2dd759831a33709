"""Who may open which back-office page: every page and form under /beheer, read from the app's
route table (so pages added later are covered), × anonymous, each role, an account waiting for
approval, a disabled account, an expired session and an account of one school board (with
the admin role: its board alone keeps it out) → the expected answer.

`REQUIRED` is the table of each route's intended role; a route missing from it, or whose guard
asks another role, fails `test_every_back_office_route_has_the_role_the_table_says`.
`FOR_BOARDS` are the routes a board's account may use (its board's pages, and the record pages
of decisions and agreements, which show it only its own board's: tests/test_board_backoffice.py);
every other guarded route refuses it.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import urllib.parse

import pytest
from argon2 import PasswordHasher
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.auth import includes
from registry.models import Role

PUBLIC = None
REQUIRED: dict[tuple[str, str], Role | None] = {
    ("GET", "/beheer/inloggen"): PUBLIC,
    ("POST", "/beheer/inloggen"): PUBLIC,
    ("POST", "/beheer/uitloggen"): PUBLIC,
    ("GET", "/beheer/oidc/start"): PUBLIC,
    ("GET", "/beheer/oidc/terug"): PUBLIC,
    ("GET", "/beheer"): Role.procurement,
    ("GET", "/beheer/importeren"): Role.procurement,
    ("POST", "/beheer/importeren"): Role.procurement,
    ("POST", "/beheer/importeren/bevestigen"): Role.procurement,
    ("POST", "/beheer/importeren/annuleren"): Role.procurement,
    ("GET", "/beheer/accounts"): Role.admin,
    ("POST", "/beheer/accounts"): Role.admin,
    ("POST", "/beheer/accounts/{account_id:str}/rol"): Role.admin,
    ("POST", "/beheer/accounts/{account_id:str}/uitschakelen"): Role.admin,
    ("POST", "/beheer/accounts/{account_id:str}/inschakelen"): Role.admin,
    ("POST", "/beheer/accounts/{account_id:str}/bestuur"): Role.admin,
    ("GET", "/beheer/tokens"): Role.admin,
    ("POST", "/beheer/tokens"): Role.admin,
    ("POST", "/beheer/tokens/{token_id:str}/intrekken"): Role.admin,
    ("GET", "/beheer/aanvragen"): Role.procurement,
    ("GET", "/beheer/aanvragen/{request_id:str}"): Role.procurement,
    ("POST", "/beheer/aanvragen/{request_id:str}/koppelen"): Role.procurement,
    ("POST", "/beheer/aanvragen/{request_id:str}/afsluiten"): Role.procurement,
    ("POST", "/beheer/aanvragen/{request_id:str}/heropenen"): Role.procurement,
    ("GET", "/beheer/publiceren"): Role.publisher,
    ("POST", "/beheer/publiceren/voorbereiden"): Role.publisher,
    ("POST", "/beheer/publiceren/nu"): Role.publisher,
    ("POST", "/beheer/publiceren/{prepared_id:str}/goedkeuren"): Role.publisher,
    ("POST", "/beheer/publiceren/{prepared_id:str}/intrekken"): Role.publisher,
    ("GET", "/beheer/publicaties"): Role.procurement,
    ("GET", "/beheer/publicaties/{version:int}/terugzetten"): Role.publisher,
    ("POST", "/beheer/publicaties/{version:int}/terugzetten"): Role.publisher,
    ("GET", "/beheer/verloopt"): Role.procurement,
    ("GET", "/beheer/meldingen"): Role.procurement,
    ("POST", "/beheer/meldingen"): Role.procurement,
    ("GET", "/beheer/besturen/overzicht"): Role.procurement,
    ("GET", "/beheer/bestuur"): Role.procurement,
    ("GET", "/beheer/bestuur/{board_id:str}"): Role.procurement,
}
# Each kind of record has the same pages, all for procurement (and so for everyone above it).
for _kind in ("leveranciers", "tools", "besturen", "overeenkomsten", "beoordelingen", "besluiten"):
    _base = f"/beheer/{_kind}"
    _one = _base + "/{record_id:str}"
    REQUIRED |= {(method, path): Role.procurement for method, path in [
        ("GET", _base), ("GET", f"{_base}/nieuw"), ("POST", f"{_base}/nieuw"),
        ("GET", _one), ("POST", _one), ("POST", f"{_one}/archiveren"),
        ("GET", f"{_one}/geschiedenis"), ("POST", f"{_one}/terugzetten")]}
"""Each back-office route's intended role (None: open to anyone, such as the sign-in page)."""
FOR_BOARDS = {("GET", "/beheer/bestuur"), ("GET", "/beheer/bestuur/{board_id:str}")} | {
    (method, path) for method, path in REQUIRED
    if path.startswith(("/beheer/besluiten", "/beheer/overeenkomsten"))}
"""The routes a board's account may use (with the role REQUIRED says)."""
BOARD = "99002"

ACTORS = ("anonymous", "procurement", "publisher", "admin", "waiting", "disabled", "expired",
          "board")
PASSWORD = "een lang wachtwoord voor tests"
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # cheap: tests only
TODAY = dt.date(2026, 11, 28)


def settings(folder) -> Settings:
    return Settings(db_path=folder / "registry.db", today=lambda: TODAY, password_hasher=HASHER)


def back_office_routes(app) -> list[tuple[str, str, Role | None]]:
    """(method, path, the role its guards ask or None, whether they let a board's account in)
    of every back-office route, from the app's route table; its CSS and the OPTIONS answers
    are not pages."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not (
                route.path == "/beheer" or route.path.startswith("/beheer/")):
            continue
        if route.path.startswith("/beheer/static/"):
            continue
        for handler in route.route_handlers:
            guards = [g for g in handler.resolve_guards() if hasattr(g, "role")]
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path, guards[0].role if guards else None,
                              bool(guards) and guards[0].boards))
    return sorted(found, key=lambda r: (r[1], r[0]))


ROUTES = back_office_routes(create_app(Settings(db_path="/nonexistent/registry.db")))


def concrete(path: str) -> str:
    """A route's path with its parameters filled in (ids that do not exist)."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m[2] == "int" else "bestaat-niet", path)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = create_app(settings(tmp_path_factory.mktemp("access")))
    with TestClient(app) as lifespan:
        app.state.lifespan_client = lifespan
        yield app


def token_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page)[1]


def client_as(app, actor: str) -> TestClient:
    """A new client: anonymous, or signed in as a new account of the kind `actor` names."""
    client = TestClient(app)  # the app's lifespan is the module's
    if actor == "anonymous":
        client.get("/beheer/inloggen")  # the CSRF cookie, as a visitor's browser has it
        return client
    accounts = app.state.registry.accounts
    role = Role(actor) if actor in Role.__members__ else Role.procurement
    if actor == "board":  # every role: what keeps it out is its board
        role = Role.admin
    email = f"{actor}-{time.monotonic_ns()}@school.example"
    account = accounts.create(email, actor, None if actor == "waiting" else role, PASSWORD, "t",
                              board_id=BOARD if actor == "board" else None)
    signed = client.post("/beheer/inloggen", follow_redirects=False, data={
        "email": email, "wachtwoord": PASSWORD,
        "_csrf_token": token_of(client.get("/beheer/inloggen").text)})
    assert signed.status_code == 303, signed.text
    if actor == "disabled":
        accounts.disable(account.id, "test")
    if actor == "expired":
        sessions = app.state.registry.sessions
        sessions.renew(client.cookies["beheer_sessie"], app.state.backoffice.clock() - 1)
    return client


def expected(actor: str, needed: Role | None, method: str, path: str = "") -> str:
    if needed is None:
        return "open"
    if actor in ("anonymous", "disabled", "expired"):
        return "sign-in" if method == "GET" else "refused: signed out"
    if actor == "waiting":
        return "refused: waiting"
    if actor == "board":
        if (method, path) in FOR_BOARDS:
            return "allowed"
        return "board page" if (method, path) == ("GET", "/beheer") else "refused: board"
    return "allowed" if includes(Role(actor), needed) else "refused: role"


def answer_kind(response) -> str:
    location = response.headers.get("location", "")
    if response.status_code == 303 and location.startswith("/beheer/inloggen?volgende="):
        return "sign-in"
    if response.status_code == 303 and location == "/beheer/bestuur":
        return "board page"
    if response.status_code == 403:
        assert response.headers["content-type"].startswith("text/html")
        for words, kind in (("Je bent niet (meer) ingelogd", "refused: signed out"),
                            ("wacht op goedkeuring", "refused: waiting"),
                            ("niet de rol die hiervoor nodig is", "refused: role"),
                            ("Dit is niet voor je schoolbestuur", "refused: board"),
                            ("Dit formulier is niet meer geldig", "refused: csrf")):
            if words in response.text:
                return kind
        return "refused: other"
    assert response.status_code < 500, response.text[:500]
    return "answered"


def test_the_route_table_is_read():
    assert ("GET", "/beheer/accounts", Role.admin, False) in ROUTES
    assert ("POST", "/beheer/uitloggen", None, False) in ROUTES
    assert not any(path.startswith("/beheer/static") for _, path, _, _ in ROUTES)


def test_every_back_office_route_has_the_role_the_table_says():
    found = {(method, path): role for method, path, role, _ in ROUTES}
    missing = sorted(set(found) - set(REQUIRED))
    assert missing == [], f"add these routes to REQUIRED with their role: {missing}"
    assert {k: v for k, v in REQUIRED.items() if k in found and found[k] != v} == {}, (
        "these routes' guards ask another role than REQUIRED says")
    for_boards = {(method, path) for method, path, _, boards in ROUTES if boards}
    assert for_boards == FOR_BOARDS, "these routes let a board's account in, or not, unlike " \
        f"FOR_BOARDS: {sorted(for_boards ^ FOR_BOARDS)}"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("method", "path", "guarded", "boards"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_every_page_and_form_answers_each_kind_of_visitor_as_expected(
        app, actor, method, path, guarded, boards):
    needed = REQUIRED.get((method, path), guarded)
    client = client_as(app, actor)
    url = concrete(path)
    if method == "GET":
        response = client.get(url, follow_redirects=False)
    else:  # with a valid CSRF token: what is tested here is the guard
        token = token_of(client.get("/beheer/inloggen").text)
        response = client.request(method, url, data={"_csrf_token": token},
                                  follow_redirects=False)
    want = expected(actor, needed, method, path)
    got = answer_kind(response)
    if want in ("allowed", "open"):
        assert got == "answered", (actor, method, path, response.status_code)
    else:
        assert got == want, (actor, method, path, response.status_code)
    if want == "sign-in":
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(response.headers["location"]).query)
        assert query["volgende"] == [url]
        assert ("verlopen" in query) is (actor == "expired")


@pytest.mark.parametrize(("method", "path", "guarded", "boards"),
                         [r for r in ROUTES if r[0] != "GET"],
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES if m != "GET"])
def test_every_form_refuses_a_post_without_its_csrf_token(app, method, path, guarded, boards):
    client = client_as(app, "admin")
    response = client.request(method, concrete(path), data={"email": "x"},
                              follow_redirects=False)
    assert answer_kind(response) == "refused: csrf"


@pytest.mark.parametrize("actor", ["anonymous", "procurement"])
def test_an_unknown_back_office_address_gets_a_dutch_page_and_no_cookie(app, actor):
    client = client_as(app, actor)
    cookies = dict(client.cookies)
    page = client.get("/beheer/bestaat-niet", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Deze pagina bestaat niet" in page.text and 'href="/beheer"' in page.text
    assert "set-cookie" not in page.headers and dict(client.cookies) == cookies
    wrong = client.delete("/beheer/importeren", headers={"accept": "text/html"})
    assert wrong.status_code == 405 and "Dit kan hier niet" in wrong.text
    assert "POST" in wrong.headers["allow"]
    # Scripts and the API's clients keep the problem details.
    machine = client.get("/beheer/bestaat-niet", headers={"accept": "application/json"})
    assert machine.status_code == 404
    assert machine.headers["content-type"] == "application/problem+json"
