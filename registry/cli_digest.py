"""`registry digest`: send today's e-mail digest to the staff who want it (once a day, as the
server's daily job does), or print it with --dry-run."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import click
from rich.markup import escape

from registry.cli_shared import console, db_option, err, open_registry


@click.command()
@db_option
@click.option("--dry-run", is_flag=True,
              help="Print the digest instead of sending it; claims nothing, sends nothing.")
def digest(db_path: Path, dry_run: bool) -> None:
    """Send today's digest (what runs out, new review requests, changed verdicts) to every
    account that wants it, through the SMTP server of $REGISTRY_SMTP_HOST. Sent once a day:
    a second run that day says so. Links point to $REGISTRY_PUBLIC_URL."""
    from registry import digest as digests
    from registry.app import ENV_PUBLIC_URL
    from registry.clock import clock_from_env
    from registry.mail import SmtpSettings
    from registry.published import default_whitelist_path
    from registry.whitelist.mount import DEFAULT_PUBLIC_URL

    open_registry(db_path).close()  # created and migrated, as every command does
    today, now = clock_from_env()(), dt.datetime.now(dt.UTC)
    whitelist = default_whitelist_path(db_path)
    public_url = os.environ.get(ENV_PUBLIC_URL) or DEFAULT_PUBLIC_URL
    if dry_run:
        text = digests.preview(db_path, whitelist, today, now, public_url=public_url)
        click.echo(text if text is not None else digests.outcome("nothing"))
        return
    try:
        smtp = SmtpSettings.from_env()
    except ValueError as exc:
        _fail(str(exc))
    said = digests.send_daily_digest(db_path, whitelist, smtp, today, now, public_url=public_url)
    if digests.failed(said):
        _fail(said)
    console.print(said, markup=False, highlight=False)


def _fail(message: str) -> None:
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False)
    sys.exit(1)
