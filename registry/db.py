"""The registry database: `Registry`, the one entry object of the write side.

A Registry owns its connection (a `Store`) and the parts that work on it, each given what
it needs: `audit` (the hash-chained log), `tokens`, `accounts` and `sessions` (the back
office's staff and their sign-ins), `policies`, `reviews` (teachers' review
requests), `publications` and `file` (checks and backup). The records themselves, whose
kinds are declared in `registry.store.kinds`, are the Registry's own: `create`, `update`,
`archive`, `restore`, `get`, `list`, `all`. Every write takes the write lock up front and
commits the change together with its audit event, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from registry import models
from registry.clock import clock_from_env
from registry.errors import Conflict, Invalid, NotFound, PreconditionFailed
from registry.migrations import migrations
from registry.store.accounts import Accounts
from registry.store.audit import AuditLog, event_row
from registry.store.connection import Store, connect, connect_read_only
from registry.store.decisions import RULES
from registry.store.files import DatabaseFile
from registry.store.kinds import KINDS, Kind
from registry.store.policies import Policies
from registry.store.publications import Publications
from registry.store.records import fetch, read, read_all, read_by_id
from registry.store.references import check_references
from registry.store.reviews import ReviewRequests
from registry.store.rows import doc_row, now, to_builtins
from registry.store.sessions import Sessions
from registry.store.tokens import Tokens

ENV_DB = "REGISTRY_DB"


def default_db_path() -> Path:
    """`$REGISTRY_DB`, else `$XDG_DATA_HOME/school-whitelist/registry.db` (~/.local/share)."""
    if env := os.environ.get(ENV_DB):
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "school-whitelist" / "registry.db"


class Registry:
    """The records, and the parts of the registry that share their connection."""

    def __init__(self, path: str | Path, *, db: Database | None = None):
        """Open (and create) the database at `path`; `db`: a connection opened already."""
        self.path = Path(path)
        self.db = db if db is not None else connect(self.path)
        self.conn = self.db.conn
        self.store = Store(self.db)
        self.audit = AuditLog(self.store)
        self.tokens = Tokens(self.store)
        self.accounts = Accounts(self.store, self.audit)
        self.sessions = Sessions(self.store)
        self.policies = Policies(self.store, self.audit)
        self.reviews = ReviewRequests(self.store, self.audit)
        self.publications = Publications(self.store, self.audit)
        self.file = DatabaseFile(self.store, self.audit)
        self.today: Callable[[], dt.date] = clock_from_env()
        """The day the rules of a write read verdicts on (`registry.store.decisions`); the
        app sets its own clock here."""

    @classmethod
    def open_read_only(cls, path: str | Path) -> Registry:
        """An existing database that nothing can change, to check or copy; never to serve."""
        return cls(path, db=connect_read_only(path))

    def migrate(self) -> None:
        with self.write():
            migrations.apply(self.db)

    def close(self) -> None:
        self.conn.close()

    def write(self) -> AbstractContextManager[Database]:
        """One write transaction that takes the write lock up front; nested use joins it."""
        return self.store.write()

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the database (a read transaction)."""
        return self.store.snapshot()

    def is_empty(self) -> bool:
        """No records of any kind (as on first start, before the demo data)."""
        return not any(self.db[kind.table].count for kind in KINDS.values())

    # --- reading ----------------------------------------------------------------------------

    def get(self, kind: str, record_id: str):
        """One record, archived or not (per request: its row is read directly)."""
        row = fetch(self.store, KINDS[kind], record_id)
        if row is None:
            raise NotFound(KINDS[kind].singular, record_id)
        return read(self.store, KINDS[kind], [row])[0]

    def list(self, kind: str, *, limit: int | None, offset: int = 0, archived: str = "exclude",
             scope: tuple[str, Collection[str]] | None = None,
             **filters: str | None) -> tuple[list, int]:
        """One page of records by id (`limit` None: all), and the total that match the filters:
        those of the kind's declaration, `q` (text in its id or search columns) and `archived`
        (exclude, include or only). `scope` (column, values): only records with one of those
        values in that column (a board's token reads the sector's and its own board's)."""
        declared = KINDS[kind]
        where, params = _conditions(declared, filters)
        if scope is not None:
            column, values = scope
            where.append(f"[{column}] IN ({', '.join('?' * len(values))})")
            params += list(values)
        where += {"exclude": ["archived_at IS NULL"], "only": ["archived_at IS NOT NULL"]
                  }.get(archived, [])
        clause = " AND ".join(where) or None
        table = self.db[declared.table]
        total = table.count_where(clause, params)
        # sqlite-utils writes limit and offset into the SQL: as integers only.
        rows = list(table.rows_where(clause, params, order_by="id", offset=int(offset),
                                     limit=None if limit is None else int(limit)))
        return read(self.store, declared, rows), total

    def all(self, kind: str, include_archived: bool = False) -> list:
        """Every record of a kind by id, for verdicts, exports and publishing."""
        return read_all(self.store, KINDS[kind], include_archived)

    def records_by_id(self, kind: str, ids: Collection[str]) -> dict[str, Any]:
        """The stored records with these ids (archived ones too), a few hundred per query."""
        return read_by_id(self.store, KINDS[kind], ids)

    # --- writing ----------------------------------------------------------------------------

    def create(self, kind: str, data: models.Base, actor: str, source: str | None = None):
        """Store a new record (version 1) and its `create` event in one transaction."""
        declared = KINDS[kind]
        with self.write() as db:
            if fetch(self.store, declared, data.id) is not None:
                raise Conflict(
                    f"A {declared.singular} with id '{data.id}' exists already; "
                    "choose another id or update that one.",
                    [],
                )
            check_references(self.store, declared, data)
            self._check_rules(kind, data)
            stamp = now()
            record = declared.stored(
                **msgspec.structs.asdict(data), version=1, created_at=stamp, updated_at=stamp
            )
            record = msgspec.convert(to_builtins(record), declared.stored)
            db[declared.table].insert(doc_row(declared, to_builtins(record)))
            self._save_links(declared, data)
            self.audit.record("create", kind, record, None, actor, source)
        return record

    def create_many(self, kind: str, records: list[models.Base], actor: str,
                    source: str | None = None) -> None:
        """Store new records (version 1), each with its `create` event, in one transaction.

        The bulk path of imports, which check ids and references for the whole file first
        (the foreign keys still refuse a dangling reference). Rows and events are those
        `create` writes, in three executemany calls instead of several queries per record:
        importing 230,000 records went from about 1,100 to 3,100 records/s.
        """
        declared = KINDS[kind]
        stamp = now()
        meta = {"version": 1, "created_at": stamp, "updated_at": stamp, "archived_at": None}
        with self.write():
            prev_hash, rows, events = self.audit.last_hash(), [], []
            for record in records:
                doc = to_builtins(record) | meta
                rows.append(doc_row(declared, doc))
                events.append(event_row("create", kind, record.id, 1, None, doc, actor, source,
                                        prev_hash, stamp))
                prev_hash = events[-1]["hash"]
            self.store.insert_many(declared.table, rows)
            for link in declared.links:
                self.store.insert_many(link.table, [
                    {link.owner: r.id, link.item: item}
                    for r in records for item in getattr(r, link.field)])
            self.store.insert_many("events", events)

    def update(
        self,
        kind: str,
        record_id: str,
        data: models.Base,
        actor: str,
        expected_version: Collection[int] | None,
        source: str | None = None,
    ):
        """Replace a record's fields if its version is one of `expected_version` (None: any)."""
        if data.id != record_id:
            raise Invalid.at("$.id", f"must be '{record_id}', the id in the URL; ids never change")
        declared = KINDS[kind]
        with self.write():
            before = self._current(declared, record_id, expected_version)
            check_references(self.store, declared, data)
            values = msgspec.structs.asdict(data)
            if values == {k: getattr(before, k) for k in values}:
                return before  # unchanged: no new version, no event
            self._check_rules(kind, data)
            record = msgspec.structs.replace(
                before, **values, version=before.version + 1, updated_at=now()
            )
            record = msgspec.convert(to_builtins(record), type(before))
            self._replace(declared, record)
            self._save_links(declared, data, replace=True)
            self.audit.record("update", kind, record, before, actor, source)
        return record

    def archive(
        self, kind: str, record_id: str, actor: str, expected_version: Collection[int] | None
    ):
        """Archive instead of delete: the record and its history stay readable."""
        declared = KINDS[kind]
        with self.write() as db:
            before = self._current(declared, record_id, expected_version)
            stamp = now()
            record = msgspec.convert(
                to_builtins(before) | {"version": before.version + 1, "updated_at": stamp,
                                       "archived_at": stamp},
                type(before),
            )
            doc = to_builtins(record)
            db[declared.table].update(record_id, {name: doc[name] for name in (
                "version", "updated_at", "archived_at")})
            self.audit.record("archive", kind, record, before, actor, None)
        return record

    def restore(
        self, kind: str, record_id: str, actor: str, expected_version: Collection[int] | None
    ):
        """Bring an archived record back: a new version, recorded in the audit log as
        `restore`, as archiving it was."""
        declared = KINDS[kind]
        with self.write() as db:
            before = self.get(kind, record_id)
            _check_version(declared, before, expected_version)
            if before.archived_at is None:
                raise Conflict(f"The {declared.singular} '{record_id}' is not archived.")
            self._check_rules(kind, before)
            record = msgspec.convert(
                to_builtins(before) | {"version": before.version + 1, "updated_at": now(),
                                       "archived_at": None},
                type(before),
            )
            doc = to_builtins(record)
            db[declared.table].update(record_id, {name: doc[name] for name in (
                "version", "updated_at", "archived_at")})
            self.audit.record("restore", kind, record, before, actor, None)
        return record

    def _check_rules(self, kind: str, record: models.Base) -> None:
        """The kind's rules beyond its schema and references (`registry.store.decisions`)."""
        if rule := RULES.get(kind):
            rule(self, record, self.today())

    def _current(self, kind: Kind, record_id: str, expected_version: Collection[int] | None):
        before = self.get(kind.name, record_id)
        _check_version(kind, before, expected_version)
        if before.archived_at is not None:
            raise Conflict(
                f"The {kind.singular} '{record_id}' is archived and can no longer change."
            )
        return before

    def _replace(self, kind: Kind, record: models.Base) -> None:
        # Hand-written, as `Store.insert_many` is: imports update records one by one here, and
        # sqlite-utils' `update` (which reads the row again first) cost about 140 µs more each.
        row = doc_row(kind, to_builtins(record))
        assignments = ", ".join(f"[{k}] = ?" for k in row if k != "id")
        self.conn.execute(
            f"UPDATE [{kind.table}] SET {assignments} WHERE id = ?",
            [v for k, v in row.items() if k != "id"] + [record.id],
        )

    def _save_links(self, kind: Kind, data: models.Base, replace: bool = False) -> None:
        """The record's linked lists (`Kind.links`), one row per item, in their order."""
        for link in kind.links:
            if replace:
                self.conn.execute(f"DELETE FROM [{link.table}] WHERE [{link.owner}] = ?",
                                  [data.id])
            self.store.insert_many(link.table, [{link.owner: data.id, link.item: item}
                                                for item in getattr(data, link.field)])


def _check_version(kind: Kind, record: Any, expected_version: Collection[int] | None) -> None:
    if expected_version is not None and record.version not in expected_version:
        raise PreconditionFailed(
            f"The {kind.singular} '{record.id}' is at version {record.version}, not the one "
            "in If-Match: someone changed it. Read it again and redo your change."
        )


def _conditions(kind: Kind, filters: dict[str, str | None]) -> tuple[list[str], list]:
    """The SQL conditions and parameters of a list's filters; a filter the kind does not
    declare is an error (the API refuses it before it gets here)."""
    where: list[str] = []
    params: list = []
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if name not in kind.filter_names:
            raise Invalid.at(f"$.{name}", f"the filter '{name}' does not apply to {kind.name}")
        if name == "q":
            columns = ["id", *kind.search]
            where.append("(" + " OR ".join(f"[{c}] LIKE ? ESCAPE '\\'" for c in columns) + ")")
            pattern = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params += [pattern + "%"] * len(columns)
        else:
            where.append(kind.filter(name).where)
            params.append(value)
    return where, params
