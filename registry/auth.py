"""Bearer-token authentication and role guards, as plain Litestar guard functions.

Guards are `async def` on purpose: Litestar runs a sync guard in a worker thread, where its
token lookup would share the SQLite connection with a write on the event loop (seen as
sporadic SQLITE_BUSY_SNAPSHOT under load).

Tokens are looked up by the SHA-256 of the secret (`registry.tokens.for_secret`); the secret
itself is never stored. Roles include the ones before them (`includes`): a `publisher` may
do everything a `procurement` token may, an `admin` everything a `publisher` may. Tokens are
for machines and get `TOKEN_ROLES` only: managing people and tokens is done by signed-in
admins in the back office.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from registry.models import Role

RANKS = {Role.procurement: 1, Role.publisher: 2, Role.admin: 3}
TOKEN_ROLES = (Role.procurement, Role.publisher)


def includes(has: Role, needed: Role) -> bool:
    """Whether the role `has` may do what `needed` may (procurement < publisher < admin)."""
    return RANKS[Role(has)] >= RANKS[Role(needed)]


ROLES_ALLOWED = {needed: {has for has in Role if includes(has, needed)} for needed in Role}


def authenticate(connection: ASGIConnection) -> tuple[str, Role]:
    """The (name, role) of the caller's token, or 401."""
    header = connection.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException(
            "This endpoint needs an API token: send 'Authorization: Bearer <token>'. "
            "Ask a publisher for one ('registry token create')."
        )
    # From the app's state: guards are not given dependencies (Litestar injects handlers only).
    found = connection.app.state.registry.tokens.for_secret(secret.strip())
    if found is None or found[2]:
        # One answer for unknown and revoked: which tokens once existed is nobody's business.
        raise NotAuthorizedException(
            "This API token is not valid: unknown or revoked. Check that it was copied whole, "
            "or ask a publisher for a new one."
        )
    name, role, _ = found
    connection.scope["state"]["actor"] = name
    return name, Role(role)


def requires(role: Role):
    """A guard that lets through tokens whose role includes `role`."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        _, has = authenticate(connection)
        if has not in ROLES_ALLOWED[role]:
            raise PermissionDeniedException(
                f"Your token has the role '{has}'; this needs the role '{role}'."
            )

    guard.__name__ = f"requires_{role}"
    return guard


async def any_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for reads of the registry: any valid token, whatever its role."""
    authenticate(connection)


procurement = requires(Role.procurement)
publisher = requires(Role.publisher)
