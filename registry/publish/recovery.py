"""After a crash: a served whitelist the registry did not record, and half-built files.

A crash between the rename of a new whitelist and the registry's commit leaves a served file
whose version the registry has not recorded: `recover` records it from the file's own
`publication` row (after checking its content against its sha256) before the next
publication and at start-up, so no version number is used twice; `served_problems` is what
`registry verify` says of a served file that does not match its record. Half-built files
carry the id of the process that builds them and are removed once that process is gone.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from registry import signing
from registry.errors import Conflict, RegistryError
from registry.pids import alive
from registry.publish.record import ChangeSummary, Publication, content_sha256, registry_row

if TYPE_CHECKING:
    from registry.db import Registry


RECOVERED = "recovered"
"""The actor of a publication recorded from its file after a crash (the file names none)."""


def leftover_prefix(out_path: Path) -> str:
    return f".{out_path.name}.build-"


def remove_leftovers(out_path: Path) -> list[Path]:
    """Remove the half-built files of publications whose process is gone (killed while
    building: 190 MB at 29,000 tools); those of a publication under way stay."""
    removed = []
    prefix = leftover_prefix(out_path)
    for path in out_path.parent.glob(prefix + "*"):
        pid = path.name.removeprefix(prefix).partition("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            with suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def served_publication(path: Path, content: bool = True) -> dict | None:
    """The `publication` row of the whitelist file at `path` (with `content_sha256`, the
    hash of what it holds now, if `content`), or None without a file."""
    if not path.exists():
        return None
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            found = conn.execute("SELECT * FROM publication").fetchone()
            if found is None:
                raise sqlite3.DatabaseError("it has no publication row")
            row = dict(found)
            return row | {"content_sha256": content_sha256(conn)} if content else row
    except sqlite3.DatabaseError as exc:
        raise RegistryError(f"The published whitelist {path} cannot be read: {exc}.") from None


def served_format(path: Path) -> int | None:
    """`PRAGMA user_version` of the whitelist file at `path` (its format), or None."""
    if not path.exists():
        return None
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def recover(registry: Registry, out_path: Path) -> Publication | None:
    """Record the served file's publication when a crash came between its rename and the
    registry's commit; None when there was nothing to record."""
    # Under the write lock: a publication between its rename and its commit holds it, so
    # what is read here is never a publication that is about to be recorded anyway.
    with registry.write():
        served = served_publication(out_path, content=False)
        published = registry.publications.all()
        latest = published[0]["version"] if published else 0
        if served is None or served["version"] <= latest:
            return None
        served = served_publication(out_path)
        if served["version"] > latest + 1 or served["content_sha256"] != served["sha256"]:
            raise Conflict(
                f"The published whitelist {out_path} is version {served['version']}, but the "
                f"registry recorded up to version {latest}, and the file cannot be recorded as "
                "the next one (a newer file beside an older registry, or a changed file). Check "
                "`registry verify`, then move the file aside and publish again."
            )
        publication = Publication(
            version=served["version"],
            published_at=dt.datetime.fromisoformat(served["published_at"]),
            policy_version=served["policy_version"], counts=json.loads(served["counts"]),
            sha256=served["sha256"],
            changes=msgspec.convert(json.loads(served["changes"]), ChangeSummary),
            actor=RECOVERED, restores_version=served.get("restores_version"),
        )
        registry.publications.record(registry_row(publication), RECOVERED)
    # Its manifest may not have been written: replicas follow the file once it is.
    signing.write_manifest(out_path, publication, signing.publisher_key(registry.path))
    return publication


def served_problems(registry: Registry, path: Path) -> list[str]:
    """One line per way the whitelist served at `path` differs from the registry's record of
    it ([] when it matches, or when no file is there: a copy of the database has none)."""
    try:
        served = served_publication(path)
    except RegistryError as exc:
        return [exc.detail]
    if served is None:
        return []
    version, problems = served["version"], []
    if served["content_sha256"] != served["sha256"]:
        problems.append(f"whitelist {path}: its content does not match its sha256 (changed "
                        "after publishing)")
    recorded = {p["version"]: p for p in registry.publications.all()}
    if version not in recorded:
        problems.append(f"whitelist {path}: version {version} is served but not recorded (a "
                        "publication interrupted before its record; the next publish or "
                        "start of `registry serve` records it)")
    elif recorded[version]["sha256"] != served["sha256"]:
        problems.append(f"whitelist {path}: version {version} is not the file recorded as "
                        "that version (its sha256 differs)")
    if recorded and max(recorded) > version:
        problems.append(f"whitelist {path}: version {version} is served, but version "
                        f"{max(recorded)} was recorded after it")
    try:
        key = signing.publisher_key(registry.path)
    except RegistryError as exc:  # a key named but unusable
        return [*problems, exc.detail]
    return problems + signing.manifest_problems(path, version, key)
