"""`registry publish`: publish now, show what publishing would change, or publish what is due."""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli_shared import actor, console, db_option, open_registry


@click.command("publish")
@db_option
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The published whitelist.  [default: $REGISTRY_WHITELIST or witte-lijst.db beside "
    "the database]",
)
@click.option("--dry-run", is_flag=True,
              help="Only print what publishing now would change (tools added, removed, each "
              "verdict changed and why); change nothing.")
@click.option("--if-due", is_flag=True,
              help="Publish only when a published verdict has reached its change date (for "
              "cron or a systemd timer; `registry serve` does it by itself): once a day, from "
              "the records as they were at the last publication.")
@click.option("--full", is_flag=True,
              help="Rebuild every tool. By default only the tools whose records changed since "
              "the served file was built, or whose verdict changes today, are rebuilt into a "
              "copy of it (the same content as a full rebuild); a new policy, a rollback or a "
              "file of an older format always rebuild all.")
def publish_(db_path: Path, out_path: Path | None, dry_run: bool, if_due: bool,
             full: bool) -> None:
    """Publish the whitelist: build it with today's verdicts, replace the file atomically.

    A direct publication by the operator on the server: the shell is trusted, so the four
    eyes of the back office and the API (a second publisher approves) do not apply here;
    the publication records who ran it.

    Serve it with `datasette witte-lijst.db -m datasette-metadata.json`; restart Datasette
    after publishing, as it keeps the old file open.
    """
    from registry.clock import clock_from_env
    from registry.publish import default_whitelist_path, publish
    from registry.publish.due import publish_if_due

    out_path, today = out_path or default_whitelist_path(db_path), clock_from_env()()
    registry = open_registry(db_path)
    if dry_run:
        _print_preview(registry, out_path, today)
        return
    if if_due:
        registry.close()
        done = publish_if_due(db_path, out_path, today)
        if done is None:
            console.print("Nothing is due: no published verdict changes today, or it was "
                          "published already.", markup=False, highlight=False)
            return
    else:
        with console.status("Publishing", spinner="dots") as status:
            def progress(step: str) -> None:
                if console.is_terminal:
                    status.update(f"{step}…")

            done = publish(registry, out_path, today, actor(), progress=progress,
                           full=full)
    c, ch = done.counts, done.changes
    since = f"since version {ch.since_version}" if ch.since_version else "(new file)"
    console.print(
        f"Published version {done.version} to {out_path}: {c['tools']} tools ({c['allowed']} "
        f"allowed, {c['allowed_with_conditions']} with conditions, {c['not_allowed']} not "
        f"allowed, {c['under_review']} under review, {c['not_assessed']} not assessed); "
        f"changes {since}: {ch.added} added, {ch.removed} removed, {ch.verdict_changed} "
        f"verdict changed. Published by {done.actor}.", markup=False, highlight=False,
    )


def _print_preview(registry, out_path: Path, today) -> None:
    from registry.publish.prepare import preview, preview_lines

    for line in preview_lines(preview(registry, out_path, today, limit=None)):
        click.echo(line)
