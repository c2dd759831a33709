"""The read side: the published whitelist (`builder`, `rows`) and its Datasette plugin (`plugin`).

Nothing here imports the API: a plain `datasette witte-lijst.db -m datasette-metadata.json`
deployment runs it without the write side.
"""

from __future__ import annotations

import os
from pathlib import Path

from registry.publish.builder import publications, publish
from registry.publish.record import ChangeSummary, Publication, content_sha256

ENV_WHITELIST = "REGISTRY_WHITELIST"
DEFAULT_NAME = "witte-lijst.db"
"""Datasette names the database after the file: `datasette-metadata.json` expects `witte-lijst`."""


def default_whitelist_path(db_path: str | Path) -> Path:
    """`$REGISTRY_WHITELIST`, else `witte-lijst.db` beside the registry database."""
    if env := os.environ.get(ENV_WHITELIST):
        return Path(env)
    return Path(db_path).parent / DEFAULT_NAME


__all__ = [
    "DEFAULT_NAME",
    "ENV_WHITELIST",
    "ChangeSummary",
    "Publication",
    "content_sha256",
    "default_whitelist_path",
    "publications",
    "publish",
]
