"""Opening the database, and `Store`: the connection every part of the registry is given.

Every connection sets its pragmas here. Every write goes through `Store.write`, which takes
the write lock up front (`BEGIN IMMEDIATE`): with a plain `BEGIN`, concurrent writers failed
with "database is locked" despite the busy timeout.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from registry.errors import RegistryError, StorageFull

BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path) -> Database:
    """Open a database with the pragmas every connection needs; create folders on first use.

    A place where no database can be (a file where a folder should be, a read-only disk) or
    a file that is not SQLite is a RegistryError that says so, not a traceback."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"Cannot create the folder {path.parent} for the database: "
                            f"{exc.strerror or exc}.") from None
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; check_same_thread=False
    # because the ASGI test client and the server loop may differ from the opening thread,
    # while every use stays on one thread at a time.
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise RegistryError(f"{path} cannot be used as the registry database: {exc}.") from None
    return Database(conn)


def connect_read_only(path: str | Path) -> Database:
    """An existing database opened so that nothing can change it: no folders made, no
    migrations and no pragmas that write. For checking and copying a file, never for serving."""
    path = Path(path)
    if not path.is_file():
        raise RegistryError(f"There is no database at {path}.")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return Database(conn)


class Store:
    """One connection and the two ways every part of the registry uses it: `write()` for a
    transaction, `rows()` for a read. Parts are given a Store; none opens its own."""

    def __init__(self, db: Database):
        self.db = db
        self.conn = db.conn

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction that takes the write lock up front.

        Nested use joins the outer transaction, so a bulk import commits all or nothing.
        """
        if self.conn.in_transaction:
            yield self.db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.conn.execute("COMMIT")
        except BaseException as exc:
            # On SQLITE_FULL SQLite may have rolled back already; a second ROLLBACK would
            # raise and hide why.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise StorageFull() from None
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one consistent state of the database (a read transaction)."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        """All rows at once: a half-read cursor would keep a read snapshot open, and a
        connection holding one gets SQLITE_BUSY at its next BEGIN IMMEDIATE, without waiting.

        For the paths that run per request or per imported record: sqlite-utils'
        `rows_where` costs about 50 µs more per call (it looks the table up first)."""
        cursor = self.conn.execute(sql, params)
        try:
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all have the same keys in one executemany: the measured fast path
        of imports and of the audit log (sqlite-utils' `insert` costs about 90 µs more per
        row; it checks the table and its columns first)."""
        if not rows:
            return
        columns = ", ".join(f"[{c}]" for c in rows[0])
        marks = ", ".join("?" for _ in rows[0])
        self.conn.executemany(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})",
                              [list(row.values()) for row in rows])
