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


ENV_TRUSTED_PROXIES = "REGISTRY_TRUSTED_PROXIES"
"""The same as registry.whitelist.app.ENV_TRUSTED_PROXIES (not imported: the CLI starts fast)."""


class ProxyAddress(click.ParamType):
    """An address (`10.0.0.5`, `::1`) or a network (`10.0.0.0/24`) of a trusted proxy; in
    $REGISTRY_TRUSTED_PROXIES separated by commas."""

    name = "ADDR"

    def split_envvar_value(self, rv: str) -> list[str]:
        return [item.strip() for item in rv.split(",") if item.strip()]

    def convert(self, value, param, ctx) -> str:
        import ipaddress

        try:  # as granian's proxy helper reads them: a network has a '/', host bits unset
            return str(ipaddress.ip_network(value) if "/" in value
                       else ipaddress.ip_address(value))
        except ValueError:
            self.fail(f"{value!r} is not an IP address or network such as 10.0.0.0/24.",
                      param, ctx)


trusted_proxy_option = click.option(
    "--trusted-proxy", "trusted_proxies", multiple=True, type=ProxyAddress(),
    envvar=ENV_TRUSTED_PROXIES, show_default="$REGISTRY_TRUSTED_PROXIES, comma-separated, or none",
    help="A proxy in front of the server (nginx); repeat for more. X-Forwarded-For is "
         "believed only from these addresses or networks, so rate limits count each client "
         "behind them apart. None: the header is ignored.",
)


def trust_proxies(proxies: tuple[str, ...]) -> None:
    """Pass --trusted-proxy on to the server's workers, through their environment."""
    import os

    if proxies:
        os.environ[ENV_TRUSTED_PROXIES] = ",".join(proxies)
    else:
        os.environ.pop(ENV_TRUSTED_PROXIES, None)
