"""`registry backup`: a consistent copy of the live database, written the way publishing is.

    registry.db ──online backup, one read transaction──▶ .OUT.tmp ──fsync──▶ replace ──▶ OUT

Writers go on while it runs (WAL: a reader never blocks them); the copy holds exactly the
state at the moment its read transaction began. OUT is replaced atomically, so a crash
leaves the previous backup or the new one, never half of one.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from contextlib import suppress
from pathlib import Path

from registry.db import Registry
from registry.errors import RegistryError
from registry.signing import fsync_dir


def backup(db_path: Path, out: Path) -> dict[str, int]:
    """Copy the database at `db_path` to `out`; returns the rows of the copy per table."""
    db_path, out = Path(db_path), Path(out)
    if out.resolve() == db_path.resolve():
        raise RegistryError("The backup would replace the database itself; give another file.")
    out.parent.mkdir(parents=True, exist_ok=True)
    registry = Registry.open_read_only(db_path)
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            counts = registry.file.backup_to(partial)
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"{db_path} cannot be backed up: {exc}.") from None
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, out)
        fsync_dir(out.parent)
    finally:
        registry.close()
        with suppress(FileNotFoundError):
            partial.unlink()
    return counts
