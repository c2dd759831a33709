"""The `registry` command: serve the product, manage tokens, and (see --help) the rest."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from registry import db as storage
from registry.errors import RegistryError
from registry.models import Role

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=storage.ENV_DB,
    default=storage.default_db_path,
    show_default="$REGISTRY_DB or ~/.local/share/school-whitelist/registry.db",
    help="The registry database; created on first use.",
)


def open_registry(db_path: Path) -> storage.Registry:
    registry = storage.Registry(db_path)
    registry.migrate()
    return registry


class Group(click.Group):
    """Prints a RegistryError as one line (exit 1), not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            err.print(f"[red]Error:[/red] {exc.detail}", highlight=False)
            for e in exc.errors:
                err.print(f"  {e.field}: {e.message}", highlight=False)
            sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="school-whitelist-registry")
def main() -> None:
    """Registry of learning tools that meet the Dutch schools' privacy minimum standards.

    Start with `registry serve`: it creates the database with fictional demo data on first
    start and serves the API (/api) and its docs (/api/docs).
    """


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64),
    help="Worker processes (one per core is a good start).",
)
@click.option(
    "--demo/--no-demo", default=True, show_default=True,
    help="Load the fictional demo data into an empty database.",
)
def serve(db_path: Path, host: str, port: int, workers: int, demo: bool) -> None:
    """Run the registry: API under /api, interactive API docs at /api/docs."""
    from granian import Granian

    from registry.app import prepare

    counts = prepare(db_path, demo)
    if counts:
        console.print(f"Loaded the fictional demo data: {_summary(counts)}.")
    console.print(f"Database: {db_path}")
    console.print(f"Serving on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    os.environ[storage.ENV_DB] = str(db_path)
    Granian(
        "registry.app:app_from_env",
        factory=True,
        interface="asgi",
        address=host,
        port=port,
        workers=workers,
        log_access=False,  # teachers' questions are not logged with their IP address
    ).serve()


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items())


@main.group()
def token() -> None:
    """Create, list and revoke API tokens (only their hashes are stored)."""


@token.command("create")
@db_option
@click.option("--name", required=True, help="Who or what uses the token; shown in the audit log.")
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]),
    help="procurement: records; publisher: also publications and policy.",
)
def token_create(db_path: Path, name: str, role: str) -> None:
    """Create a token and print it once: store it safely, it cannot be shown again."""
    created, secret = open_registry(db_path).create_token(name, Role(role))
    console.print(f"Created token '{created.name}' ({created.role}, id {created.id}).")
    console.print("Store it now; it is not shown again:")
    click.echo(secret)


@token.command("list")
@db_option
def token_list(db_path: Path) -> None:
    """List tokens: name, role, created, revoked."""
    table = Table("id", "name", "role", "created", "revoked")
    for t in open_registry(db_path).tokens():
        revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""
        table.add_row(t.id, t.name, t.role, t.created_at.isoformat(timespec="seconds"), revoked)
    console.print(table)


@token.command("revoke")
@db_option
@click.argument("name_or_id")
def token_revoke(db_path: Path, name_or_id: str) -> None:
    """Revoke a token by name or id; it stops working at once."""
    revoked = open_registry(db_path).revoke_token(name_or_id)
    console.print(f"Revoked token '{revoked.name}'.")


if __name__ == "__main__":
    main()
