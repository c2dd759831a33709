"""What every `registry` command shares: the consoles, the --db option, the registry it opens
and the name it acts under. Imports neither the commands nor the app."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from registry import db as storage

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


def actor() -> str:
    """Who acts, in the audit log: the user running the command."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"
