"""API tokens: the secret is shown once and only its hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec

from registry import models
from registry.errors import Conflict, NotFound
from registry.store.rows import now, to_builtins


def hash_token(secret: str) -> str:
    # Tokens are 256-bit random strings, so a plain SHA-256 is as good as a slow KDF here.
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """`Registry`'s tokens."""

    def create_token(self, name: str, role: models.Role) -> tuple[models.ApiToken, str]:
        """Create a token; the secret is returned once and only its hash is stored."""
        secret = "wlr_" + secrets.token_urlsafe(32)
        token = models.ApiToken(
            id=secrets.token_hex(4), name=name, role=role, created_at=dt.datetime.now(dt.UTC)
        )
        with self.write():
            if self._rows("SELECT 1 FROM tokens WHERE name = ?", [name]):
                raise Conflict(f"A token named '{name}' exists already; choose another name.")
            self._insert("tokens", to_builtins(token) | {"token_hash": hash_token(secret)})
        return token, secret

    def tokens(self) -> list[models.ApiToken]:
        rows = self._rows(
            "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY created_at"
        )
        return [msgspec.convert({k: v for k, v in r.items() if v}, models.ApiToken) for r in rows]

    def revoke_token(self, name_or_id: str) -> models.ApiToken:
        with self.write():
            cursor = self.conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                [now(), name_or_id, name_or_id],
            )
            if cursor.rowcount == 0:
                raise NotFound("active token", name_or_id)
        return next(t for t in self.tokens() if name_or_id in (t.name, t.id))

    def token_for_secret(self, secret: str) -> tuple[str, str, bool] | None:
        """(name, role, revoked) of the token with this secret, or None."""
        rows = self._rows(
            "SELECT name, role, revoked_at FROM tokens WHERE token_hash = ?", [hash_token(secret)]
        )
        return (rows[0]["name"], rows[0]["role"], rows[0]["revoked_at"] is not None) if rows else None
