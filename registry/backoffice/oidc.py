"""Single sign-on with OpenID Connect, the way Dutch schools sign in (SURFconext, Entree).

The authorization code flow with PKCE (S256), `state` and `nonce`, through authlib's
`AsyncOAuth2Client`. What the return must match (state, nonce, PKCE verifier, where to go
next) travels in a short-lived signed cookie, SameSite=Lax and scoped to `/beheer/oidc`:
the back office's Strict session cookie is not sent on the provider's cross-site redirect
back. The provider's discovery document and keys are kept per app for an hour.

A first sign-in creates an account without a role (`registry.accounts.for_oidc`); it
waits for an admin's approval and gets no session until then. `/beheer/oidc/start` is a
link, never a form: our CSP's `form-action 'self'` would stop a POST that redirects to
the provider.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import ssl
import time
from dataclasses import dataclass
from typing import Annotated, Protocol
from urllib.parse import quote

import httpx2
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from registry.backoffice import access
from registry.backoffice.oidc_provider import (  # noqa: F401 (tests reach them here)
    Provider,
    ProviderError,
    SignInRefused,
    provider_for,
    validate_id_token,
)
from registry.db import Registry
from registry.errors import Conflict, RegistryError
from registry.labels.records import OidcWords

START = "/beheer/oidc/start"
RETURN = "/beheer/oidc/terug"
HOME = "/beheer"
PENDING_COOKIE = "beheer_oidc"
PENDING_PATH = "/beheer/oidc"
PENDING_SECONDS = 600
"""Time to sign in at the institution; after it the return is refused as expired."""
TIMEOUT = httpx2.Timeout(10.0)
SCOPE = "openid email profile"
class Settings(Protocol):
    """What this module reads of `registry.app.Settings` (not imported: app imports us)."""

    public_url: str
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str


def enabled(settings: Settings | None) -> bool:
    """Whether sign-in through an institution is configured (issuer, client id and secret)."""
    return bool(settings is not None and settings.oidc_issuer and settings.oidc_client_id
                and settings.oidc_client_secret)


def start_url(volgende: str | None = None) -> str:
    """The sign-in page's link to the institution; `volgende` is where to go afterwards."""
    path = access.safe_next(volgende)
    return START if path == HOME else f"{START}?volgende={quote(path, safe='')}"


# --- the pending sign-in, in a signed cookie ------------------------------------------------


@dataclass(frozen=True)
class Pending:
    state: str
    nonce: str
    verifier: str
    volgende: str
    expires: int

    @classmethod
    def new(cls, volgende: str | None) -> Pending:
        return cls(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                   verifier=secrets.token_urlsafe(48), volgende=access.safe_next(volgende),
                   expires=int(time.time()) + PENDING_SECONDS)


def _key(client_secret: str) -> bytes:
    # Every worker derives the same key, so the return may land on another worker than the
    # start; a new client secret invalidates sign-ins under way, nothing more.
    return hmac.new(client_secret.encode(), b"registry oidc pending sign-in v1",
                    hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(pending: Pending, client_secret: str) -> str:
    body = _b64(json.dumps([pending.state, pending.nonce, pending.verifier, pending.volgende,
                            pending.expires], separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(client_secret), body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def unseal(value: str | None, client_secret: str, now: float | None = None) -> Pending | None:
    """The pending sign-in in `value`, or None if it is missing, forged or expired."""
    if not value or value.count(".") != 1:
        return None
    body, signature = value.split(".")
    expected = _b64(hmac.new(_key(client_secret), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        state, nonce, verifier, volgende, expires = json.loads(_unb64(body))
        pending = Pending(state=str(state), nonce=str(nonce), verifier=str(verifier),
                          volgende=access.safe_next(str(volgende)), expires=int(expires))
    except (ValueError, TypeError):
        return None
    return pending if pending.expires > (time.time() if now is None else now) else None


def pending_cookie(value: str, secure: bool) -> Cookie:
    return Cookie(key=PENDING_COOKIE, value=value, path=PENDING_PATH, max_age=PENDING_SECONDS,
                  httponly=True, samesite="lax", secure=secure)


# --- pages ------------------------------------------------------------------------------------

def problem(status: int, message: str, title: str = "Inloggen via je instelling is niet gelukt",
            forget: bool = True) -> Template:
    """A Dutch page saying what went wrong; `forget` deletes the pending sign-in."""
    page = Template(template_name="beheer/oidc-fout.html", status_code=status,
                    context={"account": None, "section": None, "title": title,
                             "message": message, "status": status})
    if forget:
        page.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return page


def not_configured() -> Template:
    return problem(404, OidcWords.NOT_CONFIGURED, "Inloggen via je instelling is niet ingesteld",
                   forget=False)


@functools.cache
def tls() -> ssl.SSLContext:
    """httpx2's default TLS context (the system's trust store), built once per process: it
    costs ~0.1 s, and every sign-in opens a few short-lived clients."""
    return httpx2.create_ssl_context()


def _settings(request: Request) -> Settings | None:
    return request.app.state.get("settings")


def _secure(settings: Settings) -> bool:
    return settings.public_url.lower().startswith("https://")


def _redirect_uri(settings: Settings) -> str:
    return settings.public_url.rstrip("/") + RETURN


def _client(settings: Settings) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
        scope=SCOPE, redirect_uri=_redirect_uri(settings), code_challenge_method="S256",
        timeout=TIMEOUT, verify=tls())


@get(START, include_in_schema=False)
async def start(request: Request, volgende: FromQuery[str | None] = None) -> Response:
    """Send the browser to the institution's sign-in page."""
    settings = _settings(request)
    if not enabled(settings):
        return not_configured()
    provider = provider_for(request, settings.oidc_issuer)
    try:
        async with httpx2.AsyncClient(timeout=TIMEOUT, verify=tls()) as http:
            metadata = await provider.discover(http)
    except ProviderError:
        return problem(502, OidcWords.UNREACHABLE, forget=False)
    pending = Pending.new(volgende)
    async with _client(settings) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], state=pending.state,
            code_verifier=pending.verifier, nonce=pending.nonce)
    return Redirect(url, status_code=303,
                    cookies=[pending_cookie(seal(pending, settings.oidc_client_secret),
                                            _secure(settings))])


@get(RETURN, include_in_schema=False)
async def finish(request: Request, registry: NamedDependency[Registry],
                 code: FromQuery[str | None] = None,
                 returned_state: Annotated[str | None, QueryParameter(name="state")] = None,
                 error: FromQuery[str | None] = None) -> Response:
    """The institution sends the browser back here with a code (or an error)."""
    settings = _settings(request)
    if not enabled(settings):
        return not_configured()
    if error:
        # Before the state check: an error grants nothing, and not every provider sends the
        # state back with it.
        if error == "access_denied":
            return problem(403, OidcWords.DENIED, "Inloggen afgebroken")
        return problem(400, OidcWords.PROVIDER_ERROR.format(error=error[:64]))
    pending = unseal(request.cookies.get(PENDING_COOKIE), settings.oidc_client_secret)
    if pending is None:
        return problem(400, OidcWords.EXPIRED)
    if not returned_state or not hmac.compare_digest(returned_state.encode(),
                                                     pending.state.encode()):
        return problem(400, OidcWords.STATE_MISMATCH)
    if not code:
        return problem(400, OidcWords.PROVIDER_ERROR.format(error="geen code"))
    try:
        claims = await _claims(request, settings, pending, code)
    except ProviderError:
        return problem(502, OidcWords.UNREACHABLE)
    except SignInRefused as refused:
        return problem(refused.status, refused.message)
    return await _sign_in(request, registry, pending, claims)


async def _claims(request: Request, settings: Settings, pending: Pending, code: str) -> dict:
    """Exchange the code for tokens and return the validated ID token's claims (with the
    userinfo's email and name when the ID token lacks them)."""
    provider = provider_for(request, settings.oidc_issuer)
    async with httpx2.AsyncClient(timeout=TIMEOUT, verify=tls()) as http:
        metadata = await provider.discover(http)
        async with _client(settings) as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"], grant_type="authorization_code", code=code,
                    code_verifier=pending.verifier)
            except OAuthError as exc:
                raise SignInRefused(400, OidcWords.REFUSED_CODE) from exc
            except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
                raise ProviderError(str(exc)) from exc
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise SignInRefused(400, OidcWords.REFUSED_TOKEN)
            claims = await validate_id_token(id_token, provider, http, settings.oidc_client_id,
                                             pending.nonce, token.get("access_token"))
            if not claims.get("email") and metadata.get("userinfo_endpoint"):
                claims |= await _userinfo(client, metadata["userinfo_endpoint"], claims["sub"])
    return claims


async def _userinfo(client: AsyncOAuth2Client, url: str, subject: str) -> dict:
    try:
        response = await client.get(url)
        response.raise_for_status()
        info = response.json()
    except (httpx2.HTTPError, httpx2.InvalidURL, ValueError, OAuthError) as exc:
        raise ProviderError(str(exc)) from exc
    # OIDC Core §5.3.2: userinfo about someone else must not be used.
    if not isinstance(info, dict) or info.get("sub") != subject:
        raise SignInRefused(400, OidcWords.REFUSED_TOKEN)
    return {k: info[k] for k in ("email", "name", "given_name", "family_name") if k in info}


def _name(claims: dict) -> str:
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get(k) for k in ("given_name", "family_name")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return (name or str(claims["email"])).strip()[:200]


async def _sign_in(request: Request, registry: Registry, pending: Pending, claims: dict
                   ) -> Template:
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        return problem(400, OidcWords.NO_EMAIL)
    if claims.get("email_verified") is False:  # absent is fine: SURFconext does not send it
        return problem(400, OidcWords.UNVERIFIED_EMAIL)
    try:
        account = registry.accounts.for_oidc(issuer=claims["iss"], subject=claims["sub"],
                                             email=email.strip(), name=_name(claims))
    except Conflict as exc:  # the address belongs to another institution's account
        return problem(409, exc.detail)
    except RegistryError:
        return problem(400, OidcWords.BAD_EMAIL)
    if account.disabled_at is not None or account.role is None:
        page = Template(template_name="beheer/wacht.html", status_code=403,
                        context={"account": None, "section": None, "waiting": account,
                                 "disabled": account.disabled_at is not None})
        page.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
        return page
    await access.start_session(request, account.id)
    # A page, not a 303: in Chromium a redirect chain that began on the provider's site does
    # not carry the SameSite=Strict session cookie, so /beheer would not see the session.
    # The Refresh header does what <meta http-equiv="refresh"> would; the link does it without.
    page = Template(template_name="beheer/oidc-ingelogd.html",
                    context={"account": None, "section": None, "volgende": pending.volgende},
                    headers={"Refresh": f"0; url={pending.volgende}"})
    page.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return page


HANDLERS = [start, finish]
