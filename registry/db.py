"""The registry database: connections, rows <-> Structs, and writes with their audit events.

All SQL of the write side lives here. Every write starts with `BEGIN IMMEDIATE` (so
concurrent writers queue on the busy timeout instead of failing with "database is locked")
and commits the change together with its audit event, or nothing at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from sqlite_utils import Database

from registry import models
from registry.errors import (
    Conflict, Invalid, NotFound, PreconditionFailed, RegistryError, StorageFull,
)
from registry.migrations import RECORD_TABLES, migrations

BUSY_TIMEOUT_MS = 10_000
GENESIS_HASH = "0" * 64
ENV_DB = "REGISTRY_DB"


def default_db_path() -> Path:
    """`$REGISTRY_DB`, else `$XDG_DATA_HOME/school-whitelist/registry.db` (~/.local/share)."""
    if env := os.environ.get(ENV_DB):
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "school-whitelist" / "registry.db"


def connect(path: str | Path) -> Database:
    """Open a database with the pragmas every connection needs; create folders on first use."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; check_same_thread=False
    # because the ASGI test client and the server loop may differ from the opening thread,
    # while every use stays on one thread at a time.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return Database(conn)


def now() -> str:
    return msgspec.to_builtins(dt.datetime.now(dt.UTC))


def _json_fields(struct_type: type) -> frozenset[str]:
    """Fields stored as JSON text: lists, dicts and nested Structs."""
    info = msgspec.inspect.type_info(struct_type)
    nested = (msgspec.inspect.ListType, msgspec.inspect.StructType, msgspec.inspect.DictType)

    def is_nested(t) -> bool:
        if isinstance(t, msgspec.inspect.UnionType):
            return any(is_nested(x) for x in t.types)
        return isinstance(t, nested)

    return frozenset(f.name for f in info.fields if is_nested(f.type))


_JSON_FIELDS = {kind: _json_fields(stored) for kind, (_, stored) in models.RECORD_TYPES.items()}
_META_FIELDS = ("version", "created_at", "updated_at", "archived_at")


def to_builtins(record: msgspec.Struct) -> dict[str, Any]:
    """Every field of a record as JSON-ready builtins, defaults included."""
    return msgspec.to_builtins(msgspec.structs.asdict(record))


def _json(value: Any) -> str:
    """JSON text for a TEXT column: msgspec writes it several times faster than json.dumps."""
    return msgspec.json.encode(value).decode()


def _doc_row(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A record's builtins (`to_builtins`) as its table row: nested fields as JSON text."""
    row = dict(doc)
    row.pop("tool_ids", None)  # agreement_tools holds them
    for name in _JSON_FIELDS[kind]:
        if name in row:
            row[name] = None if row[name] is None else _json(row[name])
    return row


def _event_row(action, kind, record_id, version, before_doc, after_doc, actor, source,
               prev_hash: str, at: str) -> dict[str, Any]:
    """One audit event as its row; its hash covers `prev_hash`, the previous event's (a chain)."""
    before, after = before_doc or {}, after_doc or {}
    if not before:  # a new record: every field that is set (the same, cheaper in bulk)
        changed = sorted(k for k, v in after.items() if v is not None and k not in _META_FIELDS)
    else:
        changed = sorted(k for k in (after or before)
                         if k not in _META_FIELDS and before.get(k) != after.get(k))
    if action == "archive":
        changed = ["archived_at"]
    event = {
        "at": at,
        "actor": actor,
        "action": action,
        "kind": kind,
        "record_id": record_id,
        "version": version,
        "changed": changed,
        "before": before_doc,
        "after": after_doc,
        "source": source,
        "prev_hash": prev_hash,
    }
    event["hash"] = event_hash(event)
    return {k: _json(v) if k in ("changed", "before", "after") else v for k, v in event.items()}


class Registry:
    """The one entry object of the write side: records, audit log, tokens, policies."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = connect(self.path)
        self.conn = self.db.conn

    def migrate(self) -> None:
        with self.write():
            migrations.apply(self.db)

    def close(self) -> None:
        self.conn.close()

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

    def is_empty(self) -> bool:
        return self._rows("SELECT count(*) AS n FROM vendors")[0]["n"] == 0

    def _rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        """All rows at once: a half-read cursor would keep a read snapshot open, and a
        connection holding one gets SQLITE_BUSY at its next BEGIN IMMEDIATE, without waiting."""
        cursor = self.conn.execute(sql, params)
        try:
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        columns = ", ".join(f"[{c}]" for c in row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})", list(row.values()))

    # --- records ----------------------------------------------------------------------

    def _insert_many(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all have the same keys, in one executemany."""
        if not rows:
            return
        columns = ", ".join(f"[{c}]" for c in rows[0])
        marks = ", ".join("?" for _ in rows[0])
        self.conn.executemany(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})",
                              [list(row.values()) for row in rows])

    def _row(self, kind: str, record: models.Base) -> dict[str, Any]:
        return _doc_row(kind, to_builtins(record))

    def _from_row(self, kind: str, row: dict[str, Any]):
        stored = models.RECORD_TYPES[kind][1]
        for name in _JSON_FIELDS[kind]:
            if isinstance(row.get(name), str):
                row[name] = msgspec.json.decode(row[name])
        if kind == "agreements" and "tool_ids" not in row:  # records_by_id reads them in bulk
            row["tool_ids"] = [
                r["tool_id"]
                for r in self._rows(
                    "SELECT tool_id FROM agreement_tools WHERE agreement_id = ? ORDER BY rowid",
                    [row["id"]],
                )
            ]
        row = {k: v for k, v in row.items() if v is not None}
        return msgspec.convert(row, stored, strict=False)

    def _fetch(self, kind: str, record_id: str) -> dict[str, Any] | None:
        rows = self._rows(f"SELECT * FROM [{kind}] WHERE id = ?", [record_id])
        return rows[0] if rows else None

    def get(self, kind: str, record_id: str):
        row = self._fetch(kind, record_id)
        if row is None:
            raise NotFound(models.SINGULAR[kind], record_id)
        return self._from_row(kind, row)

    def _check_references(self, kind: str, record: Any) -> None:
        """Refuse references to records that do not exist (the foreign keys are the backstop)."""

        def exists(table: str, record_id: str) -> dict | None:
            return self._fetch(table, record_id)

        if kind in ("tools", "agreements") and not exists("vendors", record.vendor_id):
            raise Invalid.at("$.vendor_id", f"there is no vendor with id '{record.vendor_id}'")
        if kind == "assessments" and not exists("tools", record.tool_id):
            raise Invalid.at("$.tool_id", f"there is no tool with id '{record.tool_id}'")
        if kind == "agreements":
            for i, tool_id in enumerate(record.tool_ids):
                tool = exists("tools", tool_id)
                if tool is None:
                    raise Invalid.at(f"$.tool_ids[{i}]", f"there is no tool with id '{tool_id}'")
                if tool["vendor_id"] != record.vendor_id:
                    raise Invalid.at(
                        f"$.tool_ids[{i}]",
                        f"tool '{tool_id}' belongs to vendor '{tool['vendor_id']}', "
                        f"not to '{record.vendor_id}'",
                    )

    def _save_tool_ids(self, record: models.AgreementIn) -> None:
        self.conn.execute("DELETE FROM agreement_tools WHERE agreement_id = ?", [record.id])
        for tool_id in record.tool_ids:
            self._insert("agreement_tools", {"agreement_id": record.id, "tool_id": tool_id})

    def create(self, kind: str, data: models.Base, actor: str, source: str | None = None):
        """Store a new record (version 1) and its `create` event in one transaction."""
        with self.write():
            if self._fetch(kind, data.id) is not None:
                raise Conflict(
                    f"A {models.SINGULAR[kind]} with id '{data.id}' exists already; "
                    "choose another id or update that one.",
                    [],
                )
            self._check_references(kind, data)
            stamp = now()
            stored_type = models.RECORD_TYPES[kind][1]
            record = stored_type(
                **msgspec.structs.asdict(data), version=1, created_at=stamp, updated_at=stamp
            )
            record = msgspec.convert(to_builtins(record), stored_type)
            self._insert(kind, self._row(kind, record))
            if kind == "agreements":
                self._save_tool_ids(data)
            self._event("create", kind, record, None, actor, source)
        return record

    def create_many(self, kind: str, records: list[models.Base], actor: str,
                    source: str | None = None) -> None:
        """Store new records (version 1), each with its `create` event, in one transaction.

        The bulk path of imports, which check ids and references for the whole file first
        (the foreign keys still refuse a dangling reference). Rows and events are those
        `create` writes, in three executemany calls instead of several queries per record:
        importing 230,000 records went from about 1,100 to 3,100 records/s.
        """
        stamp = now()
        meta = {"version": 1, "created_at": stamp, "updated_at": stamp, "archived_at": None}
        with self.write():
            prev_hash, rows, events = self._last_hash(), [], []
            for record in records:
                doc = to_builtins(record) | meta
                rows.append(_doc_row(kind, doc))
                events.append(_event_row("create", kind, record.id, 1, None, doc, actor, source,
                                         prev_hash, stamp))
                prev_hash = events[-1]["hash"]
            self._insert_many(kind, rows)
            if kind == "agreements":
                self._insert_many("agreement_tools", [
                    {"agreement_id": r.id, "tool_id": t} for r in records for t in r.tool_ids])
            self._insert_many("events", events)

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
        with self.write():
            before = self._current(kind, record_id, expected_version)
            self._check_references(kind, data)
            values = msgspec.structs.asdict(data)
            if values == {k: getattr(before, k) for k in values}:
                return before  # unchanged: no new version, no event
            record = msgspec.structs.replace(
                before, **values, version=before.version + 1, updated_at=now()
            )
            record = msgspec.convert(to_builtins(record), type(before))
            self._replace(kind, record)
            if kind == "agreements":
                self._save_tool_ids(data)
            self._event("update", kind, record, before, actor, source)
        return record

    def archive(
        self, kind: str, record_id: str, actor: str, expected_version: Collection[int] | None
    ):
        """Archive instead of delete: the record and its history stay readable."""
        with self.write():
            before = self._current(kind, record_id, expected_version)
            stamp = now()
            record = msgspec.convert(
                to_builtins(before) | {"version": before.version + 1, "updated_at": stamp,
                                       "archived_at": stamp},
                type(before),
            )
            self._replace(kind, record)
            self._event("archive", kind, record, before, actor, None)
        return record

    def _current(self, kind: str, record_id: str, expected_version: Collection[int] | None):
        before = self.get(kind, record_id)
        if expected_version is not None and before.version not in expected_version:
            raise PreconditionFailed(
                f"The {models.SINGULAR[kind]} '{record_id}' is at version {before.version}, "
                "not the one in If-Match: someone changed it. Read it again and redo your change."
            )
        if before.archived_at is not None:
            raise Conflict(
                f"The {models.SINGULAR[kind]} '{record_id}' is archived and can no longer change."
            )
        return before

    def _replace(self, kind: str, record: models.Base) -> None:
        row = self._row(kind, record)
        assignments = ", ".join(f"[{k}] = ?" for k in row if k != "id")
        self.conn.execute(
            f"UPDATE [{kind}] SET {assignments} WHERE id = ?",
            [v for k, v in row.items() if k != "id"] + [record.id],
        )

    def list(
        self,
        kind: str,
        *,
        limit: int | None,
        offset: int = 0,
        vendor: str | None = None,
        category: str | None = None,
        level: str | None = None,
        status: str | None = None,
        tool: str | None = None,
        q: str | None = None,
        archived: str = "exclude",
    ) -> tuple[list, int]:
        """One page of records by id (`limit` None: all), and the total that match the filters."""
        where, params = [], []
        if vendor:
            where.append("vendor_id = ?" if kind != "vendors" else "id = ?")
            params.append(vendor)
        if category:
            where.append("category = ?")
            params.append(category)
        if level:
            where.append("EXISTS (SELECT 1 FROM json_each(levels) WHERE value = ?)")
            params.append(level)
        if status:
            where.append("status = ?")
            params.append(status)
        if tool:
            where.append(
                "tool_id = ?"
                if kind == "assessments"
                else "id IN (SELECT agreement_id FROM agreement_tools WHERE tool_id = ?)"
            )
            params.append(tool)
        if q:
            text_columns = {"vendors": ["name"], "tools": ["name", "description"],
                            "agreements": ["party"], "assessments": ["assessor", "public_summary"]}
            like = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in ["id", *text_columns[kind]])
            where.append(f"({like})")
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params.extend([pattern] * (1 + len(text_columns[kind])))
        if archived == "exclude":
            where.append("archived_at IS NULL")
        elif archived == "only":
            where.append("archived_at IS NOT NULL")
        clause = " WHERE " + " AND ".join(where) if where else ""
        total = self._rows(f"SELECT count(*) AS n FROM [{kind}]{clause}", params)[0]["n"]
        rows = self._rows(
            f"SELECT * FROM [{kind}]{clause} ORDER BY id LIMIT ? OFFSET ?",
            [*params, -1 if limit is None else limit, offset],
        )
        return [self._from_row(kind, row) for row in rows], total

    def all(self, kind: str, include_archived: bool = False) -> list:
        """Every record of a kind, for verdicts, exports and publishing."""
        where = "" if include_archived else " WHERE archived_at IS NULL"
        rows = self._rows(f"SELECT * FROM [{kind}]{where} ORDER BY id")
        if kind == "agreements":  # their tools in one query, not one per agreement
            tool_ids: dict[str, list[str]] = {row["id"]: [] for row in rows}
            for link in self._rows("SELECT agreement_id, tool_id FROM agreement_tools ORDER BY rowid"):
                if link["agreement_id"] in tool_ids:
                    tool_ids[link["agreement_id"]].append(link["tool_id"])
            for row in rows:
                row["tool_ids"] = tool_ids[row["id"]]
        return [self._from_row(kind, row) for row in rows]

    # --- the audit log ------------------------------------------------------------------

    def _event(self, action, kind, record, before, actor, source) -> None:
        after_doc = None if record is None else to_builtins(record)
        before_doc = None if before is None else to_builtins(before)
        self._log(action, kind, record.id, record.version, before_doc, after_doc, actor, source)

    def _last_hash(self) -> str:
        prev = self._rows("SELECT hash FROM events ORDER BY id DESC LIMIT 1")
        return prev[0]["hash"] if prev else GENESIS_HASH

    def _log(self, action, kind, record_id, version, before_doc, after_doc, actor, source):
        """Append one event; its hash covers the previous event's hash (a chain)."""
        self._insert("events", _event_row(action, kind, record_id, version, before_doc,
                                          after_doc, actor, source, self._last_hash(), now()))

    def history(self, kind: str, record_id: str) -> list[models.Event]:
        self.get(kind, record_id)
        return self.events("kind = ? AND record_id = ?", [kind, record_id])

    def events(self, where: str = "1", params: list | None = None) -> list[models.Event]:
        out = []
        for row in self._rows(f"SELECT * FROM events WHERE {where} ORDER BY id", params or []):
            row.pop("prev_hash")
            for k in ("changed", "before", "after"):
                row[k] = json.loads(row[k]) if row[k] is not None else None
            out.append(msgspec.convert({k: v for k, v in row.items() if v is not None},
                                       models.Event))
        return out

    def verify_events(self) -> list[str]:
        """Recompute the hash chain; return one line per event that was edited or removed."""
        problems, prev = [], GENESIS_HASH
        for row in self._rows("SELECT * FROM events ORDER BY id"):
            stored = row.pop("hash")
            event = {k: json.loads(v) if k in ("changed", "before", "after") and v else v
                     for k, v in row.items() if k != "id"}
            if row["prev_hash"] != prev:
                problems.append(f"event {row['id']}: the chain breaks before it (removed or reordered)")
            if event_hash(event) != stored:
                problems.append(f"event {row['id']}: its content does not match its hash (edited)")
            prev = stored
        return problems

    # --- policies -------------------------------------------------------------------------

    def policy_documents(self) -> list[dict[str, Any]]:
        """Every stored policy version, oldest first, with its document as builtins."""
        rows = self._rows("SELECT * FROM policies ORDER BY rowid")
        return [row | {"document": json.loads(row["document"])} for row in rows]

    def save_policy(
        self, document: dict[str, Any], actor: str, expected_version: Collection[str] | None
    ) -> None:
        """Store a new policy version; the previous ones are kept. `expected_version` is the
        version the change was based on (None: any); the new version must be new."""
        version = document["version"]
        with self.write():
            current = self._rows("SELECT version FROM policies ORDER BY rowid DESC LIMIT 1")
            current_version = current[0]["version"] if current else None
            if expected_version is not None and current_version not in expected_version:
                raise PreconditionFailed(
                    f"The policy is at version {current_version}, not the one in If-Match: "
                    "someone changed it. Read it again and redo your change."
                )
            if self._rows("SELECT 1 FROM policies WHERE version = ?", [version]):
                raise Conflict(
                    f"Policy version {version} exists already; versions are never reused. "
                    "Give the new policy a new version."
                )
            self._insert("policies", {
                "version": version,
                "effective_on": document["effective_on"],
                "document": json.dumps(document, ensure_ascii=False),
                "created_at": now(),
                "actor": actor,
            })
            before = self._rows("SELECT document FROM policies WHERE version = ?",
                                [current_version]) if current_version else []
            self._log(
                "replace_policy", "policy", version, len(self.policy_documents()),
                json.loads(before[0]["document"]) if before else None, document, actor, None,
            )

    # --- review requests ------------------------------------------------------------------

    def request_review(self, data: models.ReviewRequestIn, host: str | None, key: str | None
                       ) -> models.ReviewRequest:
        """Record a teacher's request; an open request for the same host (or, without a URL,
        the same name) is counted again instead of stored twice."""
        with self.write():
            where, param = ("host = ?", host) if host else ("host IS NULL AND name_key = ?", key)
            rows = self._rows(
                f"SELECT * FROM review_requests WHERE status = 'open' AND {where} LIMIT 1", [param]
            )
            stamp = now()
            if rows:
                row = rows[0]
                self.conn.execute(
                    "UPDATE review_requests SET count = count + 1, updated_at = ? WHERE id = ?",
                    [stamp, row["id"]],
                )
                return self.review_request(row["id"])
            request = models.ReviewRequest(
                id="rr-" + secrets.token_hex(5), tool_name=data.tool_name, url=data.url, host=host,
                school=data.school, reason=data.reason, version=1,
                created_at=stamp, updated_at=stamp,
            )
            self._insert("review_requests", to_builtins(request) | {"name_key": key})
            return self.review_request(request.id)

    def review_request(self, request_id: str) -> models.ReviewRequest:
        rows = self._rows("SELECT * FROM review_requests WHERE id = ?", [request_id])
        if not rows:
            raise NotFound("review request", request_id)
        row = {k: v for k, v in rows[0].items() if v is not None and k != "name_key"}
        return msgspec.convert(row, models.ReviewRequest, strict=False)

    def review_requests(self, status: str | None, limit: int, offset: int
                        ) -> tuple[list[models.ReviewRequest], int]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        total = self._rows(f"SELECT count(*) AS n FROM review_requests {where}", params)[0]["n"]
        rows = self._rows(
            f"SELECT id FROM review_requests {where} ORDER BY count DESC, created_at "
            "LIMIT ? OFFSET ?", [*params, limit, offset],
        )
        return [self.review_request(r["id"]) for r in rows], total

    def update_review_request(self, request_id: str, change: models.ReviewRequestUpdate,
                              actor: str, expected_version: Collection[int] | None
                              ) -> models.ReviewRequest:
        """Link a request to a registered tool, close it, or open it again; audited."""
        with self.write():
            before = self.review_request(request_id)
            if expected_version is not None and before.version not in expected_version:
                raise PreconditionFailed(
                    f"The review request '{request_id}' is at version {before.version}, not the "
                    "one in If-Match: someone changed it. Read it again and redo your change."
                )
            if change.tool_id is not None and self._fetch("tools", change.tool_id) is None:
                raise Invalid.at("$.tool_id", f"there is no tool with id '{change.tool_id}'")
            after = msgspec.structs.replace(
                before, status=change.status, tool_id=change.tool_id,
                version=before.version + 1, updated_at=now(),
            )
            after = msgspec.convert(to_builtins(after), models.ReviewRequest)
            self.conn.execute(
                "UPDATE review_requests SET status = ?, tool_id = ?, version = ?, updated_at = ? "
                "WHERE id = ?",
                [after.status, after.tool_id, after.version, to_builtins(after)["updated_at"],
                 request_id],
            )
            action = {"linked": "link", "closed": "close"}.get(after.status, "update")
            self._log(action, "review_requests", request_id, after.version, to_builtins(before),
                      to_builtins(after), actor, None)
        return self.review_request(request_id)

    # --- tokens ---------------------------------------------------------------------------

    def create_token(self, name: str, role: models.Role) -> tuple[models.ApiToken, str]:
        """Create a token; the secret is returned once and only its hash is stored."""
        secret = "wlr_" + secrets.token_urlsafe(32)
        token = models.ApiToken(
            id=secrets.token_hex(4), name=name, role=role, created_at=dt.datetime.now(dt.UTC)
        )
        with self.write():
            if self._rows("SELECT 1 FROM tokens WHERE name = ?", [name]):
                raise Conflict(f"A token named '{name}' exists already; choose another name.")
            self._insert("tokens", to_builtins(token) | {"token_hash": hash_token(secret)})
        return token, secret

    def tokens(self) -> list[models.ApiToken]:
        rows = self._rows(
            "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY created_at"
        )
        return [msgspec.convert({k: v for k, v in r.items() if v}, models.ApiToken) for r in rows]

    def revoke_token(self, name_or_id: str) -> models.ApiToken:
        with self.write():
            cursor = self.conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE (name = ? OR id = ?) AND revoked_at IS NULL",
                [now(), name_or_id, name_or_id],
            )
            if cursor.rowcount == 0:
                raise NotFound("active token", name_or_id)
        return next(t for t in self.tokens() if name_or_id in (t.name, t.id))

    def token_for_secret(self, secret: str) -> tuple[str, str, bool] | None:
        """(name, role, revoked) of the token with this secret, or None."""
        rows = self._rows(
            "SELECT name, role, revoked_at FROM tokens WHERE token_hash = ?", [hash_token(secret)]
        )
        return (rows[0]["name"], rows[0]["role"], rows[0]["revoked_at"] is not None) if rows else None

    # --- bulk import: batched lookups -------------------------------------------------------

    def records_by_id(self, kind: str, ids: Collection[str]) -> dict[str, Any]:
        """The stored records with these ids (archived ones too), a few hundred per query."""
        ids, found = sorted(set(ids)), {}
        for start in range(0, len(ids), 500):  # SQLite allows 999 parameters per statement
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            rows = self._rows(f"SELECT * FROM [{kind}] WHERE id IN ({marks})", chunk)
            if kind == "agreements":
                tool_ids: dict[str, list[str]] = {row["id"]: [] for row in rows}
                for link in self._rows(
                    f"SELECT agreement_id, tool_id FROM agreement_tools "
                    f"WHERE agreement_id IN ({marks}) ORDER BY rowid", chunk,
                ):
                    tool_ids[link["agreement_id"]].append(link["tool_id"])
                for row in rows:
                    row["tool_ids"] = tool_ids[row["id"]]
            found.update((row["id"], self._from_row(kind, row)) for row in rows)
        return found

    # --- publications of the whitelist (registry.publish builds the file) -----------------

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

    def publications(self) -> list[dict[str, Any]]:
        """Every recorded publication, newest first, with `counts` and `changes` decoded."""
        rows = self._rows("SELECT * FROM publications ORDER BY version DESC")
        return [row | {"counts": json.loads(row["counts"]), "changes": json.loads(row["changes"])}
                for row in rows]

    def record_publication(self, publication: dict[str, Any], actor: str) -> None:
        """Record a publication and its audit event; its version must follow the latest."""
        with self.write():
            latest = self._rows("SELECT max(version) AS v FROM publications")[0]["v"] or 0
            if publication["version"] != latest + 1:
                raise Conflict(
                    f"Version {latest} of the whitelist was published while this one was being "
                    "built; publish again to include it."
                )
            self._insert("publications", {
                **publication,
                "counts": json.dumps(publication["counts"], ensure_ascii=False),
                "changes": json.dumps(publication["changes"], ensure_ascii=False),
                "actor": actor,
            })
            self._log("create", "publication", str(publication["version"]), 1, None,
                      publication, actor, None)

    # --- backup and verification (`registry backup`, `registry verify`) ------------------

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
        deleted or edited, and the audit log's hash chain."""
        try:
            tables = {r["name"]: r["type"] for r in self._rows(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")}
            problems = [f"integrity: {message}" for (message,) in
                        self.conn.execute("PRAGMA integrity_check").fetchall() if message != "ok"]
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
            return problems + self.verify_events()
        except sqlite3.DatabaseError as exc:
            return [f"the file cannot be read as an SQLite database: {exc}"]

    def backup_to(self, target: Path) -> dict[str, int]:
        """Copy the whole database into the new file `target` as one consistent state while
        writers go on: SQLite's online backup in one step, inside one read transaction. The
        copy is a single file (rollback journal, no -wal) and passes the integrity check.
        Returns the rows of the copy per table."""
        copy = sqlite3.connect(target, isolation_level=None)
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


def hash_token(secret: str) -> str:
    # Tokens are 256-bit random strings, so a plain SHA-256 is as good as a slow KDF here.
    return hashlib.sha256(secret.encode()).hexdigest()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k not in ("id", "hash")}
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()
