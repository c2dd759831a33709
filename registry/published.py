"""The published whitelist file: its name and where it lives. Both wings use these: the
publisher writes the file, the read wing serves it."""

from __future__ import annotations

import os
from pathlib import Path

ENV_WHITELIST = "REGISTRY_WHITELIST"
DATABASE = "witte-lijst"
"""Datasette names a database after its file: the metadata and the pages' links expect this."""
DEFAULT_NAME = f"{DATABASE}.db"


def default_whitelist_path(db_path: str | Path) -> Path:
    """`$REGISTRY_WHITELIST`, else `witte-lijst.db` beside the registry database."""
    if env := os.environ.get(ENV_WHITELIST):
        return Path(env)
    return Path(db_path).parent / DEFAULT_NAME


MANIFEST_SUFFIX = ".manifest.json"
PUBLIC_KEY_SUFFIX = ".pub"


def manifest_path(whitelist: str | Path) -> Path:
    """The signed manifest beside the whitelist file: `witte-lijst.manifest.json`."""
    return Path(whitelist).with_name(Path(whitelist).stem + MANIFEST_SUFFIX)


def public_key_path(whitelist: str | Path) -> Path:
    """The publisher's public key beside the whitelist file: `witte-lijst.pub`."""
    return Path(whitelist).with_name(Path(whitelist).stem + PUBLIC_KEY_SUFFIX)
