"""`registry serve --read-only`: the read wing alone on a published file, for a replica
(apart from `registry.cli`, which stays short)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from registry.cli_shared import console

READ_ONLY_APP = "registry.whitelist.app:read_app_from_env"
"""What the workers of `serve --read-only` run: the read wing's own factory."""
ALONE = {"db_path": "--db", "demo": "--demo/--no-demo", "replicate_to": "--replicate-to"}
"""Options of the full server that --read-only has no use for."""


def serve_read_only(whitelist_path: Path | None, host: str, port: int, workers: int,
                    cache_mb: int, public_url: str) -> None:
    """Serve the read wing alone on a published file; never returns.

    The server process becomes granian itself (exec), so its workers start in an interpreter
    that has loaded nothing of this command's write side: only the read wing and what it
    needs, the least memory a worker can have. Before the file exists (a replica that has
    not fetched its first publication) every page answers 503.
    """
    context = click.get_current_context()
    given = [option for name, option in ALONE.items()
             if context.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        raise click.UsageError(f"--read-only serves a published file alone; it takes no "
                               f"{', '.join(given)}.")
    if whitelist_path is None:
        raise click.UsageError("--read-only needs --whitelist FILE: the published whitelist "
                               "to serve.")
    whitelist_path = whitelist_path.absolute()
    waiting = "" if whitelist_path.exists() else " (not there yet: 503 until it is)"
    console.print(f"Whitelist: {whitelist_path}{waiting}", markup=False, highlight=False)
    console.print(f"Serving read-only on http://{host}:{port}/  "
                  f"(whitelist: http://{host}:{port}/lijst/)", markup=False, highlight=False)
    os.environ["REGISTRY_WHITELIST"] = str(whitelist_path)
    os.environ["REGISTRY_CACHE_MB"] = str(cache_mb)
    os.environ["REGISTRY_PUBLIC_URL"] = public_url
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [
        sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", host,
        "--port", str(port), "--workers", str(workers),
        "--no-access-log",  # teachers' questions are not logged with their IP address
        READ_ONLY_APP])
