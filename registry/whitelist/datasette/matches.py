"""A table page searched with `_search` alone, from one full-text lookup and what is kept of
the table in memory: its count, its first page and its facets.

Datasette asks SQLite for the page, the count and each facet, every one of them reading every
matching row in full: at 100,000 tools a row is about 3 KB (a page of the file), a common word
matches thousands of them, and the page sorted all those rows, whole, to show 20. A published
file is immutable, so what a search needs of the table is read once per Datasette instance:
the rowids in the order of a sort column (`_rank`, from its index) and the facet columns (a
byte per row and column, from their covering indexes). A search then needs only the rowids
its FTS index gives (once per page, shared by the count and the facets): the count is how
many there are, the page is asked of SQLite for its own rowids only, and the facets are
counted here. The answers are the same rows, order, counts and facets as the queries':
`tests/test_search_speed.py` compares them.
"""

from __future__ import annotations

import heapq
import re
import threading
from array import array
from collections import Counter

from datasette.database import Results
from datasette.utils import escape_sqlite

from registry.whitelist.datasette.memo import memo as remembered

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
SEARCHED = re.compile(
    rf"select .+ from (?P<table>{NAME}) where rowid in \(select rowid from (?P<fts>{NAME}) "
    rf"where (?P=fts) match :search\)\s*", re.S)
"""Datasette's SQL of a table page searched with `_search` in raw mode and nothing else
(`filters.py`: the search clause; `views/table.py`: the SQL its facets count over)."""
COUNT = re.compile(
    rf"select count\(\*\) from (?P<table>{NAME}) where rowid in \(select rowid from "
    rf"(?P<fts>{NAME}) where (?P=fts) match :search\)\s*")
"""Datasette's count of such a table page."""
PAGE = re.compile(
    rf"(?P<select>select .+ from (?P<table>{NAME}) where rowid in )\(select rowid from "
    rf"(?P<fts>{NAME}) where (?P=fts) match :search\)(?P<rest> order by (?P<order>{NAME}) "
    rf"limit (?P<limit>\d+))\s*", re.S)
"""Datasette's first page of such a table, sorted by a column (its metadata's `sort`)."""
MAX_RANKS = 8
"""Sort columns kept per instance (4 bytes per row each)."""
MAX_VALUES = 254
"""A column with more distinct values is not kept (a byte per row: two codes are taken)."""
NULL, ABSENT = 254, 255
FOUND_KEPT = 8
"""Searches whose rowids are kept per instance, so that the count and the facets of a page
share its one lookup while other pages are under way (8 bytes a match: at most a few MB).
What is kept per instance besides: 8 bytes a row per sort column and for the rowids there,
a byte a row per facet column (about 2.5 MB at 100,000 tools)."""


def searched_fts(sql: str, params, table: str | None) -> str | None:
    """The FTS table of `sql` if it is a table searched with `_search` and nothing else."""
    match = SEARCHED.fullmatch(sql.strip())
    if (match is None or match["table"] != table or not isinstance(params, dict)
            or set(params) != {"search"} or not isinstance(params["search"], str)):
        return None
    return match["fts"]


async def counts(datasette, database: str, table: str, fts: str, search: str,
                 column: str) -> Counter | None:
    """{value: rows} of `column` over the rows of `table` that match `search` (None for
    NULL), or None where the column cannot be kept (then ask SQLite)."""
    kept = remembered(datasette, "matches")
    lock = kept.setdefault("lock", threading.Lock())

    def count(conn) -> Counter | None:
        codes, values = _column(kept, lock, conn, table, column)
        if codes is None:
            return None
        found = _found(kept, lock, conn, fts, search)
        size = len(codes)
        tally = Counter(codes[r] for r in found if 0 <= r < size)
        tally.pop(ABSENT, None)
        return Counter({(None if code == NULL else values[code]): n
                        for code, n in tally.items()})

    return await datasette.databases[database].execute_fn(count)


async def answer(datasette, database: str, execute, sql: str, params, kwargs: dict):
    """Datasette's count or first page of a table searched with `_search` alone, answered with
    the rowids kept; any other query (or where they cannot be kept) as `execute` answers it."""
    if isinstance(params, dict) and set(params) == {"search"} and "match :search" in sql:
        kept = remembered(datasette, "matches")
        lock = kept.setdefault("lock", threading.Lock())
        run = datasette.databases[database].execute_fn
        search = params["search"]
        if counted := COUNT.fullmatch(sql.strip()):
            table, fts = counted["table"], counted["fts"]

            def count(conn) -> int | None:
                order = _rank(kept, lock, conn, table, None)
                if order is None:
                    return None
                return sum(1 for r in _found(kept, lock, conn, fts, search)
                           if 0 <= r < len(order) and order[r] >= 0)

            if (n := await run(count)) is not None:
                return Results([(n,)], False, [("count(*)",)])
        elif page := PAGE.fullmatch(sql.strip()):

            def first(conn) -> list[int] | None:
                order = _rank(kept, lock, conn, page["table"], page["order"])
                if order is None:
                    return None
                size = len(order)
                found = [r for r in _found(kept, lock, conn, page["fts"], search)
                         if 0 <= r < size and order[r] >= 0]
                return heapq.nsmallest(int(page["limit"]), found, key=order.__getitem__)

            if (rowids := await run(first)) is not None:
                sql = f"{page['select']}({', '.join(map(str, rowids))}){page['rest']}"
    return await execute(sql, params, **kwargs)


def _rank(kept: dict, lock: threading.Lock, conn, table: str,
          column: str | None) -> array | None:
    """Each rowid's place when `table` is sorted by `column` (ties by rowid), -1 for a rowid
    that is not there; read once, in SQLite's own order, from the column's index. Without a
    column, in the order of the smallest index: which rowids are there."""
    key = ("rank", table, column)
    if key not in kept:
        with lock:
            if key not in kept:
                ranks = sum(1 for k in kept if isinstance(k, tuple) and k[0] == "rank")
                kept[key] = None if ranks >= MAX_RANKS else _read_rank(conn, table, column)
    return kept[key]


def _read_rank(conn, table: str, column: str | None) -> array | None:
    order = "" if column is None else f" order by {escape_sqlite(column)}, rowid"
    rowids = [row[0] for row in conn.execute(f"select rowid from {escape_sqlite(table)}{order}")]
    top = max(rowids, default=-1)
    if not rowids or top < 0 or top > 4 * len(rowids) + 1024 or min(rowids) < 0:
        return None
    order = array("l", [-1]) * (top + 1)
    for place, rowid in enumerate(rowids):
        order[rowid] = place
    return order


def _column(kept: dict, lock: threading.Lock, conn, table: str, column: str):
    """(codes by rowid, values) of a column, read once; (None, None) where it cannot be."""
    key = ("column", table, column)
    if key not in kept:
        with lock:
            if key not in kept:
                kept[key] = _read_column(conn, table, column)
    return kept[key]


def _read_column(conn, table: str, column: str):
    rows = conn.execute(
        f"select rowid, {escape_sqlite(column)} from {escape_sqlite(table)}").fetchall()
    if not rows:
        return None, None
    top = max(rowid for rowid, _ in rows)
    if top < 0 or top > 4 * len(rows) + 1024:
        return None, None  # sparse rowids: a byte per rowid would not be small
    codes, values, index = bytearray([ABSENT]) * (top + 1), [], {}
    for rowid, value in rows:
        if value is None:
            codes[rowid] = NULL
            continue
        if not isinstance(value, str):
            return None, None  # SQLite orders numbers before text: not counted here
        code = index.get(value)
        if code is None:
            if len(values) >= MAX_VALUES:
                return None, None
            code = index[value] = len(values)
            values.append(value)
        codes[rowid] = code
    return codes, values


def _found(kept: dict, lock: threading.Lock, conn, fts: str, search: str) -> array:
    """The rowids `search` finds in `fts` (each once: they are the index's document ids)."""
    key = ("found", fts, search)
    found = kept.get(key)
    if found is None:
        found = array("q", (row[0] for row in conn.execute(
            f"select rowid from {escape_sqlite(fts)} where {escape_sqlite(fts)} match :search",
            {"search": search})))
        with lock:
            recent = kept.setdefault("recent", [])
            recent.append(key)
            kept[key] = found
            while len(recent) > FOUND_KEPT:
                kept.pop(recent.pop(0), None)
    return found
