"""Bundles of records in and out: the demo data, `registry import` and `registry export`."""

from __future__ import annotations

from pathlib import Path

from registry import models
from registry.db import Registry
from registry.errors import decode

DATA_DIR = Path(__file__).parent / "data"
DEMO_PATH = DATA_DIR / "demo.json"
KINDS = ("vendors", "tools", "agreements", "assessments")  # in dependency order


def read_bundle(path: Path) -> models.Bundle:
    return decode(path.read_bytes(), models.Bundle)


def apply_bundle(registry: Registry, bundle: models.Bundle, actor: str, source: str) -> dict:
    """Create every record of the bundle in one transaction: all or nothing."""
    counts = {}
    with registry.write():
        for kind in KINDS:
            for record in getattr(bundle, kind):
                registry.create(kind, record, actor, source)
            counts[kind] = len(getattr(bundle, kind))
    return counts


def load_demo(registry: Registry) -> dict:
    return apply_bundle(registry, read_bundle(DEMO_PATH), "demo-data", "demo.json")
