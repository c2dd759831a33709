"""Bulk import from the browser at /beheer/importeren: upload, dry run, confirm.

The uploaded file is kept on the server between the check and the confirmation, in a folder
beside the database, under a random id bound to the account that uploaded it, with its
SHA-256. The confirmation names only that id: the officer cannot confirm a file other than
the one checked (as re-posting the file would allow, silently, if it changed on disk or another
was picked), and does not have to choose it again. It is applied only if the registry would
still change exactly as the report said: the plan is made again inside the write lock and
compared with the checked one; if anything differs nothing is written and the new report is
shown. The API's import (`registry.api.imports`) and the CLI share all of this but the page.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from registry.api.imports import MAX_IMPORT_BODY
from registry.backoffice.access import Account, SignedInAccount, signed_in
from registry.backoffice.import_words import dutch_file_error, dutch_problem, field_words
from registry.bundles import check, read_files
from registry.db import Registry
from registry.errors import RegistryError
from registry.importer import ImportReport, import_source
from registry.labels import VERDICT_LABELS
from registry.labels.records import RECORD_WORDS, field_label
from registry.models import Role
from registry.publish.preview import Shift, import_effect
from registry.store.kinds import KINDS

PAGE = "/beheer/importeren"
TEMPLATE = "beheer/importeren.html"
KEEP_SECONDS = 6 * 3600
"""A checked upload waits this long for its confirmation; older ones are removed."""
SHOWN = 200
"""Rows of a report's tables; the counts above them are always complete."""
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
FORM_OVERHEAD = 64 * 1024


class UploadProblem(Exception):
    """The upload cannot be checked at all; `message` says why, in Dutch."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


# --- uploads kept between the check and the confirmation --------------------------------------


def uploads_folder(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + "-uploads")


@dataclass
class Upload:
    """A checked file waiting for its confirmation."""

    id: str
    folder: Path
    meta: dict[str, Any]

    @property
    def path(self) -> Path:
        return self.folder / self.meta["stored_name"]


def _stored_name(filename: str, raw: bytes) -> str:
    """A safe file name that keeps what the importer reads from a name: the suffix (JSON or
    CSV) and the words that say a CSV file's kind (`leveranciers.csv`)."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename.replace("\\", "/")).name)[:100]
    base = base.strip("._") or "bestand"
    suffix = Path(base).suffix.lower()
    if suffix not in (".json", ".csv"):
        sniffed = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        suffix = ".json" if sniffed in (b"{", b"[") else ".csv"
        base += suffix
    return base


def save_upload(db_path: Path, account: Account, filename: str, raw: bytes, kind: str | None,
                force: bool) -> Upload:
    folder = uploads_folder(db_path)
    folder.mkdir(mode=0o700, exist_ok=True)
    _forget_old(folder)
    upload_id = secrets.token_urlsafe(24)
    own = folder / upload_id
    own.mkdir(mode=0o700)
    meta = {"account": account.id, "filename": filename, "stored_name": _stored_name(filename, raw),
            "kind": kind, "force": force, "sha256": hashlib.sha256(raw).hexdigest(),
            "at": time.time(), "changes": None}
    (own / meta["stored_name"]).write_bytes(raw)
    _write_meta(own, meta)
    return Upload(upload_id, own, meta)


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for own in folder.iterdir():
        try:
            if own.stat().st_mtime < limit:
                shutil.rmtree(own, ignore_errors=True)
        except FileNotFoundError:
            pass


def load_upload(db_path: Path, upload_id: str, account: Account) -> Upload:
    """The upload `upload_id` of `account`, unchanged since it was checked."""
    gone = UploadProblem("Deze import is al uitgevoerd of verlopen. Kies het bestand opnieuw.", 404)
    if not UPLOAD_ID.match(upload_id):
        raise gone
    own = uploads_folder(db_path) / upload_id
    try:
        meta = json.loads((own / "upload.json").read_text(encoding="utf-8"))
        upload = Upload(upload_id, own, meta)
        raw = upload.path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, ValueError):
        raise gone from None
    if meta["account"] != account.id:
        raise gone  # someone else's upload is not theirs to confirm, nor to know of
    if hashlib.sha256(raw).hexdigest() != meta["sha256"] or meta["changes"] is None:
        raise UploadProblem("Het bestand is na de controle veranderd. Kies het opnieuw.", 409)
    return upload


def discard_upload(db_path: Path, upload_id: str, account: Account) -> None:
    """Remove an upload its own account no longer wants (cancelled); anything else: nothing."""
    if not UPLOAD_ID.match(upload_id):
        return
    own = uploads_folder(db_path) / upload_id
    try:
        meta = json.loads((own / "upload.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return
    if meta.get("account") == account.id:
        shutil.rmtree(own, ignore_errors=True)


# --- checking and applying (in a worker thread, on a connection of its own) ----------------


@dataclass
class Outcome:
    """What the page shows of a check or an import."""

    report: ImportReport
    shifts: list[Shift] = field(default_factory=list)
    applied: bool = False
    moved: bool = False
    """The registry changed between the check and the confirmation: nothing was written."""


def _changes(report: ImportReport) -> list[list]:
    return [[c.kind, c.id, c.action, c.changed] for c in report.changes]


def _source_name(upload: Upload) -> str:
    return f"{PAGE} ({upload.meta['filename'][:150]})"


def _read(upload: Upload):
    try:
        source = read_files([upload.path], upload.meta["kind"])
    except RegistryError as exc:
        raise UploadProblem(dutch_file_error(exc.detail, upload.path.read_bytes())) from None
    source.name = _source_name(upload)  # what the audit log says the changes came from
    return source


def check_upload(db_path: Path, upload: Upload, today: dt.date) -> Outcome:
    """The dry run: the importer's report, and the verdicts it would change."""
    source = _read(upload)
    registry = Registry(db_path)
    try:
        with registry.snapshot():
            report = import_source(registry, source, actor="", dry_run=True,
                                   force=upload.meta["force"])
            shifts = _shifts(registry, source, report, today) if report.ok else []
    finally:
        registry.close()
    if report.ok:
        upload.meta["changes"] = _changes(report)
        _write_meta(upload.folder, upload.meta)
    else:
        shutil.rmtree(upload.folder, ignore_errors=True)  # nothing to confirm
    return Outcome(report, shifts)


def _shifts(registry: Registry, source, report: ImportReport, today: dt.date) -> list[Shift]:
    planned = {(c.kind, c.id) for c in report.changes}
    incoming: dict[str, list] = {kind: [] for kind in KINDS}
    for kind, records in check(source).records.items():
        for _, record in records:
            if (kind, record.id) in planned:
                planned.discard((kind, record.id))  # the first of an id, as the plan has it
                incoming[kind].append(record)
    return import_effect(registry, incoming, today)


def apply_upload(db_path: Path, upload: Upload, actor: str, today: dt.date) -> Outcome:
    """Import the checked file if the registry would change exactly as checked."""
    source = _read(upload)
    registry = Registry(db_path)
    try:
        with registry.write():  # one lock from the second check to the last write
            again = import_source(registry, source, actor=actor, dry_run=True,
                                  force=upload.meta["force"])
            if not again.ok or _changes(again) != upload.meta["changes"]:
                shifts = _shifts(registry, source, again, today) if again.ok else []
                outcome = Outcome(again, shifts, moved=True)
            else:
                report = import_source(registry, source, actor=actor,
                                       force=upload.meta["force"])
                outcome = Outcome(report, applied=report.ok)
    finally:
        registry.close()
    if outcome.applied or not outcome.report.ok:
        shutil.rmtree(upload.folder, ignore_errors=True)
    else:
        upload.meta["changes"] = _changes(outcome.report)
        with suppress(FileNotFoundError):  # a second click confirmed and removed it meanwhile
            _write_meta(upload.folder, upload.meta)
    return outcome


# --- the report as the page shows it -------------------------------------------------------


def _problem_rows(report: ImportReport) -> list[dict[str, Any]]:
    rows = []
    for error in [*report.errors, *report.conflicts]:
        kind = error.kind
        at = error.field
        if kind is not None and error.index is not None:
            at = error.field.removeprefix(f"$.{kind}[{error.index}]")
        rows.append({
            "record": _record_words(kind, error.index, error.record_id, error.line),
            "field": field_words(kind, at),
            "path": at.removeprefix("$").removeprefix(".") or None,
            "message": dutch_problem(kind, at, error.message),
        })
    return rows


def _record_words(kind: str | None, index: int | None, record_id: str | None,
                  line: int | None) -> str:
    if kind is None:
        return "Het bestand"
    words = RECORD_WORDS[kind][0].capitalize()
    where = f"regel {line}" if line else f"nr. {index + 1}" if index is not None else ""
    name = f" '{record_id}'" if record_id else ""
    return f"{words}{name} ({where})" if where else f"{words}{name}"


def _change_rows(report: ImportReport, action: str) -> list[dict[str, Any]]:
    return [{"kind": RECORD_WORDS[c.kind][0], "id": c.id,
             "fields": [field_label(c.kind, f) for f in c.changed], "forced": c.forced}
            for c in report.changes if c.action == action][:SHOWN]


def _per_kind(counts: dict[str, int]) -> list[str]:
    return [f"{n} {RECORD_WORDS[kind][0] if n == 1 else RECORD_WORDS[kind][1]}"
            for kind, n in counts.items() if n]


def report_context(outcome: Outcome) -> dict[str, Any]:
    report = outcome.report
    existing = [s for s in outcome.shifts if s.before is not None]
    added = Counter(s.after for s in outcome.shifts if s.before is None)
    return {
        "report": report,
        "problems": _problem_rows(report)[:SHOWN],
        "problem_count": len(report.errors) + len(report.conflicts),
        "refused_records": len({(e.kind, e.index) for e in [*report.errors, *report.conflicts]}),
        "conflicts_only": bool(report.conflicts) and not report.errors,
        "created": _per_kind(report.created),
        "updated": _per_kind(report.updated),
        "unchanged": _per_kind(report.unchanged),
        "created_rows": _change_rows(report, "create"),
        "updated_rows": _change_rows(report, "update"),
        "change_count": len(report.changes),
        "shifts": existing[:SHOWN],
        "shift_count": len(existing),
        "new_verdicts": [(code, added[code]) for code in VERDICT_LABELS if added[code]],
        "verdict_labels": VERDICT_LABELS,
        "shown": SHOWN,
    }


# --- the pages -----------------------------------------------------------------------------


def _page(account: Account | None, status: int = 200, **context: Any) -> Template:
    return Template(template_name=TEMPLATE, status_code=status, context={
        "account": account, "section": "import", "kinds": _kind_choices(),
        "max_mb": MAX_IMPORT_BODY // 1024 // 1024, "chosen_kind": "", "force": False,
        **context,
    })


def _kind_choices() -> list[tuple[str, str]]:
    return [(kind, RECORD_WORDS[kind][1].capitalize()) for kind in KINDS]


@get(PAGE, guards=[signed_in(Role.procurement)], include_in_schema=False)
async def import_page(account: SignedInAccount,
                      melding: Annotated[str | None, QueryParameter(max_length=20)] = None
                      ) -> Template:
    return _page(account, cancelled=melding == "geannuleerd")


def _too_large(request: Request, exc: HTTPException) -> Template:
    """A body over the limit is refused while the CSRF check reads it, before any guard:
    the page is shown without the menu, as nobody is known to be signed in yet."""
    if exc.status_code != 413:
        raise exc
    return _page(None, 413, problem=(
        f"Het bestand is groter dan {MAX_IMPORT_BODY // 1024 // 1024} MB. Splits het in "
        "kleinere bestanden en importeer ze na elkaar. Er is niets geïmporteerd."))


@post(PAGE, guards=[signed_in(Role.procurement)], include_in_schema=False,
      request_max_body_size=MAX_IMPORT_BODY + FORM_OVERHEAD,
      exception_handlers={HTTPException: _too_large})
async def check_import(request: Request, account: SignedInAccount,
                       db_path: NamedDependency[Path], today: NamedDependency[dt.date]
                       ) -> Template:
    form = await request.form()
    file = form.get("bestand")
    kind = form.get("soort") or None
    force = form.get("overschrijven") == "ja"
    chosen = {"chosen_kind": kind or "", "force": force}
    if kind is not None and kind not in KINDS:
        return _page(account, 400, problem="Kies een soort records uit de lijst.", **chosen)
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(account, 400, problem="Kies een bestand om te importeren.", **chosen)
    raw = await file.read()
    if len(raw) > MAX_IMPORT_BODY:
        return _page(account, 413, problem=(
            f"Het bestand is groter dan {MAX_IMPORT_BODY // 1024 // 1024} MB. Splits het in "
            "kleinere bestanden en importeer ze na elkaar. Er is niets geïmporteerd."), **chosen)
    if not raw.strip():
        return _page(account, 400, problem="Het bestand is leeg. Er is niets geïmporteerd.",
                     **chosen)
    upload = save_upload(db_path, account, file.filename, raw, kind, force)
    try:
        outcome = await anyio.to_thread.run_sync(check_upload, db_path, upload, today)
    except UploadProblem as problem:
        shutil.rmtree(upload.folder, ignore_errors=True)
        return _page(account, problem.status, problem=problem.message,
                     filename=file.filename, **chosen)
    if not outcome.report.ok:  # nothing to confirm: the file need not wait
        shutil.rmtree(upload.folder, ignore_errors=True)
        return _page(account, 422, filename=file.filename, checked=True, **chosen,
                     **report_context(outcome))
    return _page(account, 200, upload=upload.id, filename=file.filename, checked=True,
                 **chosen, **report_context(outcome))


@post(f"{PAGE}/bevestigen", guards=[signed_in(Role.procurement)], include_in_schema=False)
async def confirm_import(request: Request, account: SignedInAccount,
                         db_path: NamedDependency[Path], today: NamedDependency[dt.date]
                         ) -> Template:
    form = await request.form()
    try:
        upload = load_upload(db_path, str(form.get("upload", "")), account)
        outcome = await anyio.to_thread.run_sync(apply_upload, db_path, upload, account.actor,
                                                 today)
    except UploadProblem as problem:
        return _page(account, problem.status, problem=problem.message)
    context = report_context(outcome)
    filename = upload.meta["filename"]
    if outcome.applied:
        return _page(account, 200, done=True, filename=filename, **context)
    status = 409 if outcome.report.ok else 422
    return _page(account, status, upload=upload.id if outcome.report.ok else None,
                 filename=filename, checked=True, moved=True, **context)


@post(f"{PAGE}/annuleren", guards=[signed_in(Role.procurement)], include_in_schema=False)
async def cancel_import(request: Request, account: SignedInAccount,
                        db_path: NamedDependency[Path]) -> Redirect:
    """Cancel a checked import: its file is removed at once, not after `KEEP_SECONDS`."""
    form = await request.form()
    discard_upload(db_path, str(form.get("upload", "")), account)
    return Redirect(f"{PAGE}?melding=geannuleerd", status_code=303)


HANDLERS = [import_page, check_import, confirm_import, cancel_import]
