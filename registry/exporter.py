"""Every current record out as a bundle or CSV files, with the fingerprints an import checks.

The bytes are stable: records sorted by id, fields in model order, map keys sorted, no
timestamps; so exporting the same records gives the same file in any registry.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec

from registry import csvio, models
from registry.db import Registry
from registry.jsonschemas import schema_id
from registry.store.kinds import KINDS

_INPUT_TYPES = {kind.stored: kind.input for kind in KINDS.values()}


def fingerprint(record: models.Base) -> str:
    """The first 16 hex digits of the SHA-256 of the record's canonical JSON."""
    return hashlib.sha256(msgspec.json.encode(record, order="sorted")).hexdigest()[:16]


def as_input(stored: Any) -> models.Base:
    """A stored record in the shape a client sends (without version and timestamps)."""
    in_type = _INPUT_TYPES[type(stored)]
    return in_type(**{f: getattr(stored, f) for f in in_type.__struct_fields__})


def export_bundle(registry: Registry) -> models.Bundle:
    """Every current (not archived) record, by kind and id, with its fingerprint."""
    records = {kind: [as_input(r) for r in registry.all(kind)] for kind in KINDS}
    prints = {f"{kind}/{r.id}": fingerprint(r) for kind in KINDS for r in records[kind]}
    return models.Bundle(schema=schema_id("bundle"), **records, fingerprints=prints)


def encode_bundle(bundle: models.Bundle) -> bytes:
    """Stable bytes: fields in model order, map keys sorted, two-space indent, final newline."""
    return msgspec.json.format(msgspec.json.encode(bundle, order="deterministic"), indent=2) + b"\n"


def export_csv(registry: Registry, folder: Path) -> list[Path]:
    """One CSV file per kind in `folder`; `registry import folder` reads them back."""
    bundle = export_bundle(registry)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        path = folder / f"{kind}.csv"
        path.write_bytes(csvio.write_csv(kind, getattr(bundle, kind), bundle.fingerprints))
        paths.append(path)
    return paths
