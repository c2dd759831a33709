"""The database as a file: checked whole (`registry verify`) and copied while writes go on
(`registry backup`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from registry.errors import RegistryError
from registry.store.audit import AuditLog
from registry.store.connection import Store
from registry.store.kinds import TABLES


class DatabaseFile:
    """The registry's database as a whole file: its checks and its copy. Open it with
    `Registry.open_read_only` to check or copy a file that must not change."""

    def __init__(self, store: Store, audit: AuditLog):
        self.store = store
        self.audit = audit

    def verify(self) -> list[str]:
        """Every problem of the file, one line each ([] when sound): SQLite's integrity and
        foreign key checks, the triggers that keep records and the audit log from being
        deleted or edited, the audit log's hash chain, and every row against its last event."""
        try:
            tables = {r["name"]: r["type"] for r in self.store.rows(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")}
            checked = self.store.conn.execute("PRAGMA integrity_check").fetchall()
            damage = [f"integrity: {message}" for (message,) in checked if message != "ok"]
            problems = list(damage)
            dangling = self.store.conn.execute("PRAGMA foreign_key_check").fetchall()
            problems += [f"foreign key: {table} row {rowid} refers to a row of {parent} that "
                         "does not exist" for table, rowid, parent, _ in dangling]
            if "events" not in tables:
                return [*problems, "not a registry database: it has no audit log (no events)"]
            for name, what in [*((f"{t}_no_delete", f"{t} can be deleted") for t in TABLES),
                               ("events_no_update", "the audit log can be edited"),
                               ("events_no_delete", "the audit log can be deleted")]:
                if tables.get(name) != "trigger":
                    problems.append(f"trigger {name} is missing: {what}")
            # The rows of a damaged file say nothing reliable about its history.
            rows = [] if damage else self.audit.verify_rows()
            return problems + self.audit.verify_events() + rows
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
            with self.store.snapshot():
                self.store.conn.backup(copy)  # pages=-1: everything in one step, so no restarts
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
