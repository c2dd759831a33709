"""Reading records of any kind: rows with their linked lists, as Structs.

`Registry` reads records through these, and so does the audit log's check of every row.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import msgspec

from registry.store.connection import Store
from registry.store.kinds import Kind
from registry.store.rows import from_row

json_decode = msgspec.json.decode

CHUNK = 500  # ids per query: SQLite allows 999 parameters per statement


def read(store: Store, kind: Kind, rows: list[dict[str, Any]], every: bool = False) -> list:
    """`rows` of `kind` as Structs, with their linked lists read in a query per few hundred
    rows (`every`: the whole link table at once, for when `rows` are all of the kind's)."""
    if not rows:
        return []
    for link in kind.links:
        items: dict[str, list] = {row["id"]: [] for row in rows}
        ids = list(items)
        chunks = [None] if every else [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
        for chunk in chunks:
            where = "" if chunk is None else \
                f" WHERE [{link.owner}] IN ({', '.join('?' for _ in chunk)})"
            for pair in store.rows(f"SELECT [{link.owner}] AS owner, [{link.item}] AS item "
                                   f"FROM [{link.table}]{where} ORDER BY rowid", chunk or ()):
                if pair["owner"] in items:
                    items[pair["owner"]].append(pair["item"])
        for row in rows:
            row[link.field] = items[row["id"]]
    return [from_row(kind, row) for row in rows]


def fetch(store: Store, kind: Kind, record_id: str) -> dict[str, Any] | None:
    """The row of one record (without its linked lists), or None."""
    rows = store.rows(f"SELECT * FROM [{kind.table}] WHERE id = ?", [record_id])
    return rows[0] if rows else None


def read_all(store: Store, kind: Kind, include_archived: bool = False) -> list:
    """Every record of a kind by id, for verdicts, exports, publishing and checks.

    The records `read` gives, as `from_row` makes them, with a dict per row instead of two
    (publishing 100,000 tools reads 230,000 records)."""
    where = "" if include_archived else " WHERE archived_at IS NULL"
    cursor = store.conn.execute(f"SELECT * FROM [{kind.table}]{where} ORDER BY id")
    try:
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()  # all at once, as `Store.rows` explains
    finally:
        cursor.close()
    docs = [{c: v for c, v in zip(columns, row) if v is not None} for row in rows]
    json_fields = [c for c in columns if c in kind.json_fields]
    for doc in docs:
        for name in json_fields:
            if name in doc and (value := json_decode(doc[name])) is not None:
                doc[name] = value
            else:
                doc.pop(name, None)
    for link in kind.links:
        items: dict[str, list] = {doc["id"]: [] for doc in docs}
        for owner, item in store.conn.execute(
                f"SELECT [{link.owner}], [{link.item}] FROM [{link.table}] ORDER BY rowid"
        ).fetchall():
            if owner in items:
                items[owner].append(item)
        for doc in docs:
            doc[link.field] = items[doc["id"]]
    return [msgspec.convert(doc, kind.stored, strict=False) for doc in docs]


def read_by_id(store: Store, kind: Kind, ids: Collection[str]) -> dict[str, Any]:
    """The stored records with these ids (archived ones too), a few hundred per query: the
    batched lookups that let an import check a whole file in a few queries per kind."""
    ids, found = sorted(set(ids)), {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        rows = store.rows(f"SELECT * FROM [{kind.table}] WHERE id IN "
                          f"({', '.join('?' for _ in chunk)})", chunk)
        found.update((record.id, record) for record in read(store, kind, rows))
    return found


# --- one page of a list, through indexes ----------------------------------------------------

NAMED = {"vendors": "name", "tools": "name", "agreements": "vendor_id", "assessments": "tool_id",
         "boards": "name", "board_decisions": "board_id"}
"""Besides its id, the column a list of each kind finds by its first letters (the back office's
search box): names case-insensitively through `<table>_name_nocase`, the owner's id through
its index (migration 0004)."""
WIDE = {"category", "status"}
"""Filters that match thousands of rows, each with a partial index `(column, id)` of live
records: a page of them comes in id order from it."""
_SLUG_PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_COLUMN_IS = re.compile(r"^(\w+) = \?$")


def _matching(kind: Kind, q: str, filters: dict[str, str] | None, archived: str
              ) -> tuple[str, list]:
    """(table and WHERE clause, parameters) of the records whose id or `NAMED` column starts
    with `q`, with the kind's `filters` and `archived` (exclude, include or only).

    Each statement goes through an index, so a page costs about the same at 100,000 tools
    as at ten (the query plans are tested); only the tools' `level` filter, which looks
    inside each row's JSON, reads every row. Which index leads is said, not left to SQLite's
    planner: without statistics it would take one that nearly every row matches. A search
    or a narrow filter leads (the archived condition is written `+archived_at`, which keeps
    it off indexes); otherwise the partial index of live or archived records, or of a WIDE
    filter's live records (migration 0004)."""
    filters = {name: value for name, value in (filters or {}).items() if value}
    where, params = [], []
    text = q.strip()
    if text:
        found, slug = [], text.lower()
        columns = ["id"] + ([NAMED[kind.name]] if NAMED[kind.name] != "name" else [])
        if _SLUG_PREFIX.match(slug):  # a range of slugs: "~" sorts after [a-z0-9-]
            found += [f"([{c}] >= ? AND [{c}] < ?)" for c in columns]
            params += [p for _ in columns for p in (slug, slug + "~")]
        if NAMED[kind.name] == "name":
            found.append("name LIKE ? ESCAPE '\\'")
            params.append(text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                          + "%")
        where.append("(" + " OR ".join(found) + ")")
    for name, value in filters.items():
        condition = kind.filter(name).where
        # With a search, the search leads; a plain `column = ?` must not.
        where.append(f"+{condition}" if text and _COLUMN_IS.match(condition) else condition)
        params.append(value)
    index = ""
    if archived in ("exclude", "only"):
        where.append("+archived_at " + ("IS NULL" if archived == "exclude" else "IS NOT NULL"))
        wide = [name for name in filters if name in WIDE]
        if not text and not filters:
            index = f"{kind.table}_live" if archived == "exclude" else f"{kind.table}_archived"
        elif not text and archived == "exclude" and wide == list(filters):
            index = f"{kind.table}_{_COLUMN_IS.match(kind.filter(wide[0]).where)[1]}_live"
            where = [w.removeprefix("+") for w in where]  # the partial index needs them plain
    if index:
        where = [w.removeprefix("+") for w in where]
    clause = (f" INDEXED BY [{index}]" if index else "") + (
        f" WHERE {' AND '.join(where)}" if where else "")
    return f"[{kind.table}]{clause}", params


def page(store: Store, kind: Kind, *, q: str = "", filters: dict[str, str] | None = None,
         archived: str = "exclude", limit: int = 50, offset: int = 0) -> tuple[list, int]:
    """One page of records by id and how many match (see `_matching`)."""
    source, params = _matching(kind, q, filters, archived)
    total = store.rows(f"SELECT count(*) AS n FROM {source}", params)[0]["n"]
    ids = [r["id"] for r in store.rows(f"SELECT id FROM {source} ORDER BY id LIMIT ? OFFSET ?",
                                       [*params, int(limit), int(offset)])]
    return in_order(store, kind, ids), total


def matching_ids(store: Store, kind: Kind, *, q: str = "", filters: dict[str, str] | None = None,
                 archived: str = "exclude") -> set[str]:
    """The ids of every record that `page` would list (to combine with a condition that is
    not in the database, such as a tool's live verdict)."""
    source, params = _matching(kind, q, filters, archived)
    return {r["id"] for r in store.rows(f"SELECT id FROM {source}", params)}


def in_order(store: Store, kind: Kind, ids: list[str]) -> list:
    """The records with these ids, in this order."""
    found = read_by_id(store, kind, ids)
    return [found[i] for i in ids if i in found]
