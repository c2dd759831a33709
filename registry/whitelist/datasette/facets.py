"""Facets of the whitelist: `unique_array` for the levels, and whole-table counts remembered.

Registered through `register_facet_classes`; the facet classes are Datasette's own, with the
attributes its facet API gives them (`ds`, `sql`, `params`, `table`, `database`, `request`).
"""

from __future__ import annotations

import json
from collections import Counter

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from registry.whitelist.datasette.memo import memo as remembered


class _Remembering:
    """Datasette as a facet sees it, remembering what the facet's queries returned."""

    def __init__(self, datasette):
        self._datasette = datasette

    def __getattr__(self, name):
        return getattr(self._datasette, name)

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


class _WholeTableMemo:
    """Facets over a whole table of an immutable file are counted once per Datasette instance.

    An immutable file cannot change while it is served (a new publication gets a new
    instance), and at 100,000 tools each facet of the table page took 10-40 ms per request.
    Filtered and searched pages are counted as before.
    """

    def __init__(self, ds, *args, **kwargs):
        super().__init__(ds, *args, **kwargs)
        whole = not self.params and self.sql.rstrip().endswith(f" from {escape_sqlite(self.table)}")
        if whole and not ds.databases[self.database].is_mutable:
            self.ds = _Remembering(ds)


class RememberingColumnFacet(_WholeTableMemo, ColumnFacet):
    """Datasette's column facet (`_facet=`), remembering whole-table counts."""


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
