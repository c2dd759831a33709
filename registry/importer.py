"""Bundles of records in: `registry import`, POST /api/imports, the demo data.

An import checks the whole file before it writes anything and reports every error at once,
each with the record's position, id and field path; then it creates or updates records by id
in one transaction, or writes nothing at all. For speed, msgspec decodes the whole bundle
first; only when that fails is each record decoded on its own, and only the records msgspec
refuses also go through jsonschema (about 30 times slower) for the complete report.

How an import knows that the registry holds a newer change: an export writes, per record, a
fingerprint of its content (`fingerprints` in a bundle, the `fingerprint` column in CSV). A
record that differs from the registry's is only written when the registry still holds exactly
what was exported, so nobody overwrites a change made since without saying so (`force`). A
file without a fingerprint for a record cannot show that, so it needs `force` too. Content,
unlike version numbers, is the same in every registry: export, import into an empty registry
and export again gives the same bytes.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from registry import csvio, models
from registry.db import Registry
from registry.errors import (
    Conflict,
    FieldError,
    Invalid,
    RegistryError,
    check_depth,
    field_error,
    field_errors,
    json_value,
)
from registry.exporter import KINDS, as_input, fingerprint
from registry.jsonschemas import schema_errors

DATA_DIR = Path(__file__).parent / "data"
DEMO_PATH = DATA_DIR / "demo.json"
_RECORD_PATH = re.compile(r"^\$\.(vendors|tools|agreements|assessments)\[(\d+)\]")
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
            counted = [f"{n} {k if n != 1 else models.SINGULAR[k]}" for k, n in counts.items() if n]
            return f"{label} {', '.join(counted) or '0'}"

        verbs = ("would create", "would update") if self.dry_run else ("created", "updated")
        lines = [part(verbs[0], self.created), part(verbs[1], self.updated),
                 part("unchanged", self.unchanged)]
        return f"{self.source}: " + "; ".join(lines) + "."

    def failure(self) -> RegistryError:
        """The report as the error the CLI prints and the API answers with."""
        found = self.errors + self.conflicts
        records = len({(e.kind, e.index) for e in found})
        detail = (f"{self.source}: {len(found)} problem{'s' * (len(found) != 1)} in {records} "
                  f"record{'s' * (records != 1)}; nothing was imported.")
        if self.errors:
            return Invalid(detail, found)
        return Conflict(detail + " Export again and redo your changes, or force the import.", found)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Decoded records hold no cycles, but the collector walks all of them again and again as
    they pile up: pausing it made 100,000 records decode 2.4 times faster."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


# --- reading files ---------------------------------------------------------------------------


@dataclass
class Source:
    """A bundle as builtins, and where each of its records came from."""

    name: str
    data: Any = field(default_factory=lambda: {kind: [] for kind in KINDS})
    origins: dict[str, list[tuple[str, int | None]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    problems: list[FieldError] = field(default_factory=list)
    bundle: models.Bundle | None = None  # when the whole file decoded at once: the fast path


def _decode(raw: bytes, label: str) -> Any:
    check_depth(raw, label)  # untyped decoding recurses as deep as the file nests
    try:
        return json_value(raw)
    except msgspec.DecodeError as exc:
        raise RegistryError(
            f"{label} is not valid JSON ({exc}); check quotes, commas and brackets."
        ) from None


def read_json(raw: bytes, name: str, label: str | None = None) -> Source:
    """A JSON bundle; decoded straight into Structs when it is valid (three times faster).

    Strict, as msgspec is by default: `"free_of_charge": "true"` is refused, not converted.
    """
    try:
        with _gc_paused():
            bundle = msgspec.json.decode(raw, type=models.Bundle)
    except msgspec.ValidationError:
        bundle, data = None, _decode(raw, label or name)
    except msgspec.DecodeError:
        _decode(raw, label or name)  # raises with the reason
    else:
        data = {k: getattr(bundle, k) for k in KINDS}
    lists = {k: data.get(k) if isinstance(data, dict) else None for k in KINDS}
    origins = {k: [(name, None)] * len(v) if isinstance(v, list) else [] for k, v in lists.items()}
    return Source(name, data, origins, bundle=bundle)


def read_files(paths: Iterable[Path], kind: str | None = None) -> Source:
    """JSON bundles and CSV files (a folder: its *.json and *.csv) merged into one source."""
    files: list[Path] = []
    for path in paths:
        inside = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".json")) \
            if path.is_dir() else [path]
        files += inside
    if not files:
        raise RegistryError("No .json or .csv files to import.")
    if len(files) == 1 and files[0].suffix.lower() != ".csv":
        return read_json(files[0].read_bytes(), files[0].name)
    merged = Source(", ".join(p.name for p in files))
    merged.data["fingerprints"] = {}
    for path in files:
        if path.suffix.lower() == ".csv":
            table = csvio.read_csv(path.read_bytes(), path.name, kind)
            start = len(merged.data[table.kind])
            merged.problems += [field_error(f"$.{table.kind}[{start + i}]{at}", message)
                                for i, at, message in table.problems]
            merged.data[table.kind] += table.records
            merged.origins[table.kind] += [(path.name, line) for line in table.lines]
            merged.data["fingerprints"].update(table.fingerprints)
            continue
        part = _decode(path.read_bytes(), path.name)
        if not isinstance(part, dict) or not all(isinstance(part.get(k, []), list) for k in KINDS):
            raise RegistryError(f"{path.name} is not a bundle; import it on its own to see why.")
        for k in KINDS:
            merged.data[k] += part.get(k, [])
            merged.origins[k] += [(path.name, None)] * len(part.get(k, []))
        if isinstance(part.get("fingerprints"), dict):
            merged.data["fingerprints"].update(part["fingerprints"])
    return merged


# --- checking --------------------------------------------------------------------------------


@dataclass
class Checked:
    records: dict[str, list[tuple[int, Any]]]  # per kind: (position, Struct) of those that decode
    raw: dict[str, list]  # per kind: every record as given (Structs or builtins)
    fingerprints: dict[str, str]
    errors: list[FieldError]
    broken: set[str] = field(default_factory=set)  # kinds that are not even a list


def check(source: Source) -> Checked:
    """Decode and validate every record; no registry needed."""
    try:
        bundle = source.bundle or msgspec.convert(source.data, models.Bundle)
    except msgspec.ValidationError:
        return _check_each(source)
    items = {kind: getattr(bundle, kind) for kind in KINDS}
    return Checked({k: list(enumerate(v)) for k, v in items.items()}, items,
                   bundle.fingerprints, list(source.problems))


def _dedupe(errors: Iterable[FieldError]) -> list[FieldError]:
    """One error per field: jsonschema's come first, msgspec adds what only it can see."""
    seen: dict[str, FieldError] = {}
    for error in errors:
        seen.setdefault(error.field, error)
    return list(seen.values())


def _check_each(source: Source) -> Checked:
    data, errors = source.data, list(source.problems)
    records: dict[str, list] = {kind: [] for kind in KINDS}
    raw: dict[str, list] = {kind: [] for kind in KINDS}
    if not isinstance(data, dict):
        return Checked(records, raw, {}, errors + schema_errors("bundle", data))
    top = {k: [] if k in KINDS and isinstance(v, list) else v for k, v in data.items()}
    fingerprints, broken = {}, {k for k in KINDS if not isinstance(data.get(k, []), list)}
    try:
        fingerprints = msgspec.convert(top, models.Bundle).fingerprints
    except msgspec.ValidationError as exc:
        # The schema says all about the top level; msgspec words map keys awkwardly.
        errors += schema_errors("bundle", top) or [field_errors(exc)]
    for kind in KINDS:
        if not isinstance(data.get(kind), list):
            continue
        raw[kind] = data[kind]
        in_type, name = models.RECORD_TYPES[kind][0], models.SINGULAR[kind]
        for i, obj in enumerate(data[kind]):
            try:
                records[kind].append((i, msgspec.convert(obj, in_type)))
            except msgspec.ValidationError as exc:
                root = f"$.{kind}[{i}]"
                errors += _dedupe([*schema_errors(name, obj, root), field_errors(exc, root)])
    return Checked(records, raw, fingerprints, errors, broken)


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _text(obj: Any, name: str) -> str | None:
    """A field of a record that may be invalid: the value only if it is text."""
    value = _get(obj, name)
    return value if isinstance(value, str) else None


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
            rid = _text(obj, "id")
            if isinstance(rid, str) and rid in first[kind]:
                result.errors.append(field_error(
                    f"$.{kind}[{i}].id",
                    f"'{rid}' is also the id of $.{kind}[{first[kind][rid]}]; an id may "
                    "appear only once per kind"))
            elif isinstance(rid, str):
                first[kind][rid] = i
    stored = _lookup(registry, checked, first)
    result.errors += _reference_errors(checked, first, stored)
    faulty = {m.group(1, 2) for e in result.errors if (m := _RECORD_PATH.match(e.field))}
    for kind in KINDS:
        for i, record in checked.records[kind]:
            if first[kind].get(record.id) == i and (kind, str(i)) not in faulty:
                _diff(result, kind, i, record, stored[kind].get(record.id), checked, force)
    return result


def _lookup(registry: Registry, checked: Checked, first: dict) -> dict[str, dict[str, Any]]:
    """Every record the file names or refers to, in a few queries per kind."""
    wanted = {kind: set(first[kind]) for kind in KINDS}
    for obj in [*checked.raw["tools"], *checked.raw["agreements"]]:
        wanted["vendors"].add(_text(obj, "vendor_id"))
    for obj in checked.raw["agreements"]:
        tool_ids = _get(obj, "tool_ids")
        if isinstance(tool_ids, list):
            wanted["tools"].update(t for t in tool_ids if isinstance(t, str))
    wanted["tools"].update(_text(obj, "tool_id") for obj in checked.raw["assessments"])
    return {kind: registry.records_by_id(kind, [i for i in wanted[kind] if isinstance(i, str)])
            for kind in KINDS}


def _reference_errors(checked: Checked, first: dict, stored: dict) -> list[FieldError]:
    """References to records neither in the file nor in the registry; tools of another vendor."""
    vendors = set(first["vendors"]) | set(stored["vendors"])
    vendor_of = {t.id: t.vendor_id for t in stored["tools"].values()}
    vendor_of |= {_text(t, "id"): _text(t, "vendor_id") for t in checked.raw["tools"]}
    errors = []

    def missing(path: str, single: str, value: Any, known) -> bool:
        if f"{single}s" in checked.broken:
            return True  # that list is reported already; every reference to it would fail
        if isinstance(value, str) and value not in known:
            errors.append(field_error(
                path, f"there is no {single} with id '{value}' in this file or in the registry"))
            return True
        return False

    for kind in ("tools", "agreements"):
        for i, obj in enumerate(checked.raw[kind]):
            missing(f"$.{kind}[{i}].vendor_id", "vendor", _text(obj, "vendor_id"), vendors)
    for i, obj in enumerate(checked.raw["agreements"]):
        vendor, tool_ids = _text(obj, "vendor_id"), _get(obj, "tool_ids")
        for j, tool_id in enumerate(tool_ids if isinstance(tool_ids, list) else []):
            path = f"$.agreements[{i}].tool_ids[{j}]"
            if not missing(path, "tool", tool_id, vendor_of) and isinstance(tool_id, str) \
                    and vendor in vendors and vendor_of[tool_id] not in (vendor, None):
                errors.append(field_error(
                    path, f"tool '{tool_id}' belongs to vendor '{vendor_of[tool_id]}', "
                          f"not to '{vendor}'"))
    for i, obj in enumerate(checked.raw["assessments"]):
        missing(f"$.assessments[{i}].tool_id", "tool", _text(obj, "tool_id"), vendor_of)
    return errors


def _diff(result: Plan, kind: str, i: int, record, current, checked: Checked, force: bool):
    single, path = models.SINGULAR[kind], f"$.{kind}[{i}]"
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
    with _gc_paused():
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
            for batch in _batches(planned.changes):
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
                error.record_id = _text(checked.raw[kind][index], "id")
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
