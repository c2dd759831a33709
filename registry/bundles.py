"""Bundles read and checked: JSON and CSV files decoded into Structs, with every problem a
file has on its own (the checks that need the registry are `registry.importer`'s).

For speed, msgspec decodes the whole bundle first; only when that fails is each record
decoded on its own, and only the records msgspec refuses also go through jsonschema (about
30 times slower) for the complete report.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from registry import csvio, models
from registry.errors import (
    FieldError,
    RegistryError,
    check_depth,
    field_error,
    field_errors,
    json_value,
)
from registry.jsonschemas import schema_errors
from registry.store.kinds import KINDS
from registry.store.references import value_of


@contextmanager
def gc_paused() -> Iterator[None]:
    """Decoded records hold no cycles, but the collector walks all of them again and again as
    they pile up: pausing it made 100,000 records decode 2.4 times faster."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        with gc_paused():
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
        in_type, name = KINDS[kind].input, KINDS[kind].singular
        for i, obj in enumerate(data[kind]):
            try:
                records[kind].append((i, msgspec.convert(obj, in_type)))
            except msgspec.ValidationError as exc:
                root = f"$.{kind}[{i}]"
                errors += _dedupe([*schema_errors(name, obj, root), field_errors(exc, root)])
    return Checked(records, raw, fingerprints, errors, broken)


def text_of(obj: Any, name: str) -> str | None:
    """A field of a record that may be invalid: the value only if it is text."""
    value = value_of(obj, name)
    return value if isinstance(value, str) else None
