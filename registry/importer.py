"""Bundles of records in: `registry import`, POST /api/imports, the demo data.

An import checks the whole file before it writes anything and reports every error at once,
each with the record's position, id and field path; then it creates or updates records by id
in one transaction, or writes nothing at all. Reading and checking the file on its own is
`registry.bundles`'; the checks that need the registry (ids, references, changes) are here.

How an import knows that the registry holds a newer change: an export writes, per record, a
fingerprint of its content (`fingerprints` in a bundle, the `fingerprint` column in CSV). A
record that differs from the registry's is only written when the registry still holds exactly
what was exported, so nobody overwrites a change made since without saying so (`force`). A
file without a fingerprint for a record cannot show that, so it needs `force` too. Content,
unlike version numbers, is the same in every registry: export, import into an empty registry
and export again gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from registry.bundles import Checked, Source, check, gc_paused, read_json, text_of
from registry.db import Registry
from registry.errors import Conflict, FieldError, Invalid, RegistryError, field_error
from registry.exporter import as_input, fingerprint
from registry.store.decisions import import_errors
from registry.store.kinds import KINDS
from registry.store.references import reference_errors, value_of

DATA_DIR = Path(__file__).parent / "data"
DEMO_PATH = DATA_DIR / "demo.json"
_RECORD_PATH = re.compile(rf"^\$\.({'|'.join(KINDS)})\[(\d+)\]")
Progress = Callable[[str, int, int], None]  # (phase, done, total)


class RecordError(FieldError, kw_only=True, omit_defaults=True):
    """A FieldError in a bundle, with its record: kind, position, id and (CSV) line."""

    kind: str | None = None
    index: int | None = None
    record_id: str | None = None
    line: int | None = None


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    kind: str
    id: str
    action: Literal["create", "update"]
    changed: list[str] = []
    forced: bool = False


def _per_kind() -> dict[str, int]:
    return dict.fromkeys(KINDS, 0)


class ImportReport(msgspec.Struct, kw_only=True):
    """What an import did (or, with `dry_run`, would do), or why it wrote nothing."""

    source: str
    dry_run: bool = False
    ok: bool = True
    created: dict[str, int] = msgspec.field(default_factory=_per_kind)
    updated: dict[str, int] = msgspec.field(default_factory=_per_kind)
    unchanged: dict[str, int] = msgspec.field(default_factory=_per_kind)
    changes: list[Change] = []
    errors: list[RecordError] = []
    conflicts: list[RecordError] = []

    def summary(self) -> str:
        """One line: created, updated and unchanged, per kind."""

        def part(label: str, counts: dict[str, int]) -> str:
            counted = [f"{n} {(k if n != 1 else KINDS[k].singular).replace('_', ' ')}"
                       for k, n in counts.items() if n]
            return f"{label} {', '.join(counted) or '0'}"

        verbs = ("would create", "would update") if self.dry_run else ("created", "updated")
        lines = [part(verbs[0], self.created), part(verbs[1], self.updated),
                 part("unchanged", self.unchanged)]
        return f"{self.source}: " + "; ".join(lines) + "."

    def held_no_records(self) -> bool:
        """The file held no records at all (when `ok`: nothing created, updated or unchanged)."""
        return not any(n for counts in (self.created, self.updated, self.unchanged)
                       for n in counts.values())

    def failure(self) -> RegistryError:
        """The report as the error the CLI prints and the API answers with."""
        found = self.errors + self.conflicts
        records = len({(e.kind, e.index) for e in found})
        detail = (f"{self.source}: {len(found)} problem{'s' * (len(found) != 1)} in {records} "
                  f"record{'s' * (records != 1)}; nothing was imported.")
        if self.errors:
            return Invalid(detail, found)
        return Conflict(detail + " Export again and redo your changes, or force the import.", found)


IMPORT_CACHE_KIB = 64 * 1024
"""SQLite's page cache while an import writes (the default is 2 MB): the indexes of 100,000
records are updated in place instead of read again from the file (see benchmarks/)."""


@contextmanager
def _page_cache(registry, kib: int = IMPORT_CACHE_KIB) -> Iterator[None]:
    """A larger page cache for the import's transaction, then the connection's own again."""
    (before,) = registry.conn.execute("PRAGMA cache_size").fetchone()
    registry.conn.execute(f"PRAGMA cache_size = {-kib}")
    try:
        yield
    finally:
        registry.conn.execute(f"PRAGMA cache_size = {int(before)}")


# --- planning: the checks that need the registry, and what would change --------------------


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    new: dict[tuple[str, str], Any] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=_per_kind)
    errors: list[FieldError] = field(default_factory=list)
    conflicts: list[FieldError] = field(default_factory=list)


def plan(registry: Registry, checked: Checked, force: bool) -> Plan:
    result = Plan(errors=list(checked.errors))
    first: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    for kind in KINDS:
        for i, obj in enumerate(checked.raw[kind]):
            rid = text_of(obj, "id")
            if isinstance(rid, str) and rid in first[kind]:
                result.errors.append(field_error(
                    f"$.{kind}[{i}].id",
                    f"'{rid}' is also the id of $.{kind}[{first[kind][rid]}]; an id may "
                    "appear only once per kind"))
            elif isinstance(rid, str):
                first[kind][rid] = i
    stored = _lookup(registry, checked, first)
    result.errors += _reference_errors(checked, stored)
    faulty = {m.group(1, 2) for e in result.errors if (m := _RECORD_PATH.match(e.field))}
    for kind in KINDS:
        for i, record in checked.records[kind]:
            if first[kind].get(record.id) == i and (kind, str(i)) not in faulty:
                _diff(result, kind, i, record, stored[kind].get(record.id), checked, force)
    result.errors += import_errors(registry, checked.records, faulty,
                                   {(c.kind, c.id) for c in result.changes}, registry.today())
    return result


def _lookup(registry: Registry, checked: Checked, first: dict) -> dict[str, dict[str, Any]]:
    """Every record the file names or refers to, in a few queries per kind."""
    wanted = {kind: set(first[kind]) for kind in KINDS}
    for kind in KINDS.values():
        for ref in kind.references:
            ids = wanted[ref.target]
            for obj in checked.raw[kind.name]:
                value = value_of(obj, ref.field)
                if isinstance(value, str) and not ref.many:
                    ids.add(value)
                elif isinstance(value, list) and ref.many:
                    ids.update(i for i in value if isinstance(i, str))
    return {kind: registry.records_by_id(kind, wanted[kind]) for kind in KINDS}


def _reference_errors(checked: Checked, stored: dict) -> list[FieldError]:
    """References to records neither in the file nor in the registry; tools of another vendor
    (`registry.store.references`, as for one record, against both at once)."""
    targets = {ref.target for kind in KINDS.values() for ref in kind.references}
    known = {kind: stored[kind] | {rid: obj for obj in checked.raw[kind]
                                   if (rid := text_of(obj, "id")) is not None}
             for kind in targets}

    def find(target: str, record_id: str) -> Any:
        return known[target].get(record_id)

    errors = []
    for kind in KINDS.values():
        if not kind.references:
            continue
        for i, obj in enumerate(checked.raw[kind.name]):
            for path, message in reference_errors(kind, obj, find, unknowable=checked.broken,
                                                  where=" in this file or in the registry"):
                errors.append(field_error(f"$.{kind.name}[{i}]{path[1:]}", message))
    return errors


def _diff(result: Plan, kind: str, i: int, record, current, checked: Checked, force: bool):
    single, path = KINDS[kind].singular, f"$.{kind}[{i}]"
    if current is None:
        result.changes.append(Change(kind=kind, id=record.id, action="create"))
        result.new[kind, record.id] = record
        return
    before = as_input(current)
    if before == record:
        result.unchanged[kind] += 1
        return
    if current.archived_at is not None:
        result.conflicts.append(field_error(
            path, f"the {single} '{record.id}' is archived in the registry and can no longer "
                  "change"))
        return
    base = checked.fingerprints.get(f"{kind}/{record.id}")
    stale = base != fingerprint(before)
    if stale and not force:
        since = current.updated_at.strftime("%Y-%m-%d %H:%M UTC")
        result.conflicts.append(field_error(path, (
            f"the {single} '{record.id}' in the registry (version {current.version}, changed "
            f"{since}) is not the one this file was exported from; importing would overwrite "
            "that change" if base else
            f"the {single} '{record.id}' exists in the registry (version {current.version}) and "
            "this file has no fingerprint to show which version its change is based on")))
        return
    changed = [f for f in record.__struct_fields__ if getattr(record, f) != getattr(before, f)]
    result.changes.append(Change(kind=kind, id=record.id, action="update", changed=changed,
                                 forced=stale))
    result.new[kind, record.id] = record


# --- importing -------------------------------------------------------------------------------


def import_source(
    registry: Registry,
    source: Source,
    *,
    actor: str,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check everything, then write all changes in one transaction; nothing if anything is wrong."""
    with gc_paused():
        return _import(registry, source, actor, dry_run, force, progress)


def _import(registry, source, actor, dry_run, force, progress) -> ImportReport:
    checked = check(source)
    report = ImportReport(source=source.name, dry_run=dry_run)
    if dry_run:
        return _report(report, plan(registry, checked, force), source, checked)
    # Planned inside the write lock, so nobody changes it in between.
    with _page_cache(registry), registry.write():
        planned = plan(registry, checked, force)
        _report(report, planned, source, checked)
        if report.ok:
            done, total = 0, len(planned.changes)
            for batch in _batches(_updates_first(planned.changes)):
                records = [planned.new[change.kind, change.id] for change in batch]
                if batch[0].action == "create":  # checked above: new ids, known references
                    registry.create_many(batch[0].kind, records, actor, source.name)
                else:
                    for change, record in zip(batch, records):
                        registry.update(change.kind, change.id, record, actor, None,
                                        source.name)
                if progress and (done // 100 < (done + len(batch)) // 100
                                 or done + len(batch) == total):
                    progress("Importing", done + len(batch), total)
                done += len(batch)
    return report


def _updates_first(changes: list[Change]) -> list[Change]:
    """Per kind, the updates before the creates: a record the file moves frees its place
    (a board's live decision on a tool) before a new one takes it."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: (order[c.kind], c.action == "create"))


def _batches(changes: list[Change], size: int = 1000) -> Iterator[list[Change]]:
    """Runs of changes of one kind and action, in order, at most `size` each."""
    batch: list[Change] = []
    for change in changes:
        if batch and (len(batch) == size or (change.kind, change.action) != (
                batch[0].kind, batch[0].action)):
            yield batch
            batch = []
        batch.append(change)
    if batch:
        yield batch


def _report(report: ImportReport, planned: Plan, source: Source, checked: Checked) -> ImportReport:
    report.errors = _locate(planned.errors, source, checked)
    report.conflicts = _locate(planned.conflicts, source, checked)
    report.ok = not (report.errors or report.conflicts)
    if not report.ok:
        return report  # nothing happens, so no counts that could be read as done
    report.changes = planned.changes
    report.unchanged = planned.unchanged
    for change in planned.changes:
        (report.created if change.action == "create" else report.updated)[change.kind] += 1
    return report


def _locate(errors: list[FieldError], source: Source, checked: Checked) -> list[RecordError]:
    """Each error with its record's kind, position, id and origin, sorted by position."""
    out = []
    for e in errors:
        error = RecordError(field=e.field, pointer=e.pointer, message=e.message)
        if m := _RECORD_PATH.match(e.field):
            kind, index = m[1], int(m[2])
            error.kind, error.index = kind, index
            if index < len(checked.raw[kind]):
                error.record_id = text_of(checked.raw[kind][index], "id")
            if index < len(source.origins[kind]):
                error.location, error.line = source.origins[kind][index]
        out.append(error)
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(out, key=lambda e: (order.get(e.kind, -1), e.index or 0))


def load_demo(registry: Registry) -> dict[str, int]:
    """Create the fictional demo records (data/demo.json); returns how many of each kind."""
    report = import_source(registry, read_json(DEMO_PATH.read_bytes(), "demo.json"),
                           actor="demo-data")
    if not report.ok:
        raise report.failure()
    return report.created
