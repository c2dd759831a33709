"""Staff sign-in through their institution (OpenID Connect) against a real provider:
oidc-provider-mock on 127.0.0.1 in this process, our app in Litestar's TestClient. The
provider's authorize step is an HTML form; a test posts the subject to it, as a person would,
and follows its redirect back to us."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import httpx2
import pytest
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey
from litestar.testing import TestClient

from registry.app import (ENV_OIDC_CLIENT_ID, ENV_OIDC_CLIENT_SECRET, ENV_OIDC_ISSUER,
                          Settings, create_app)
from registry.backoffice import oidc
from registry.backoffice.sessions import SESSION_COOKIE
from registry.models import Role
from registry.store.accounts import Accounts

with warnings.catch_warnings():
    # The mock (a test tool, not our code) imports authlib.jose, which authlib deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

# The mock implements a hook that authlib deprecates; in its thread, our "error" filter would
# turn that into a 500 of the provider.
pytestmark = [pytest.mark.backoffice, pytest.mark.filterwarnings(
    r"ignore:get_jwt_config\(self, grant\) is deprecated:DeprecationWarning")]

CLIENT_ID = "witte-lijst-beheer"
CLIENT_SECRET = "een-lang-geheim-van-de-instelling"
HOST = "testserver.local"  # where TestClient's requests go
PUBLIC_URL = f"http://{HOST}"
RETURN_URL = PUBLIC_URL + "/beheer/oidc/terug"


class Provider:
    """oidc-provider-mock serving on 127.0.0.1, and what our app asked of it."""

    def __init__(self) -> None:
        self.token_requests: list[dict[str, list[str]]] = []
        self.paths: list[str] = []
        mock = oidc_provider_mock.app(require_nonce=True)

        def recording(environ, start_response):
            self.paths.append(environ["PATH_INFO"])
            if environ["PATH_INFO"] == "/oauth2/token":
                body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                self.token_requests.append(parse_qs(body.decode()))
                environ["wsgi.input"] = io.BytesIO(body)
            return mock(environ, start_response)

        self.server = werkzeug.serving.make_server("127.0.0.1", 0, recording, threaded=True)
        # The mock names itself after the Host it is asked by: always 127.0.0.1.
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()
        self.http = httpx.Client(base_url=self.issuer)  # a person's browser, at the provider

    def add_user(self, sub: str, **claims: object) -> None:
        assert self.http.put(f"/users/{sub}", json=claims).status_code == 204

    def authorize(self, url: str, **form: str) -> str:
        """Submit the provider's sign-in form at `url`; where it sends the browser back."""
        answer = self.http.post(url, data=form)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def stop(self) -> None:
        self.http.close()
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture(scope="module")
def provider():
    provider = Provider()
    provider.add_user("anne", email="anne@school.example", name="Anne de Vries")
    provider.add_user("bram", email="bram@school.example", given_name="Bram",
                      family_name="Bakker")
    provider.add_user("zonder-mail", name="Zonder Mail")
    yield provider
    provider.stop()


@pytest.fixture
def backoffice_settings(backoffice_settings: Settings, provider: Provider) -> Settings:
    return replace(backoffice_settings, public_url=PUBLIC_URL, oidc_issuer=provider.issuer,
                   oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET)


@pytest.fixture
def client(backoffice_client: TestClient) -> TestClient:
    return backoffice_client


@pytest.fixture
def accounts(backoffice_app) -> Accounts:
    return backoffice_app.state.registry.accounts


@contextmanager
def app_with(settings: Settings, **changes) -> Iterator[TestClient]:
    with TestClient(create_app(replace(settings, **changes))) as client:
        yield client


def start(client: TestClient, volgende: str | None = None) -> httpx.Response:
    query = f"?{urlencode({'volgende': volgende})}" if volgende else ""
    answer = client.get(f"/beheer/oidc/start{query}", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(query_of(url) | changes)))


def set_cookie(answer: httpx.Response, name: str) -> SimpleCookie:
    cookies = [h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(cookies) == 1, answer.headers.get_list("set-cookie")
    jar = SimpleCookie()
    jar.load(cookies[0])
    return jar


def test_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(client, provider):
    location = start(client).headers["location"]
    assert location.startswith(f"{provider.issuer}/oauth2/authorize?")
    asked = query_of(location)
    assert asked["response_type"] == "code"
    assert asked["client_id"] == CLIENT_ID
    assert asked["redirect_uri"] == RETURN_URL
    assert set(asked["scope"].split()) == {"openid", "email", "profile"}
    assert asked["code_challenge_method"] == "S256"
    assert len(asked["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(asked["state"]) >= 43 and len(asked["nonce"]) >= 43
    again = query_of(start(client).headers["location"])
    for fresh in ("state", "nonce", "code_challenge"):
        assert again[fresh] != asked[fresh], f"{fresh} is new for every sign-in"


def test_the_pending_cookie_is_lax_httponly_short_lived_and_scoped(client):
    cookie = set_cookie(start(client), oidc.PENDING_COOKIE)[oidc.PENDING_COOKIE]
    assert cookie["path"] == "/beheer/oidc"
    assert cookie["samesite"].lower() == "lax"
    assert cookie["httponly"] is True
    assert cookie["max-age"] == "600"
    assert not cookie["secure"]  # plain http on this test's address


def test_the_pending_cookie_is_secure_behind_https(backoffice_settings):
    with app_with(backoffice_settings, public_url="https://lijst.example.nl") as client:
        answer = start(client)
    assert query_of(answer.headers["location"])["redirect_uri"] == (
        "https://lijst.example.nl/beheer/oidc/terug")
    assert set_cookie(answer, oidc.PENDING_COOKIE)[oidc.PENDING_COOKIE]["secure"] is True


def test_discovery_is_fetched_once_and_kept(client, provider):
    before = provider.paths.count("/.well-known/openid-configuration")
    for _ in range(3):
        start(client)
    assert provider.paths.count("/.well-known/openid-configuration") - before == 1


def through_institution(client: TestClient, provider: Provider, sub: str,
                        volgende: str | None = None) -> httpx.Response:
    """Sign in as `sub` at the provider and come back: our answer to the return."""
    back = provider.authorize(start(client, volgende).headers["location"], sub=sub)
    assert back.startswith(RETURN_URL + "?")
    return client.get(back)


def test_a_first_sign_in_creates_an_account_without_a_role_that_waits(client, provider,
                                                                      accounts):
    answer = through_institution(client, provider, "anne")
    assert answer.status_code == 403
    assert "Je account wacht op goedkeuring" in answer.text
    assert "anne@school.example" in answer.text
    assert_no_session(answer)
    assert oidc.PENDING_COOKIE in cookies_set(answer)  # deleted
    account = accounts.by_email("anne@school.example")
    assert (account.name, account.role, account.oidc_issuer, account.oidc_subject) == (
        "Anne de Vries", None, provider.issuer, "anne")
    again = through_institution(client, provider, "anne")
    assert again.status_code == 403 and len(accounts.list()) == 1  # the same account
    assert client.get("/beheer", follow_redirects=False).status_code == 303  # not signed in


def test_an_approved_account_lands_in_the_back_office_with_a_new_session(client, provider,
                                                                         accounts):
    through_institution(client, provider, "bram")
    account = accounts.by_email("bram@school.example")
    assert account.name == "Bram Bakker"  # given and family name when there is no name
    accounts.set_role(account.id, Role.publisher, "beheerder@sivon.example")
    client.cookies.set(SESSION_COOKIE, "door-een-aanvaller-gekozen", domain=HOST, path="/beheer")

    answer = through_institution(client, provider, "bram")
    assert answer.status_code == 200
    # A page that moves on, not a 303: Chromium would not send the Strict session cookie
    # along a redirect chain that began on the provider's site.
    assert answer.headers["refresh"] == "0; url=/beheer"
    assert 'href="/beheer"' in answer.text
    session = set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]
    assert len(session.value) >= 32 and session.value != "door-een-aanvaller-gekozen"
    assert session["samesite"].lower() == "strict"
    assert oidc.PENDING_COOKIE in cookies_set(answer)  # deleted
    overview = client.get("/beheer", follow_redirects=False)
    assert overview.status_code == 200
    assert "Bram Bakker" in overview.text and "Uitloggen" in overview.text


def approved(client, provider, accounts, sub: str) -> None:
    """A first sign-in makes the account; an admin then gives it a role."""
    through_institution(client, provider, sub)
    account = accounts.by_email(f"{sub}@school.example")
    accounts.set_role(account.id, Role.procurement, "beheerder@sivon.example")


def test_where_to_go_after_sign_in_travels_with_it_and_stays_on_this_site(client, provider,
                                                                           accounts):
    approved(client, provider, accounts, "anne")
    answer = through_institution(client, provider, "anne", volgende="/beheer/tools?pagina=2")
    assert answer.headers["refresh"] == "0; url=/beheer/tools?pagina=2"
    answer = through_institution(client, provider, "anne", volgende="https://kwaad.example/x")
    assert answer.headers["refresh"] == "0; url=/beheer"


def test_an_email_address_the_institution_has_not_verified_is_not_used(client, provider,
                                                                          accounts):
    provider.add_user("onbevestigd", email="anne@school.example", email_verified=False)
    answer = through_institution(client, provider, "onbevestigd")
    assert answer.status_code == 400
    assert "dat je e-mailadres niet is bevestigd" in answer.text
    assert accounts.list() == []


def test_a_disabled_account_is_refused(client, provider, accounts):
    through_institution(client, provider, "anne")
    account = accounts.by_email("anne@school.example")
    accounts.set_role(account.id, Role.admin, "beheerder@sivon.example")
    accounts.disable(account.id, "beheerder@sivon.example")
    answer = through_institution(client, provider, "anne")
    assert answer.status_code == 403
    assert "Account uitgeschakeld" in answer.text
    assert_no_session(answer)


def test_a_return_used_twice_is_refused(client, provider, accounts):
    approved(client, provider, accounts, "anne")
    back = provider.authorize(start(client).headers["location"], sub="anne")
    pending = client.cookies.get(oidc.PENDING_COOKIE)
    assert client.get(back).status_code == 200
    replayed = client.get(back)  # the pending sign-in was used up
    assert replayed.status_code == 400 and "verlopen" in replayed.text
    client.cookies.set(oidc.PENDING_COOKIE, pending, domain=HOST, path="/beheer/oidc")
    replayed = client.get(back)  # with its cookie too: the provider takes a code once
    assert replayed.status_code == 400
    assert "weigerde de inlogcode" in replayed.text


def test_an_institution_that_sends_no_email_gets_no_account(client, provider, accounts):
    answer = through_institution(client, provider, "zonder-mail")
    assert answer.status_code == 400
    assert "Je instelling gaf geen e-mailadres door" in answer.text
    assert accounts.list() == []


def test_the_sign_in_page_links_to_the_institution_only_when_configured(client,
                                                                         backoffice_settings):
    link = "Inloggen met je instelling (SURFconext / Entree)"
    page = client.get("/beheer/inloggen?volgende=/beheer/tools")
    assert f'href="/beheer/oidc/start?volgende=%2Fbeheer%2Ftools">{link}</a>' in page.text
    with app_with(backoffice_settings, oidc_client_secret="") as other:
        assert link not in other.get("/beheer/inloggen").text


def test_a_return_with_another_state_is_refused(client, provider):
    back = provider.authorize(start(client).headers["location"], sub="anne")
    answer = client.get(with_query(back, state="aanvaller"))
    assert answer.status_code == 400
    assert "hoort niet bij de inlogpoging in deze browser" in answer.text
    assert not provider_was_asked_for_a_token(provider, query_of(back)["code"])
    assert_no_session(answer)


def test_a_return_in_another_browser_is_refused(client, provider):
    back = provider.authorize(start(client).headers["location"], sub="anne")
    client.cookies.clear()  # another browser: it has no pending cookie
    answer = client.get(back)
    assert answer.status_code == 400
    assert "verlopen of niet in deze browser begonnen" in answer.text
    assert_no_session(answer)


def test_an_id_token_with_another_nonce_is_refused(client, provider):
    location = start(client).headers["location"]
    # The provider signs whatever nonce the authorize request carries: one that is not ours.
    back = provider.authorize(with_query(location, nonce="opnieuw-gebruikt"), sub="anne")
    answer = client.get(back)
    assert answer.status_code == 400
    assert "Het bewijs van inloggen van je instelling klopt niet" in answer.text
    assert provider_was_asked_for_a_token(provider, query_of(back)["code"])
    assert_no_session(answer)


def test_the_token_request_carries_the_verifier_of_the_challenge(client, provider):
    location = start(client).headers["location"]
    back = provider.authorize(location, sub="anne")
    client.get(back)
    sent = provider_was_asked_for_a_token(provider, query_of(back)["code"])
    verifier = sent["code_verifier"][0]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert digest.decode() == query_of(location)["code_challenge"]
    assert sent["redirect_uri"] == [RETURN_URL]
    assert sent["grant_type"] == ["authorization_code"]


def test_the_provider_refusing_is_a_dutch_page(client, provider):
    back = provider.authorize(start(client).headers["location"], action="deny")
    assert query_of(back)["error"] == "access_denied"
    answer = client.get(back)
    assert answer.status_code == 403
    assert "Je hebt het inloggen bij je instelling afgebroken" in answer.text
    assert_no_session(answer)
    answer = client.get(with_query(back, error="<b>server_error</b>"))
    assert answer.status_code == 400
    assert "meldde een fout bij het inloggen (&lt;b&gt;server_error&lt;/b&gt;)" in answer.text


def test_unconfigured_sign_in_through_an_institution_is_a_dutch_404(backoffice_settings):
    with app_with(backoffice_settings, oidc_issuer="") as client:
        for path in ("/beheer/oidc/start", "/beheer/oidc/terug?code=x&state=y"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 404
            assert "is hier niet ingesteld" in answer.text
            assert not cookies_set(answer) & {SESSION_COOKIE, oidc.PENDING_COOKIE}


def test_an_unreachable_provider_is_a_dutch_502(backoffice_settings, port):
    with app_with(backoffice_settings, oidc_issuer=f"http://127.0.0.1:{port}") as client:
        answer = client.get("/beheer/oidc/start", follow_redirects=False)
    assert answer.status_code == 502
    assert "De inlogdienst van je instelling is nu niet bereikbaar" in answer.text


def cookies_set(answer: httpx.Response) -> set[str]:
    return {h.split("=", 1)[0] for h in answer.headers.get_list("set-cookie")}


def test_a_provider_gone_during_sign_in_is_a_dutch_502(backoffice_settings):
    gone = Provider()
    try:
        with app_with(backoffice_settings, oidc_issuer=gone.issuer) as client:
            back = gone.authorize(start(client).headers["location"], sub="anne")
            gone.stop()
            answer = client.get(back)
    finally:
        if gone.thread.is_alive():
            gone.stop()
    assert answer.status_code == 502
    assert "De inlogdienst van je instelling is nu niet bereikbaar" in answer.text
    assert_no_session(answer)


def provider_was_asked_for_a_token(provider: Provider, code: str) -> dict[str, list[str]] | None:
    return next((r for r in provider.token_requests if r.get("code") == [code]), None)


def assert_no_session(answer: httpx.Response) -> None:
    names = {h.split("=", 1)[0] for h in answer.headers.get_list("set-cookie")}
    assert SESSION_COOKIE not in names, names


# --- the ID token, checked on its own ---------------------------------------------------------


def test_a_forged_or_stale_pending_cookie_is_not_accepted():
    pending = oidc.Pending.new("/beheer/tools")
    sealed = oidc.seal(pending, CLIENT_SECRET)
    assert oidc.unseal(sealed, CLIENT_SECRET) == pending
    assert oidc.unseal(sealed, "een ander geheim") is None
    body, signature = sealed.split(".")
    assert oidc.unseal(body[:-2] + "xx." + signature, CLIENT_SECRET) is None
    assert oidc.unseal(sealed, CLIENT_SECRET, now=pending.expires) is None
    assert oidc.unseal("", CLIENT_SECRET) is None and oidc.unseal("a.b.c", CLIENT_SECRET) is None


KEY = RSAKey.generate_key(2048, parameters={"kid": "sleutel-1"})
ISSUER = "https://login.example.nl"
NONCE = "nonce-van-deze-poging"


def id_token(key: RSAKey = KEY, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "anne", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
              "nonce": NONCE, "email": "anne@school.example"} | changes
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def check(token: str, nonce: str = NONCE) -> dict:
    keys = KeySet([KEY]).as_dict(private=False)
    provider = oidc.Provider(ISSUER, metadata={"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"},
                             jwks=keys)
    # The keys again when a signature fails (a provider may have rolled them): the same.
    serves_keys = httpx2.MockTransport(lambda request: httpx2.Response(200, json=keys))

    async def run() -> dict:
        async with httpx2.AsyncClient(transport=serves_keys) as http:
            return await oidc.validate_id_token(token, provider, http, CLIENT_ID, nonce)
    return asyncio.run(run())


def test_a_valid_id_token_is_accepted_within_the_leeway():
    assert check(id_token())["sub"] == "anne"
    now = int(time.time())
    assert check(id_token(exp=now - 30, iat=now - 300))["sub"] == "anne"  # 60 s leeway


@pytest.mark.parametrize("token", [
    pytest.param(lambda: id_token(aud="een-andere-dienst"), id="another-client"),
    pytest.param(lambda: id_token(aud=["een-andere-dienst"], azp="een-andere-dienst"),
                 id="another-client-as-list"),
    pytest.param(lambda: id_token(aud="een-andere-dienst", azp=CLIENT_ID),
                 id="another-client-naming-us-as-authorized-party"),
    pytest.param(lambda: id_token(iss="https://nep.example"), id="another-issuer"),
    pytest.param(lambda: id_token(nonce="een-oude-nonce"), id="replayed-nonce"),
    pytest.param(lambda: id_token(nonce=None), id="no-nonce"),
    pytest.param(lambda: id_token(exp=int(time.time()) - 61, iat=int(time.time()) - 400),
                 id="expired-beyond-leeway"),
    pytest.param(lambda: id_token(RSAKey.generate_key(2048, parameters={"kid": "sleutel-1"})),
                 id="signed-by-another-key"),
    pytest.param(lambda: id_token(sub=None), id="no-subject"),
    pytest.param(lambda: jwt.encode({"alg": "HS256"}, {"iss": ISSUER, "sub": "anne",
                                                       "aud": CLIENT_ID, "nonce": NONCE,
                                                       "exp": int(time.time()) + 300,
                                                       "iat": int(time.time())},
                                    OctKey.import_key(CLIENT_SECRET.encode() * 2)),
                 id="hmac-with-our-secret"),
])
def test_an_id_token_that_does_not_check_out_is_refused(token):
    with pytest.raises(oidc.SignInRefused) as refused:
        check(token())
    assert refused.value.status == 400


def real_id_token(provider: Provider, client_id: str, nonce: str) -> str:
    """An ID token the provider gives `client_id`, signed in as anne."""
    redirect_uri = "http://127.0.0.1:9/terug"
    query = urlencode({"response_type": "code", "client_id": client_id, "state": "s",
                       "redirect_uri": redirect_uri, "scope": "openid email", "nonce": nonce})
    back = provider.authorize(f"{provider.issuer}/oauth2/authorize?{query}", sub="anne")
    tokens = provider.http.post("/oauth2/token", auth=(client_id, "geheim"), data={
        "grant_type": "authorization_code", "code": query_of(back)["code"],
        "redirect_uri": redirect_uri})
    return tokens.json()["id_token"]


def check_real(provider: oidc.Provider, token: str, client_id: str, nonce: str) -> dict:
    async def run() -> dict:
        async with httpx2.AsyncClient() as http:
            await provider.discover(http)
            return await oidc.validate_id_token(token, provider, http, client_id, nonce)
    return asyncio.run(run())


def test_an_id_token_the_real_provider_gave_another_client_is_refused(provider):
    other, nonce = "een-andere-dienst", "nonce-van-de-andere-dienst"
    token = real_id_token(provider, other, nonce)
    real = oidc.Provider(provider.issuer)
    assert check_real(real, token, other, nonce)["sub"] == "anne"  # a good token...
    with pytest.raises(oidc.SignInRefused):  # ...but not for us
        check_real(real, token, CLIENT_ID, nonce)


def test_new_keys_of_the_provider_are_fetched_when_the_kept_ones_fail(provider):
    real = oidc.Provider(provider.issuer)
    token = real_id_token(provider, CLIENT_ID, NONCE)
    check_real(real, token, CLIENT_ID, NONCE)
    real.jwks = KeySet([RSAKey.generate_key(2048, parameters={"kid": "oud"})]).as_dict(
        private=False)  # what we kept from before the provider rolled its keys
    assert check_real(real, token, CLIENT_ID, NONCE)["sub"] == "anne"
    assert real.jwks["keys"][0]["kid"] != "oud"


def test_the_readme_and_serve_help_name_the_same_settings():
    from click.testing import CliRunner

    from registry.cli import main

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("### Sign-in through SURFconext or Entree (OpenID Connect)", 1)[1]
    section = section.split("\n## ", 1)[0]
    shown = CliRunner().invoke(main, ["serve", "--help"]).output
    for text in (ENV_OIDC_ISSUER, ENV_OIDC_CLIENT_ID, ENV_OIDC_CLIENT_SECRET,
                 "/beheer/oidc/terug"):
        assert text in section and text in shown, text
    assert "Inloggen met je instelling (SURFconext / Entree)" in section


def test_an_institution_claiming_the_admins_address_does_not_become_the_admin(
        client, provider, accounts, staff_account):
    # SURFconext and Entree are federations: any institution's IdP may assert any address.
    admin = staff_account(Role.admin, email="anne@school.example")
    answer = through_institution(client, provider, "anne")
    assert answer.status_code == 409
    assert "Er is al een account" in answer.text
    assert_no_session(answer)
    assert accounts.get(admin.id).oidc_subject is None
    assert [a.email for a in accounts.list()] == ["anne@school.example"]
