"""The continuous backup on the command line: `registry serve --replicate-to DEST` runs
Litestream beside the server (`replicating`), `registry restore` brings the database back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from registry.cli_shared import console, err
from registry.errors import RegistryError


def _checked_dest(ctx: click.Context, param: click.Parameter, dest: str | None) -> str | None:
    """DEST is a place Litestream can use and Litestream is there, before the server starts
    (a RegistryError: one line, exit 1)."""
    if dest:
        from registry import litestream

        litestream.replica_url(dest)
        litestream.binary()
    return dest


replicate_option = click.option(
    "--replicate-to", "replicate_to", envvar="REGISTRY_REPLICATE_TO", default=None,
    callback=_checked_dest,
    metavar="DEST", show_default="$REGISTRY_REPLICATE_TO or no backup",
    help="Back the database up continuously with Litestream (about once a second) to DEST: "
         "a folder, or s3://BUCKET/PATH with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set. "
         "`registry restore --from DEST` brings it back.",
)


@contextmanager
def replicating(db_path: Path, dest: str | None) -> Iterator[None]:
    """Litestream replicates the database to DEST while the block runs (nothing when DEST is
    None); stopped after it, so that it ships the workers' last writes."""
    if not dest:
        yield
        return
    from registry import litestream

    def stopped(code: int) -> None:
        err.print(f"Error: Litestream stopped (exit status {code}): the database is no longer "
                  f"backed up to {dest}.", markup=False, highlight=False)

    replication = litestream.Replication(db_path, dest, on_exit=stopped)
    replication.start()
    console.print(f"Backup: Litestream replicates {db_path} to {replication.url} (every "
                  f"{litestream.SYNC_INTERVAL}).", markup=False, highlight=False)
    try:
        yield
    finally:
        replication.stop()


@click.command("restore")
@click.option("--from", "dest", required=True, metavar="DEST",
              help="The backup `registry serve --replicate-to DEST` writes: a folder or an "
                   "s3://BUCKET/PATH URL (credentials in AWS_ACCESS_KEY_ID and "
                   "AWS_SECRET_ACCESS_KEY).")
@click.option("--db", "db_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              metavar="NEW", help="Where the restored database goes: a file that does not exist "
                                  "yet (an existing file is never overwritten).")
@click.option("--timestamp", default=None, metavar="ISO8601",
              help="Bring back the state at this moment, such as 2026-12-03T09:30:00+01:00 "
                   "(no offset: UTC), instead of the newest state.")
@click.pass_context
def restore(ctx: click.Context, dest: str, db_path: Path, timestamp: str | None) -> None:
    """Restore the registry database from its continuous backup into NEW, then check it.

    Brings back the newest state the backup holds (about a second before the server
    stopped), or with --timestamp the state at that moment, into the new file NEW. Then it
    runs the checks of `registry verify` on NEW: SQLite integrity, foreign keys, the
    triggers, the audit chain, every record against its last audit event. Exits with
    status 1 if the restore or a check fails.

    \b
    To put it in service: stop the registry; move the old database away together with its
    -wal and -shm files and its .NAME-litestream folder (a WAL left beside NEW would be
    applied to it); move NEW in its place; start `registry serve` again, with a new, empty
    DEST for --replicate-to, so that the restored history starts a backup of its own.
    """
    from registry import litestream

    if db_path.exists() or Path(f"{db_path}-wal").exists():
        raise RegistryError(f"{db_path} exists: restore into a new file (nothing was changed).")
    moment = None
    if timestamp is not None:
        try:
            moment = dt.datetime.fromisoformat(timestamp)
        except ValueError:
            raise RegistryError(f"--timestamp {timestamp!r} is not a moment such as "
                                "2026-12-03T09:30:00Z.") from None
    db_path.parent.mkdir(parents=True, exist_ok=True)
    restored = litestream.restore(dest, db_path, moment)
    if restored:
        state = f"the state at {litestream.rfc3339(restored)}"
    elif moment:
        state = f"the newest state (its last transaction is before {litestream.rfc3339(moment)})"
    else:
        state = "the newest state"
    console.print(f"Restored {state} from {dest} into {db_path}.", markup=False, highlight=False)

    # `registry verify` itself (looked up, not imported: registry.cli imports this module):
    # the same checks, the same output, exit status 1 on a problem.
    verify = ctx.find_root().command.get_command(ctx, "verify")
    ctx.invoke(verify, db_path=db_path, whitelist_path=None)
