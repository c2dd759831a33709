"""API tokens: the secret is shown once and only its hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import msgspec

from registry import models
from registry.errors import Conflict, Invalid, NotFound, field_error
from registry.store.connection import Store
from registry.store.rows import now, to_builtins


def hash_token(secret: str) -> str:
    # Tokens are 256-bit random strings, so a plain SHA-256 is as good as a slow KDF here.
    return hashlib.sha256(secret.encode()).hexdigest()


class Tokens:
    """The registry's API tokens."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, name: str, role: models.Role,
               board_id: str | None = None) -> tuple[models.ApiToken, str]:
        """Create a token; the secret is returned once and only its hash is stored.
        `board_id`: scoped to that board (which must exist), else the sector's."""
        secret = "wlr_" + secrets.token_urlsafe(32)
        token = models.ApiToken(id=secrets.token_hex(4), name=name, role=role,
                                created_at=dt.datetime.now(dt.UTC), board_id=board_id or None)
        with self.store.write() as db:
            if token.board_id is not None and not db["boards"].count_where(
                    "id = ? AND archived_at IS NULL", [token.board_id]):
                message = f"There is no board '{token.board_id}' in the registry."
                raise Invalid(message, [field_error("$.board_id", message)])
            if db["tokens"].count_where("name = ?", [name]):
                raise Conflict(f"A token named '{name}' exists already; choose another name.")
            db["tokens"].insert(to_builtins(token) | {"token_hash": hash_token(secret)})
        return token, secret

    def list(self) -> list[models.ApiToken]:
        """Every token, oldest first (their hashes stay inside)."""
        rows = self.store.db["tokens"].rows_where(
            select="id, name, role, created_at, revoked_at, board_id", order_by="created_at")
        return [msgspec.convert({k: v for k, v in r.items() if v}, models.ApiToken)
                for r in list(rows)]

    def revoke(self, name_or_id: str) -> models.ApiToken:
        """Revoke a token by name or id; it stops working at once."""
        with self.store.write():
            cursor = self.store.conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                [now(), name_or_id, name_or_id],
            )
            if cursor.rowcount == 0:
                raise NotFound("active token", name_or_id)
        return next(t for t in self.list() if name_or_id in (t.name, t.id))

    def for_secret(self, secret: str) -> tuple[str, str, bool] | None:
        """(name, role, revoked) of the token with this secret, or None."""
        found = self.lookup(secret)
        return found[:3] if found else None

    def lookup(self, secret: str) -> tuple[str, str, bool, str | None] | None:
        """(name, role, revoked, board_id) of the token with this secret, or None. Every request
        with a token asks this, so it reads the row directly (see `Store.rows`)."""
        rows = self.store.rows("SELECT name, role, revoked_at, board_id FROM tokens "
                               "WHERE token_hash = ?", [hash_token(secret)])
        if not rows:
            return None
        row = rows[0]
        return row["name"], row["role"], row["revoked_at"] is not None, row["board_id"]
