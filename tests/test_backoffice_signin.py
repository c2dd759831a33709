"""Signing in to the back office and out: sessions in the database with a new id at sign-in,
an idle timeout, CSRF on every form, cookies scoped to /beheer, throttling, no open redirect."""

from __future__ import annotations

import dataclasses
import re

import pytest

from registry.backoffice import access

pytestmark = pytest.mark.backoffice

WRONG = "Het e-mailadres of het wachtwoord klopt niet."


def cookie_headers(response) -> dict[str, str]:
    """Set-Cookie headers of a response by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def session_rows(app) -> int:
    return app.state.registry.sessions.count()


def test_signing_in_with_the_right_password_opens_the_back_office(backoffice_app,
                                                                   backoffice_client,
                                                                   staff_account, sign_in):
    account = staff_account("procurement", email="Juf.Anne@School.example")
    answer = sign_in(backoffice_client, "  juf.anne@SCHOOL.example ")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer"
    cookie = cookie_headers(answer)["beheer_sessie"]
    assert "Path=/beheer" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # the public URL is http here
    assert session_rows(backoffice_app) == 1
    stored = backoffice_app.state.registry.accounts.get(account.id)
    assert stored.last_signin_at is not None


@pytest.mark.parametrize(("email", "password"), [
    ("procurement1@school.example", "een ander lang wachtwoord"),  # wrong password
    ("niemand@school.example", "een lang wachtwoord voor tests"),  # no such account
])
def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
        backoffice_app, backoffice_client, staff_account, sign_in, email, password):
    staff_account("procurement")
    answer = sign_in(backoffice_client, email, password)
    assert answer.status_code == 400
    assert WRONG in answer.text
    assert "beheer_sessie" not in cookie_headers(answer)
    assert session_rows(backoffice_app) == 0
    assert f'value="{email}"' in answer.text  # the address stays filled in


def test_a_missing_field_is_named(backoffice_client, csrf_token):
    token = csrf_token(backoffice_client)
    answer = backoffice_client.post("/beheer/inloggen", data={
        "email": "juf@school.example", "wachtwoord": "", "_csrf_token": token})
    assert answer.status_code == 400
    assert "Vul je wachtwoord in." in answer.text


def test_a_disabled_account_cannot_sign_in(backoffice_client, staff_account, sign_in):
    account = staff_account("admin", disabled=True)
    answer = sign_in(backoffice_client, account.email)
    assert answer.status_code == 400
    assert "Dit account is uitgeschakeld." in answer.text


def test_the_session_id_changes_at_sign_in(backoffice_app, backoffice_client, staff_account,
                                           sign_in):
    """Session fixation: an id planted before sign-in is never the one signed in."""
    first = staff_account("procurement")
    second = staff_account("publisher")
    planted = "a" * 64
    backoffice_client.cookies.set("beheer_sessie", planted, domain="testserver.local",
                                  path="/beheer")
    answer = sign_in(backoffice_client, first.email)
    signed_in = re.match(r"beheer_sessie=([0-9a-f]+);", cookie_headers(answer)["beheer_sessie"])[1]
    assert signed_in != planted
    # Signing in again (as someone else) gives yet another id and deletes the old session.
    again = sign_in(backoffice_client, second.email)
    assert again.status_code == 303
    newer = re.match(r"beheer_sessie=([0-9a-f]+);", cookie_headers(again)["beheer_sessie"])[1]
    assert newer not in (signed_in, planted)
    assert session_rows(backoffice_app) == 1


def test_signing_out_deletes_the_session_on_the_server(backoffice_app, staff_client, csrf_token):
    client = staff_client("procurement")
    old_id = client.cookies.get("beheer_sessie")
    assert session_rows(backoffice_app) == 1
    token = csrf_token(client)
    answer = client.post("/beheer/uitloggen", data={"_csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/inloggen?uitgelogd=1"
    assert session_rows(backoffice_app) == 0
    assert 'beheer_sessie=null' in cookie_headers(answer)["beheer_sessie"]
    # The old id, replayed, no longer signs anyone in.
    client.cookies.set("beheer_sessie", old_id, domain="testserver.local", path="/beheer")
    assert signed_in_as(client) is None
    assert "Je bent uitgelogd." in client.get("/beheer/inloggen?uitgelogd=1").text


def signed_in_as(client) -> str | None:
    """The e-mail address the sign-in page says the client is signed in with."""
    found = re.search(r"Je bent ingelogd als (\S+)\.", client.get("/beheer/inloggen").text)
    return found[1] if found else None


def test_the_sign_in_page_says_who_is_signed_in(staff_client):
    client = staff_client("procurement")
    assert signed_in_as(client) == client.account.email


def test_a_session_ends_after_the_idle_timeout_and_is_renewed_by_use(
        backoffice_app, staff_client, backoffice_clock):
    client = staff_client("procurement")
    email = client.account.email
    assert signed_in_as(client) == email
    backoffice_clock.advance(minutes=25)
    assert signed_in_as(client) == email  # and renewed
    backoffice_clock.advance(minutes=25)  # 50 minutes since sign-in, 25 since the last request
    assert signed_in_as(client) == email
    backoffice_clock.advance(minutes=31)
    answer = client.get("/beheer/inloggen")
    assert "Je bent ingelogd" not in answer.text
    assert 'beheer_sessie=null' in cookie_headers(answer)["beheer_sessie"]
    assert session_rows(backoffice_app) == 0  # purged by the read that found it expired


# --- CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "0" * 128, "wrong"])
def test_a_form_without_the_right_csrf_token_is_refused(backoffice_app, backoffice_client,
                                                        staff_account, csrf_token, token):
    account = staff_account("procurement")
    csrf_token(backoffice_client)  # the cookie is there; the form field is missing or wrong
    data = {"email": account.email, "wachtwoord": "een lang wachtwoord voor tests"}
    if token is not None:
        data["_csrf_token"] = token
    answer = backoffice_client.post("/beheer/inloggen", data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert "Dit formulier is niet meer geldig" in answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert session_rows(backoffice_app) == 0


def test_a_token_without_its_cookie_is_refused(backoffice_app, backoffice_client,
                                               staff_account, csrf_token):
    """A form posted from another site carries a token of its own, never our cookie."""
    account = staff_account("procurement")
    token = csrf_token(backoffice_client)
    backoffice_client.cookies.clear()
    answer = backoffice_client.post("/beheer/inloggen", follow_redirects=False, data={
        "email": account.email, "wachtwoord": "een lang wachtwoord voor tests",
        "_csrf_token": token})
    assert answer.status_code == 403
    assert session_rows(backoffice_app) == 0


def test_the_csrf_cookie_is_scoped_to_the_back_office(backoffice_client):
    answer = backoffice_client.get("/beheer/inloggen")
    cookie = cookie_headers(answer)["beheer_csrf"]
    assert "Path=/beheer" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_every_worker_accepts_the_tokens_of_the_others(backoffice_settings, staff_account,
                                                       backoffice_app, sign_in):
    """Another app on the same database (another worker process) shares the CSRF key and the
    sessions."""
    from litestar.testing import TestClient

    from registry.app import create_app

    account = staff_account("procurement")
    with TestClient(create_app(backoffice_settings)) as other:
        token = re.search(r'name="_csrf_token" value="([^"]+)"',
                          other.get("/beheer/inloggen").text)[1]
        assert other.app.state.backoffice.csrf.secret == backoffice_app.state.backoffice.csrf.secret
        client = TestClient(backoffice_app)
        client.cookies = other.cookies
        answer = client.post("/beheer/inloggen", follow_redirects=False, data={
            "email": account.email, "wachtwoord": "een lang wachtwoord voor tests",
            "_csrf_token": token})
        assert answer.status_code == 303
        other.cookies = client.cookies
        assert f"Je bent ingelogd als {account.email}." in other.get("/beheer/inloggen").text


# --- Secure cookies behind https ---------------------------------------------------------------

@pytest.fixture
def https_settings(backoffice_settings):
    return dataclasses.replace(backoffice_settings, public_url="https://lijst.example.nl")


def test_cookies_are_secure_when_the_public_url_is_https(https_settings, staff_account,
                                                         sign_in):
    from litestar.testing import TestClient

    from registry.app import create_app

    with TestClient(create_app(https_settings), base_url="https://testserver.local") as client:
        client.app.state.registry.accounts.hasher = https_settings.password_hasher
        account = client.app.state.registry.accounts.create(
            "juf@school.example", "Juf", "admin", "een lang wachtwoord voor tests", "test")
        form = client.get("/beheer/inloggen")
        assert "Secure" in cookie_headers(form)["beheer_csrf"]
        answer = sign_in(client, account.email)
        assert answer.status_code == 303
        assert "Secure" in cookie_headers(answer)["beheer_sessie"]


# --- throttling --------------------------------------------------------------------------------

def test_sign_in_is_throttled_per_account(backoffice_client, staff_account, sign_in,
                                          backoffice_clock):
    account = staff_account("procurement")
    for _ in range(5):
        assert WRONG in sign_in(backoffice_client, account.email, "fout fout fout fout").text
    answer = sign_in(backoffice_client, account.email)  # even the right password now waits
    assert answer.status_code == 429
    assert "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw." in answer.text
    assert answer.headers["retry-after"] == "900"
    backoffice_clock.advance(minutes=10)
    assert "over 5 minuten" in sign_in(backoffice_client, account.email).text
    backoffice_clock.advance(minutes=5)
    assert sign_in(backoffice_client, account.email).status_code == 303


def test_an_unknown_address_is_throttled_the_same_way(backoffice_client, sign_in):
    for _ in range(5):
        assert sign_in(backoffice_client, "niemand@school.example", "fout").status_code == 400
    assert sign_in(backoffice_client, "niemand@school.example").status_code == 429


def test_sign_in_is_throttled_per_client_address(backoffice_client, staff_account, sign_in):
    account = staff_account("procurement")
    for n in range(20):  # 20 addresses tried once each: no account reaches its own limit
        assert sign_in(backoffice_client, f"iemand{n}@school.example", "fout").status_code == 400
    answer = sign_in(backoffice_client, account.email)
    assert answer.status_code == 429
    assert "Te veel mislukte pogingen." in answer.text


def test_a_successful_sign_in_clears_the_accounts_count(backoffice_client, staff_account,
                                                        sign_in, staff_client):
    account = staff_account("procurement")
    for _ in range(4):
        sign_in(backoffice_client, account.email, "fout fout fout fout")
    assert sign_in(backoffice_client, account.email).status_code == 303
    for _ in range(4):
        assert sign_in(backoffice_client, account.email, "fout fout").status_code == 400
    assert sign_in(backoffice_client, account.email).status_code == 303


# --- where to go after signing in ----------------------------------------------------------

DESTINATIONS = [
    ("/beheer/tools?q=reken", "/beheer/tools?q=reken"),
    ("/beheer", "/beheer"),
    ("https://evil.example/beheer", "/beheer"),
    ("//evil.example/beheer", "/beheer"),
    ("/\\evil.example", "/beheer"),
    ("/beheer\\@evil.example", "/beheer"),
    ("/lijst/", "/beheer"),
    ("/beheerder", "/beheer"),
    ("javascript:alert(1)", "/beheer"),
    ("/beheer/inloggen", "/beheer"),
    ("/beheer/x\r\nLocation: https://evil.example", "/beheer"),
    ("", "/beheer"),
]


@pytest.mark.parametrize(("volgende", "expected"), DESTINATIONS)
def test_only_back_office_pages_are_a_destination(volgende, expected):
    assert access.safe_next(volgende) == expected


def test_after_sign_in_only_back_office_pages_are_a_destination(backoffice_client,
                                                                staff_account, csrf_token):
    account = staff_account("procurement")
    for volgende, expected in DESTINATIONS:
        token = csrf_token(backoffice_client, "/beheer/inloggen")
        answer = backoffice_client.post("/beheer/inloggen", follow_redirects=False, data={
            "email": account.email, "wachtwoord": "een lang wachtwoord voor tests",
            "volgende": volgende, "_csrf_token": token})
        assert answer.headers["location"] == expected, volgende


def test_the_failure_count_is_shared_by_every_worker(backoffice_settings, backoffice_client,
                                                     staff_account, sign_in):
    """Failures counted by one app (worker process) throttle sign-in at another on the same
    database."""
    from litestar.testing import TestClient

    from registry.app import create_app

    account = staff_account("procurement")
    for _ in range(5):
        assert sign_in(backoffice_client, account.email, "fout fout fout").status_code == 400
    with TestClient(create_app(backoffice_settings)) as other:
        assert sign_in(other, account.email).status_code == 429


def test_passwords_are_checked_off_the_event_loop(backoffice_client, staff_account, sign_in,
                                                  monkeypatch):
    """argon2 takes about 0.7 s: on the event loop it would stall every other request."""
    import asyncio

    from registry.store.accounts import Accounts

    account = staff_account("procurement")
    loops = []
    real = Accounts.verify_password

    def verify(self, email, password):
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:  # no loop runs in this thread: a worker thread
            loops.append(None)
        return real(self, email, password)

    monkeypatch.setattr(Accounts, "verify_password", verify)
    assert sign_in(backoffice_client, account.email).status_code == 303
    assert sign_in(backoffice_client, account.email, "fout fout fout").status_code == 400
    assert loops == [None, None]


def test_the_database_holds_no_usable_session_id(backoffice_app, staff_client):
    client = staff_client("admin")
    session_id = client.cookies["beheer_sessie"]
    stored = [r["id"] for r in backoffice_app.state.registry.sessions.store.rows(
        "SELECT id FROM sessions")]
    assert len(stored) == 1 and stored[0] != session_id
    assert session_id not in str(backoffice_app.state.registry.store.rows(
        "SELECT * FROM sessions"))


def test_a_waiting_account_is_signed_in_but_told_to_wait(staff_client):
    client = staff_client(None)
    page = client.get("/beheer/accounts")
    assert page.status_code == 403
    assert "Je account wacht op goedkeuring" in page.text
    assert 'aria-label="Beheermenu"' not in page.text  # no menu of pages it cannot open


def test_a_session_is_written_at_most_once_a_minute(backoffice_app, staff_client,
                                                    backoffice_clock):
    """Every request renews the idle timeout, but a write takes the database's lock: an
    unchanged session is written again only when its expiry moves a minute or more."""
    client = staff_client("procurement")
    sessions = backoffice_app.state.registry.sessions

    def expires_at() -> float:
        return sessions.get(client.cookies["beheer_sessie"], backoffice_clock())[1]

    first = expires_at()
    backoffice_clock.advance(seconds=30)
    client.get("/beheer/inloggen")
    assert expires_at() == first
    backoffice_clock.advance(seconds=31)
    client.get("/beheer/inloggen")
    assert expires_at() == first + 61


def test_the_oidc_return_is_left_out_of_csrf(backoffice_client):
    """The institution sends the browser back cross-site: no Strict cookie comes along, and
    none of ours is set or checked there (the OIDC module keeps its own Lax cookie)."""
    answer = backoffice_client.get("/beheer/oidc/terug?code=x&state=y", follow_redirects=False)
    assert "beheer_csrf" not in cookie_headers(answer)
    assert "beheer_csrf" in cookie_headers(backoffice_client.get("/beheer/inloggen"))
