"""Bearer-token authentication and role guards, as plain Litestar guard functions.

Guards are `async def` on purpose: Litestar runs a sync guard in a worker thread, where its
token lookup would share the SQLite connection with a write on the event loop (seen as
sporadic SQLITE_BUSY_SNAPSHOT under load).

Tokens are looked up by the SHA-256 of the secret (`registry.tokens.for_secret`); the secret
itself is never stored. Roles include the ones before them (`includes`): a `publisher` may
do everything a `procurement` token may, an `admin` everything a `publisher` may. Tokens are
for machines and get `TOKEN_ROLES` only: managing people and tokens is done by signed-in
admins in the back office.

A token scoped to one school board (`tokens.board_id`, `registry token create --board`) is
refused by every guard but two: `reader`, the reads of records (`registry.api.records`
leaves out the agreements and board decisions of other boards), and `requires(role,
boards=True)`, the writes of agreements and board decisions (which then must be its own
board's). Sector tokens (no board) keep their roles everywhere.
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


def scoped_refusal(board: str) -> str:
    return (f"This API token is scoped to board {board}: it may read records and write board "
            f"{board}'s agreements and board decisions, nothing else.")


def board_of(connection: ASGIConnection) -> str | None:
    """The board the caller's token is scoped to (after a guard authenticated it), or None."""
    return connection.scope["state"].get("board")


def authenticate(connection: ASGIConnection) -> tuple[str, Role]:
    """The (name, role) of the caller's token, or 401; its board goes to `board_of`."""
    header = connection.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException(
            "This endpoint needs an API token: send 'Authorization: Bearer <token>'. "
            "Ask a publisher for one ('registry token create')."
        )
    # From the app's state: guards are not given dependencies (Litestar injects handlers only).
    found = connection.app.state.registry.tokens.lookup(secret.strip())
    if found is None or found[2]:
        # One answer for unknown and revoked: which tokens once existed is nobody's business.
        raise NotAuthorizedException(
            "This API token is not valid: unknown or revoked. Check that it was copied whole, "
            "or ask a publisher for a new one."
        )
    name, role, _, board = found
    connection.scope["state"]["actor"] = name
    connection.scope["state"]["board"] = board
    return name, Role(role)


def _sector_only(connection: ASGIConnection) -> None:
    if (board := board_of(connection)) is not None:
        raise PermissionDeniedException(scoped_refusal(board))


def requires(role: Role, boards: bool = False):
    """A guard that lets through tokens whose role includes `role`; tokens scoped to a board
    only with `boards` (the handler then keeps them to their board's records)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        _, has = authenticate(connection)
        if not boards:
            _sector_only(connection)
        if has not in ROLES_ALLOWED[role]:
            raise PermissionDeniedException(
                f"Your token has the role '{has}'; this needs the role '{role}'."
            )

    guard.__name__ = f"requires_{role}" + "_or_board" * boards
    return guard


async def any_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for reads of the registry: any valid sector token, whatever its role."""
    authenticate(connection)
    _sector_only(connection)


async def reader(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard for reads of records: any valid token, a board's too (see the module)."""
    authenticate(connection)


procurement = requires(Role.procurement)
publisher = requires(Role.publisher)
board_writer = requires(Role.procurement, boards=True)
"""The writes of agreements and board decisions: sector procurement+, or a board's token."""
