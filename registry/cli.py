"""The `registry` command: serve the product, manage tokens, and (see --help) the rest."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import sys
from pathlib import Path

import click
from rich.markup import escape

from registry import db as storage
from registry.cli_accounts import token, user
from registry.cli_digest import digest
from registry.cli_publish import publish_
from registry.cli_read_only import serve_read_only
from registry.cli_replica import keys, replica
from registry.cli_restore import replicate_option, replicating, restore
from registry.cli_shared import actor, console, db_option, err, open_registry
from registry.cli_shared import trust_proxies, trusted_proxy_option
from registry.errors import RegistryError
from registry.models import Role
from registry.store.kinds import KINDS



class Group(click.Group):
    """Prints a RegistryError, a file that cannot be written or read, or a database that is
    not one as one line (exit 1), not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RegistryError as exc:
            _fail(exc.detail, [f"  {e.field}: {e.message}" for e in exc.errors])
        except OSError as exc:  # an output path: a file where a folder should be, no room, ...
            _fail(_os_problem(exc))
        except sqlite3.DatabaseError as exc:  # a file given as a database that is not one
            _fail(f"The file is not a usable SQLite database: {exc}.")


def _os_problem(exc: OSError) -> str:
    """What went wrong with a path, in one sentence."""
    name = exc.filename
    if isinstance(exc, FileExistsError):
        return f"Cannot create the folder {name}: a file of that name is in the way."
    if isinstance(exc, NotADirectoryError):
        return f"Cannot write {name}: part of its path is a file, not a folder."
    if isinstance(exc, IsADirectoryError):
        return f"Cannot write {name}: it is a folder; give a file name."
    if isinstance(exc, PermissionError):
        return f"No permission to write {name}."
    if exc.errno == errno.ENOSPC:
        return f"No room on the disk for {name}."
    return f"Cannot use {name}: {exc.strerror or exc}." if name else f"{exc.strerror or exc}."


def _fail(message: str, details: list[str] = ()) -> None:
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False)
    for line in details:
        err.print(line, markup=False, highlight=False)
    sys.exit(1)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="school-whitelist-registry")
def main() -> None:
    """Registry of learning tools that meet the Dutch schools' privacy minimum standards.

    Start with `registry serve`: it creates the database with fictional demo data on first
    start and serves the API (/api) and its docs (/api/docs). Staff work in the back office
    (/beheer); create its first admin with `registry user create`.

    Every command computes verdicts for today, or for the day $REGISTRY_TODAY fixes
    (YYYY-MM-DD), as `registry serve` does.
    """
    from registry.clock import clock_from_env

    try:  # a bad day is one line before any command runs, not a traceback halfway
        clock_from_env()
    except ValueError as exc:
        _fail(str(exc))



main.add_command(token)
main.add_command(user)
main.add_command(digest)
main.add_command(publish_)
main.add_command(keys)
main.add_command(replica)
main.add_command(restore)

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
@click.option(
    # The same as registry.whitelist.app.DEFAULT_CACHE_MB (not imported: the CLI starts fast).
    "--cache-mb", default=32, show_default=True, type=click.IntRange(0, 4096),
    help="Memory per worker for answers kept until the next publication: the check's answers "
         "and the whitelist's pages, built once instead of per request. 0 turns it off.",
)
@click.option(
    "--public-url", envvar="REGISTRY_PUBLIC_URL", default=None,
    show_default="$REGISTRY_PUBLIC_URL or http://HOST:PORT",
    help="Where visitors reach the service, such as https://lijst.example.nl: the whitelist's "
         "links start with it, whatever Host a request claims.",
)
@click.option(
    "--whitelist", "whitelist_path", envvar="REGISTRY_WHITELIST", default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    show_default="$REGISTRY_WHITELIST or witte-lijst.db beside the database",
    help="The published whitelist file: where the registry publishes, or with --read-only "
         "the file served.",
)
@click.option(
    "--read-only", is_flag=True,
    help="Serve only the public side (check, tool pages, embed, /lijst) from the --whitelist "
         "file: no registry database, no API to write, no back office. For a replica.",
)
@replicate_option
@trusted_proxy_option
def serve(db_path: Path, host: str, port: int, workers: int, demo: bool, cache_mb: int,
          public_url: str | None, whitelist_path: Path | None, read_only: bool,
          replicate_to: str | None, trusted_proxies: tuple[str, ...]) -> None:
    """Run the registry: API under /api, interactive API docs at /api/docs.

    \b
    Staff sign-in through SURFconext or Entree (OpenID Connect) is on when these are set:
      REGISTRY_OIDC_ISSUER         the provider, such as https://connect.surfconext.nl
      REGISTRY_OIDC_CLIENT_ID      this service's client id at the provider
      REGISTRY_OIDC_CLIENT_SECRET  its secret (an environment variable, never an option:
                                   the process list shows options to every user)
    Register PUBLIC_URL/beheer/oidc/terug as the redirect URI.

    \b
    The server publishes by itself once a day when a published verdict reaches its change
    date, and sends the staff's daily digest through the SMTP server in
      REGISTRY_SMTP_HOST (no host: no e-mail), REGISTRY_SMTP_PORT (25),
      REGISTRY_SMTP_FROM, REGISTRY_SMTP_STARTTLS=1, REGISTRY_SMTP_USER and
      REGISTRY_SMTP_PASSWORD.
    REGISTRY_FOUR_EYES=0 lets one publisher publish alone (default: a second approves).

    A replica: --read-only serves the public side from a published --whitelist file alone
    (no database); `registry replica` keeps the file up to date.
    """
    public_url = _public_url(public_url, host, port)
    trust_proxies(trusted_proxies)  # the workers read it, read-only or not
    if read_only:  # execs granian before the full server's app is imported
        serve_read_only(whitelist_path, host, port, workers, cache_mb, public_url)
    from granian import Granian

    from registry.mail import SmtpSettings

    from registry.app import ENV_PUBLIC_URL, Settings, prepare
    from registry.clock import clock_from_env

    try:
        SmtpSettings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    settings = Settings(db_path=db_path, whitelist_path=whitelist_path, demo=demo,
                        today=clock_from_env(), public_url=public_url)
    counts = prepare(settings)
    if counts:
        console.print(f"Loaded the fictional demo data: {_summary(counts)}.")
    console.print(f"Database: {db_path}")
    console.print(f"Whitelist: {settings.whitelist}")
    console.print(f"Serving on http://{host}:{port}/  (whitelist: http://{host}:{port}/lijst/, "
                  f"API docs: http://{host}:{port}/api/docs)")
    console.print(_back_office_line(db_path, public_url), markup=False, highlight=False)
    os.environ[storage.ENV_DB] = str(db_path)
    os.environ["REGISTRY_WHITELIST"] = str(settings.whitelist)
    os.environ["REGISTRY_CACHE_MB"] = str(cache_mb)
    os.environ[ENV_PUBLIC_URL] = public_url
    with replicating(db_path, replicate_to):
        Granian(
            "registry.app:app_from_env",
            factory=True,
            interface="asgi",
            address=host,
            port=port,
            workers=workers,
            log_access=False,  # teachers' questions are not logged with their IP address
        ).serve()


def _public_url(public_url: str | None, host: str, port: int) -> str:
    """--public-url, checked, or where the server listens."""
    from registry.whitelist.mount import origin

    if public_url is None:
        public_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    try:
        origin(public_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-url") from None
    return public_url


def _back_office_line(db_path: Path, public_url: str) -> str:
    """Where staff sign in, and on a database without accounts how to make the first admin."""
    registry = storage.Registry(db_path)
    try:
        admins = [a for a in registry.accounts.list() if a.role == Role.admin and not a.disabled]
    finally:
        registry.close()
    line = f"Back office: {public_url.rstrip('/')}/beheer/inloggen"
    if not admins:
        line += (" (no admin yet: create one with `registry user create EMAIL --name NAME "
                 "--role admin`)")
    return line


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items())


# --- import and export -----------------------------------------------------------------------

KIND_CHOICE = click.Choice(list(KINDS))


@main.command("import")
@db_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
)
@click.option("--kind", type=KIND_CHOICE,
              help="What a CSV file holds, when neither its name nor its columns tell.")
@click.option("--dry-run", is_flag=True,
              help="Check everything and say what would change; write nothing.")
@click.option("--force", is_flag=True,
              help="Also overwrite records that changed in the registry since the export.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
def import_(db_path: Path, files: tuple[Path, ...], kind: str | None, dry_run: bool,
            force: bool, as_json: bool) -> None:
    """Create or update records from a JSON bundle or CSV files (a folder: all of them).

    A bundle holds vendors, tools, agreements and assessments (schema:
    schemas/bundle.schema.json). A CSV file holds one kind, named after it (tools.csv) or
    given with --kind: one column per field, nested fields with dots
    (pseudonymisation.status), lists in one cell separated by ';', the fields of one item
    separated by '|' (domains: 'rekenrijk.nl | include_subdomains; login.rekenrijk.nl').

    Every problem in the files is reported at once and then nothing is written: the import
    is all or nothing. Records are matched by id; unchanged ones are left alone. A changed
    record only overwrites the registry's when that is still what the file was exported
    from (the export's fingerprints say so); a record changed in the registry since, or a
    hand-made file without fingerprints, needs --force. Exit status 1 when nothing was
    imported because of a problem.
    """
    from rich.progress import Progress

    from registry.bundles import read_files
    from registry.importer import import_source

    source = read_files(files, kind)
    registry = open_registry(db_path)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("Importing", total=None)
        report = import_source(
            registry, source, actor=actor(), dry_run=dry_run, force=force,
            progress=lambda phase, done, total: bar.update(task, completed=done, total=total),
        )
    if report.ok and report.held_no_records():
        kinds = ", ".join(k.replace("_", " ") for k in KINDS)
        raise RegistryError(f"{source.name} holds no records ({kinds}); nothing was imported.")
    if as_json:
        import msgspec

        click.echo(msgspec.json.format(msgspec.json.encode(report), indent=2))
    elif report.ok:
        for change in report.changes if dry_run else []:
            fields = f" ({', '.join(change.changed)})" if change.changed else ""
            console.print(f"  would {change.action} {change.kind}/{change.id}{fields}",
                          markup=False, highlight=False)
        console.print(report.summary(), markup=False, highlight=False)
    else:
        _print_problems(report)
    if not report.ok:
        sys.exit(1)


def _print_problems(report) -> None:
    err.print(f"[red]Error:[/red] {escape(report.failure().detail)}", highlight=False)
    for title, errors in (("", report.errors), (
            "The registry changed since the file was exported (--force overwrites):",
            report.conflicts)):
        if title and errors:
            err.print(title, markup=False, highlight=False)
        record = None
        for e in errors:
            if (e.kind, e.index) != record:
                record = (e.kind, e.index)
                where = f"{e.kind}[{e.index}]" if e.kind else "the file"
                where += f" '{e.record_id}'" if e.record_id else ""
                where += f" ({e.location}, line {e.line})" if e.line else ""
                err.print(f"  {where}", markup=False, highlight=False)
            field = re.sub(r"^\$\.[a-z]+\[\d+\]\.?", "", e.field)
            text = f"{field}: {e.message}" if field else e.message
            err.print(f"    {text}", markup=False, highlight=False)


@main.command("export")
@db_option
@click.argument("out", type=click.Path(path_type=Path, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True,
              help="json: one bundle file; csv: a folder with one file per kind.")
def export(db_path: Path, out: Path, fmt: str) -> None:
    """Write every current record as a bundle ('-' for standard output) or CSV files.

    Records are sorted by id and carry a fingerprint, so exporting the same records always
    gives the same bytes, and `registry import` can tell whether the registry changed since.
    Archived records are left out.
    """
    from registry.exporter import encode_bundle, export_bundle, export_csv

    registry = open_registry(db_path)
    if fmt == "csv":
        if str(out) == "-":
            raise click.BadParameter("CSV export writes a folder; give its path.", param_hint="OUT")
        paths = export_csv(registry, out)
        console.print(f"Exported to {', '.join(str(p) for p in paths)}.", markup=False,
                      highlight=False)
        return
    bundle = export_bundle(registry)
    data = encode_bundle(bundle)
    counts = {kind: len(getattr(bundle, kind)) for kind in KIND_CHOICE.choices}
    if str(out) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    console.print(f"Exported {_summary(counts)} to {out}.", markup=False, highlight=False)


# --- backup and verify -------------------------------------------------------------------------


@main.command("backup")
@db_option
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup_(db_path: Path, out: Path) -> None:
    """Copy the database to OUT while the registry keeps running (writes go on).

    The copy is one consistent state, checked and written to a temporary file first; OUT is
    then replaced atomically. Restore by stopping the registry and copying OUT back over the
    database; `registry verify --db OUT` checks a copy.
    """
    from registry.backup import backup

    counts = backup(db_path, out)
    kinds = (*KINDS, "events")
    console.print(f"Backed up {db_path} to {out}: "
                  f"{_summary({k: counts.get(k, 0) for k in kinds})}.", markup=False,
                  highlight=False)


@main.command("verify")
@db_option
@click.option(
    "--whitelist", "whitelist_path", type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The published whitelist to compare with its record; skipped when there is no file. "
    " [default: $REGISTRY_WHITELIST or witte-lijst.db beside the database]",
)
def verify(db_path: Path, whitelist_path: Path | None) -> None:
    """Check the database: SQLite integrity, foreign keys, the triggers, the audit chain,
    every record against its last audit event, the served whitelist against its record, and
    its manifest against the file (and the signing key, when there is one).

    Changes nothing. Prints one line per problem and exits with status 1 if there is any.
    """
    from registry.publish import default_whitelist_path
    from registry.publish.recovery import served_problems

    whitelist_path = whitelist_path or default_whitelist_path(db_path)
    registry = storage.Registry.open_read_only(db_path)
    try:
        problems = registry.file.verify()
        if not problems:
            problems = served_problems(registry, whitelist_path)
        events = 0 if problems else registry.db["events"].count
    finally:
        registry.close()
    for problem in problems:
        err.print(problem, markup=False, highlight=False)
    if problems:
        sys.exit(1)
    console.print(f"{db_path}: sound (integrity, foreign keys, triggers, audit chain of "
                  f"{events} events).", markup=False, highlight=False)


if __name__ == "__main__":
    main()
