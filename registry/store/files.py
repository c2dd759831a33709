"""The database as a file: opened read-only, checked whole (`registry verify`) and copied
while writes go on (`registry backup`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from registry.errors import RegistryError
from registry.migrations import RECORD_TABLES

if TYPE_CHECKING:
    from registry.db import Registry

BUSY_TIMEOUT_MS = 10_000


class FileChecks:
    """`Registry`'s read-only opening, verification and backup."""

    @classmethod
    def open_read_only(cls, path: str | Path) -> Registry:
        """An existing database opened so that nothing can change it: no migrations and no
        pragmas that write. For checking and copying a file, never for serving."""
        path = Path(path)
        if not path.is_file():
            raise RegistryError(f"There is no database at {path}.")
        registry = cls.__new__(cls)
        registry.path = path
        registry.conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                        isolation_level=None, check_same_thread=False)
        registry.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        registry.db = Database(registry.conn)
        return registry

    def verify(self) -> list[str]:
        """Every problem of the file, one line each ([] when sound): SQLite's integrity and
        foreign key checks, the triggers that keep records and the audit log from being
        deleted or edited, the audit log's hash chain, and every row against its last event."""
        try:
            tables = {r["name"]: r["type"] for r in self._rows(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")}
            damage = [f"integrity: {message}" for (message,) in
                      self.conn.execute("PRAGMA integrity_check").fetchall() if message != "ok"]
            problems = list(damage)
            dangling = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            problems += [f"foreign key: {table} row {rowid} refers to a row of {parent} that "
                         "does not exist" for table, rowid, parent, _ in dangling]
            if "events" not in tables:
                return [*problems, "not a registry database: it has no audit log (no events)"]
            for name, what in [*((f"{t}_no_delete", f"{t} can be deleted") for t in RECORD_TABLES),
                               ("events_no_update", "the audit log can be edited"),
                               ("events_no_delete", "the audit log can be deleted")]:
                if tables.get(name) != "trigger":
                    problems.append(f"trigger {name} is missing: {what}")
            # The rows of a damaged file say nothing reliable about its history.
            rows = [] if damage else self.verify_rows()
            return problems + self.verify_events() + rows
        except sqlite3.DatabaseError as exc:
            return [f"the file cannot be read as an SQLite database: {exc}"]

    def backup_to(self, target: Path) -> dict[str, int]:
        """Copy the whole database into the new file `target` as one consistent state while
        writers go on: SQLite's online backup in one step, inside one read transaction. The
        copy is a single file (rollback journal, no -wal) and passes the integrity check.
        Returns the rows of the copy per table."""
        try:
            copy = sqlite3.connect(target, isolation_level=None)
            copy.execute("PRAGMA user_version")  # opens the file: fails here if it cannot be
        except sqlite3.OperationalError as exc:
            raise RegistryError(f"Cannot write the backup in {target.parent}: {exc}.") from None
        try:
            with self.snapshot():
                self.conn.backup(copy)  # pages=-1: everything in one step, so no restarts
            copy.execute("PRAGMA journal_mode = DELETE")
            problems = [m for (m,) in copy.execute("PRAGMA integrity_check").fetchall()]
            if problems != ["ok"]:
                raise RegistryError(f"The copy failed its integrity check: {problems[0]}")
            names = [n for (n,) in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
                "ORDER BY name").fetchall()]
            return {n: copy.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}
        finally:
            copy.close()
