"""Facets of the whitelist: `unique_array` for the levels, whole-table counts remembered, and
the counts of a searched page from the facet columns kept in memory (`matches.py`).

Registered through `register_facet_classes`; the facet classes are Datasette's own, with the
attributes its facet API gives them (`ds`, `sql`, `params`, `table`, `database`, `request`).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter

from datasette import hookimpl
from datasette.database import QueryInterrupted, Results
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from registry.whitelist.datasette import matches
from registry.whitelist.datasette.memo import memo as remembered


class _Proxy:
    """Datasette as a facet sees it."""

    def __init__(self, datasette):
        self._datasette = datasette

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    def absolute_url(self, request, path):
        """Datasette's, given a plain string: its `urls` give a `PrefixedUrlString`, which
        looks up `dir(str)` on every method call, and `urljoin` makes dozens (a third of the
        time of a page's facets went there)."""
        return self._datasette.absolute_url(request, str.__str__(path))


class _Remembering(_Proxy):
    """Datasette as a facet sees it, remembering what the facet's queries returned."""

    async def execute(self, database, sql, params=None, **kwargs):
        memo = remembered(self._datasette, "facets")
        if (database, sql) not in memo:
            results = await self._datasette.execute(database, sql, params, **kwargs)
            if len(memo) >= MEMO_LIMIT:
                return results
            memo[database, sql] = results
        return memo[database, sql]


MEMO_LIMIT = 256
"""Whole-table facet queries remembered per Datasette instance (table, column and size)."""


COLUMN_FACET = re.compile(
    r"\s*select (?P<column>\S+) as value, count\(\*\) as count from \(\s*(?P<sql>.*?)\s*\)\s*"
    r"where (?P=column) is not null\s*group by (?P=column) order by count desc, value "
    r"limit (?P<limit>\d+)\s*", re.S)
"""Datasette's query of a column facet (`ColumnFacet.facet_results`)."""
ARRAY_FACET = re.compile(
    r"select (?P<column>\S+) as items, count\(\*\) as n from \((?P<sql>.*)\) group by items",
    re.S)
"""The query of `UniqueArrayFacet` below."""


class _Searching(_Proxy):
    """Datasette as the facets of a searched page see it: their queries answered from the
    facet columns kept in memory (`matches.py`), other queries and columns by SQLite."""

    def __init__(self, datasette, facet, fts: str):
        super().__init__(datasette)
        self._facet, self._fts = facet, fts

    async def execute(self, database, sql, params=None, **kwargs):
        facet = self._facet
        for shape, columns in ((COLUMN_FACET, ("value", "count")), (ARRAY_FACET, ("items", "n"))):
            found = shape.fullmatch(sql)
            if (found is None or found["sql"].strip() != facet.sql.strip()
                    or not re.fullmatch(matches.NAME, found["column"])):
                continue
            counts = await matches.counts(self._datasette, database, facet.table, self._fts,
                                          facet.params["search"], found["column"])
            if counts is None:
                break
            if shape is ARRAY_FACET:
                rows = list(counts.items())
            else:
                rows = sorted(((v, n) for v, n in counts.items() if v is not None),
                              key=lambda row: (-row[1], row[0]))[:int(found["limit"])]
            return Results([dict(zip(columns, row)) for row in rows], False,
                           [(name,) for name in columns])
        return await self._datasette.execute(database, sql, params, **kwargs)


class _WholeTableMemo:
    """Facets over a whole table of an immutable file are counted once per Datasette instance,
    and those of a page searched with `_search` alone from the facet columns kept in memory.

    An immutable file cannot change while it is served (a new publication gets a new
    instance), and at 100,000 tools each facet of the table page took 10-40 ms per request.
    Other filtered pages are counted as before.
    """

    def __init__(self, ds, *args, **kwargs):
        super().__init__(ds, *args, **kwargs)
        if ds.databases[self.database].is_mutable:
            return
        whole = not self.params and self.sql.rstrip().endswith(f" from {escape_sqlite(self.table)}")
        if whole:
            self.ds = _Remembering(ds)
        elif fts := matches.searched_fts(self.sql, self.params, self.table):
            self.ds = _Searching(ds, self, fts)


class RememberingColumnFacet(_WholeTableMemo, ColumnFacet):
    """Datasette's column facet (`_facet=`), remembering whole-table counts."""

    async def facet_results(self):
        """Datasette 0.65's `ColumnFacet.facet_results` where the counts are kept (a whole
        table, a search): the same answer, with each value's link built from the query string
        read once (`_Links`), where Datasette read and wrote it again for every value, with
        `dir(str)` on each method call of its URLs: most of a searched JSON page's facet time.
        """
        if not isinstance(self.ds, _Proxy):
            return await super().facet_results()
        results, timed_out = [], []
        pairs, size, links = self.get_querystring_pairs(), self.get_facet_size(), _Links(self)
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (f"select {col} as value, count(*) as count from ({self.sql}) where {col} "
                   f"is not null group by {col} order by count desc, value limit {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting(
                                                 "facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = [row["value"] for row in rows.rows[:size]]
            expanded = await self.ds.expand_foreign_keys(self.database, self.table, column,
                                                         values)
            column_qs = f"{column}__exact" if column.startswith("_") else column
            results.append({
                "name": column, "type": self.type, "hideable": source != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {"_facet": column})),
                "results": [{
                    "value": row["value"],
                    "label": expanded.get((column, row["value"]), row["value"]),
                    "count": row["count"],
                    "toggle_url": links.toggle(column_qs, row["value"], pairs),
                    "selected": (column_qs, str(row["value"])) in pairs,
                } for row in rows.rows[:size]],
                "truncated": len(rows) > size,
            })
        return results, timed_out


class _Links:
    """The links of a page's facet values, as Datasette's `path_with_added_args` and
    `path_with_removed_args` write them, the query string read once."""

    def __init__(self, facet):
        self.ds, self.request = facet.ds, facet.request
        query = urllib.parse.urlencode(urllib.parse.parse_qsl(self.request.query_string))
        # Joined to the page's URL once: a query string added to an absolute path is the same
        # after `urljoin` as before.
        page = self.ds.absolute_url(self.request, self.ds.urls.path(self.request.path))
        self.start = f"{page}?{query}&" if query else f"{page}?"

    def toggle(self, key: str, value, pairs) -> str:
        if (key, str(value)) not in pairs:
            return self.start + urllib.parse.urlencode([(key, value)])
        path = path_with_removed_args(self.request, {key: str(value)})
        return self.ds.absolute_url(self.request, self.ds.urls.path(path))


class UniqueArrayFacet(_WholeTableMemo, ArrayFacet):
    """`_facet_array` for arrays without repeated items and few distinct arrays (levels).

    Datasette's array facet runs `json_each` on every row and removes repeats with a
    DISTINCT over every column: 400 ms on 10,000 tools. Grouping by the array text instead
    reads only the column's index (unfiltered) and splits the few distinct arrays here.
    Configure as `{"unique_array": "level_codes"}`; filter with `__arraycontains` as before.
    """

    type = "unique_array"

    async def suggest(self):
        return []  # ArrayFacet suggests these columns already

    async def facet_results(self):
        results, timed_out = [], []
        size, pairs = self.get_facet_size(), self.get_querystring_pairs()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            sql = (f"select {escape_sqlite(column)} as items, count(*) as n from ({self.sql}) "
                   f"group by items")
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            counts = Counter()
            for row in rows.rows:
                for item in _json_list(row["items"]):
                    counts[str(item)] += row["n"]
            values = []
            for value, count in sorted(counts.items(), key=lambda c: (-c[1], c[0]))[:size]:
                key = f"{column}__arraycontains"
                selected = (key, value) in pairs
                path = (path_with_removed_args if selected else path_with_added_args)(
                    self.request, {key: value})
                values.append({"value": value, "label": value, "count": count,
                               "selected": selected,
                               "toggle_url": self.ds.absolute_url(
                                   self.request, self.ds.urls.path(path))})
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": config["source"] != "metadata", "truncated": len(counts) > size,
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {f"_facet_{self.type}": column})),
            })
        return results, timed_out


def _json_list(value) -> list:
    try:
        items = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return []
    return items if isinstance(items, list) else []


@hookimpl(wrapper=True)
def register_facet_classes():
    """The unique_array facet, and Datasette's column facet remembering whole-table counts."""
    groups = yield
    return [[RememberingColumnFacet if c is ColumnFacet else c for c in group]
            for group in groups] + [[UniqueArrayFacet]]
