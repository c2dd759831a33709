"""`registry token` and `registry user`: API tokens and the back office's staff accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from registry.auth import TOKEN_ROLES
from registry.cli_shared import actor, console, db_option, open_registry
from registry.errors import RegistryError
from registry.models import Role


@click.group()
def token() -> None:
    """Create, list and revoke API tokens (only their hashes are stored)."""


@token.command("create")
@db_option
@click.option("--name", required=True, help="Who or what uses the token; shown in the audit log.")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in TOKEN_ROLES]),
    help="procurement: records; publisher: also publications and policy.",
)
@click.option("--board", default=None, metavar="NUMBER",
              help="Scope the token to one school board (its DUO number, e.g. 99002): it may "
                   "then read records and write only that board's agreements and decisions.")
def token_create(db_path: Path, name: str, role: str, board: str | None) -> None:
    """Create a token and print it once: store it safely, it cannot be shown again."""
    try:
        created, secret = open_registry(db_path).tokens.create(name, Role(role), board)
    except RegistryError as exc:  # its one sentence says it all: no field lines
        raise RegistryError(exc.detail) from None
    scope = f", board {created.board_id}" if created.board_id else ""
    console.print(f"Created token '{created.name}' ({created.role}{scope}, id {created.id}).")
    console.print("Store it now; it is not shown again:")
    click.echo(secret)


@token.command("list")
@db_option
def token_list(db_path: Path) -> None:
    """List tokens: name, role, board (a column only once a token is scoped to one),
    created, revoked."""
    tokens = open_registry(db_path).tokens.list()
    boards = any(t.board_id for t in tokens)
    table = Table("id", "name", "role", *(["board"] if boards else []), "created", "revoked")
    for t in tokens:
        revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""
        table.add_row(t.id, t.name, t.role, *([t.board_id or ""] if boards else []),
                      t.created_at.isoformat(timespec="seconds"), revoked)
    console.print(table)


@token.command("revoke")
@db_option
@click.argument("name_or_id")
def token_revoke(db_path: Path, name_or_id: str) -> None:
    """Revoke a token by name or id; it stops working at once."""
    revoked = open_registry(db_path).tokens.revoke(name_or_id)
    console.print(f"Revoked token '{revoked.name}'.")


# --- staff accounts of the back office ---------------------------------------------------------

STAFF_ROLES = click.Choice([r.value for r in Role])


@click.group()
def user() -> None:
    """Create, list and disable staff accounts of the back office (/beheer).

    Roles: procurement (records), publisher (also publishing and the policy), admin (also
    accounts and API tokens, in the back office). Create the first admin here; admins then
    approve and manage the others at /beheer/accounts.
    """


def _checked_password(value: str) -> str:
    from registry.store.accounts import password_problem

    if problem := password_problem(value):
        raise click.UsageError(problem)
    return value


@user.command("create")
@db_option
@click.argument("email")
@click.option("--name", required=True, help="The person's name, as colleagues see it.")
@click.option("--role", required=True, type=STAFF_ROLES,
              help="procurement: records; publisher: also publishing; admin: also accounts "
                   "and tokens.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts) "
                   "instead of asking for it twice.")
@click.option("--board", default=None, metavar="NUMBER",
              help="Scope the account to one school board (its DUO number, e.g. 99002).")
def user_create(db_path: Path, email: str, name: str, role: str, password_stdin: bool,
                board: str | None) -> None:
    """Create an account that signs in at /beheer/inloggen with EMAIL and a password.

    The password needs at least 12 characters and must not be a common one; only its argon2id
    hash is stored.
    """
    from registry.store.accounts import password_problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if problem := password_problem(password):
            raise RegistryError(problem)
    else:  # asked again until it is good enough
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                value_proc=_checked_password)
    try:
        created = open_registry(db_path).accounts.create(email, name, Role(role), password,
                                                         actor(), board_id=board)
    except RegistryError as exc:  # its one sentence says it all: no field lines
        raise RegistryError(exc.detail) from None
    scope = f", board {created.board_id}" if created.board_id else ""
    console.print(f"Created account '{created.email}' ({created.role}{scope}). Sign in at "
                  "/beheer/inloggen.", markup=False, highlight=False)


@user.command("list")
@db_option
def user_list(db_path: Path) -> None:
    """List accounts: e-mail, name, role (none: waiting for approval), status, last sign-in."""
    accounts = open_registry(db_path).accounts.list()
    boards = any(a.board_id for a in accounts)  # a column once an account is scoped to one
    table = Table("email", "name", "role", *(["board"] if boards else []), "status",
                  "last sign-in")
    for a in accounts:
        status = "disabled" if a.disabled else "waiting" if a.role is None else "active"
        table.add_row(a.email, a.name, a.role or "", *([a.board_id or ""] if boards else []),
                      status, (a.last_signin_at or "")[:19])
    console.print(table)


@user.command("disable")
@db_option
@click.argument("email")
def user_disable(db_path: Path, email: str) -> None:
    """Disable the account of EMAIL: it can no longer sign in, and its sessions end at once."""
    registry = open_registry(db_path)
    found = registry.accounts.by_email(email)
    if found is None:
        raise RegistryError(f"No account with the e-mail address '{email.strip().lower()}'.")
    registry.accounts.disable(found.id, actor())
    console.print(f"Disabled account '{found.email}'.", markup=False, highlight=False)
