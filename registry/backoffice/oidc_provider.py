"""The OpenID Connect provider as we trust it: its discovery document and keys, kept per app
for an hour, and the validation of the ID token it issues (signature, issuer, audience,
expiry, nonce). The flow itself is `registry.backoffice.oidc`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx2
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from litestar import Request

from registry.labels.records import OidcWords

LEEWAY = 60
"""Clock skew allowed on the ID token's exp, iat and nbf (seconds)."""
DISCOVERY_SECONDS = 3600
# Asymmetric signatures only: "none" and HMAC (keyed with our own client secret) never.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                      "ES256", "ES384", "ES512", "EdDSA")


# --- the provider: discovery and keys, kept per app ------------------------------------------


class ProviderError(Exception):
    """The provider cannot be reached or answers nonsense (a 502 page, never a 500)."""


class SignInRefused(Exception):
    """The return cannot be trusted or the provider refused: a Dutch page with `status`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Provider:
    """One issuer's discovery document and key set, fetched when first needed."""

    issuer: str
    metadata: dict[str, Any] = field(default_factory=dict)
    jwks: dict[str, Any] | None = None
    fetched_at: float = 0.0

    async def discover(self, http: httpx2.AsyncClient) -> dict[str, Any]:
        if self.metadata and time.monotonic() - self.fetched_at < DISCOVERY_SECONDS:
            return self.metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        metadata = await _get_json(http, url)
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not all(isinstance(metadata.get(k), str) and metadata[k] for k in needed):
            raise ProviderError(f"{url} lacks one of {', '.join(needed)}")
        # OIDC Discovery §4.3: the document must name the issuer we asked.
        if metadata["issuer"].rstrip("/") != self.issuer.rstrip("/"):
            raise ProviderError(f"{url} names issuer {metadata['issuer']!r}")
        self.metadata, self.jwks, self.fetched_at = metadata, None, time.monotonic()
        return metadata

    async def keys(self, http: httpx2.AsyncClient, refresh: bool = False) -> KeySet:
        if self.jwks is None or refresh:
            self.jwks = await _get_json(http, self.metadata["jwks_uri"])
        try:
            return KeySet.import_key_set(self.jwks)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"unusable key set: {exc}") from exc


async def _get_json(http: httpx2.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await http.get(url)
        response.raise_for_status()
        document = response.json()
    except (httpx2.HTTPError, httpx2.InvalidURL, ValueError) as exc:
        raise ProviderError(f"{url}: {exc}") from exc
    if not isinstance(document, dict):
        raise ProviderError(f"{url}: not a JSON object")
    return document


def provider_for(request: Request, issuer: str) -> Provider:
    providers = request.app.state.setdefault("oidc_providers", {})
    return providers.setdefault(issuer, Provider(issuer))


# --- the ID token -----------------------------------------------------------------------------


async def validate_id_token(id_token: str, provider: Provider, http: httpx2.AsyncClient,
                            client_id: str, nonce: str, access_token: str | None = None
                            ) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's keys), issuer, audience,
    expiry and nonce check out; `SignInRefused` otherwise."""
    supported = provider.metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in supported if a in SIGNING_ALGORITHMS]
    registry = JWSRegistry(algorithms=algorithms or ["RS256"])
    kept = provider.jwks is not None
    keys = await provider.keys(http)
    try:
        try:
            token = jwt.decode(id_token, key=keys, registry=registry)
        except (InvalidKeyIdError, BadSignatureError):
            if not kept:
                raise
            # The provider may have rolled its keys since we fetched them. (The token comes
            # from its token endpoint, not from the browser: no lever to make us fetch.)
            token = jwt.decode(id_token, key=await provider.keys(http, refresh=True),
                               registry=registry)
        claims = CodeIDToken(
            token.claims, token.header,
            {"iss": {"essential": True, "value": provider.metadata["issuer"]},
             "aud": {"essential": True, "value": client_id},
             "sub": {"essential": True}},
            {"nonce": nonce, "client_id": client_id, "access_token": access_token},
        )
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRefused(400, OidcWords.REFUSED_TOKEN) from exc
    return dict(claims)
