"""Reading records of any kind: rows with their linked lists, as Structs.

`Registry` reads records through these, and so does the audit log's check of every row.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from registry.store.connection import Store
from registry.store.kinds import Kind
from registry.store.rows import from_row

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
    """Every record of a kind by id, for verdicts, exports, publishing and checks."""
    where = None if include_archived else "archived_at IS NULL"
    rows = list(store.db[kind.table].rows_where(where, order_by="id"))
    return read(store, kind, rows, every=True)


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
