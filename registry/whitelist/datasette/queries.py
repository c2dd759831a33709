"""The asker's mistakes in a query string, refused with a Dutch 400 or 404 before Datasette
runs a query: its own answer would be a 500, and it writes the failed query with the asker's
values to the server log."""

from __future__ import annotations

import json
import re

from datasette import hookimpl
from datasette.utils import escape_sqlite, tilde_decode, urlsafe_components
from datasette.utils.asgi import BadRequest

from registry.whitelist.datasette.memo import memo as remembered

SORT_BOTH = "Sorteer met _sort of met _sort_desc, niet met allebei."
SORT_WHAT = "Op die kolom kan deze tabel niet sorteren."
NO_LISTS = ("Die kolom bevat geen lijsten: __arraycontains en __arraynotcontains werken alleen "
            "op een kolom met JSON-lijsten, zoals level_codes.")
BAD_THROUGH = ("Ongeldige _through: geef een JSON-object met table, column en value, voor een "
               "tabel die naar deze verwijst.")
NO_FACET = "Op die kolom kan deze tabel geen facet tonen."
NO_ROW = "Deze rij bestaat niet."
FACET_PARAMS = ("_facet", "_facet_array", "_facet_date", "_facet_unique_array")
"""The query parameters of the facet types (Datasette's three and `UniqueArrayFacet`)."""


@hookimpl(tryfirst=True, specname="filters_from_request")
def check_query(request, database, table, datasette):
    """Refuse what Datasette would answer with a 500, or with a failed query in the log.

    Called by Datasette's table view before it builds its query, with the table resolved; the
    first of the filter hooks, so Datasette's own (`_through`) never sees a bad value.
    """

    async def inner():
        db = datasette.get_database(database)
        sort, sort_desc = request.args.get("_sort"), request.args.get("_sort_desc")
        if sort and sort_desc:
            raise BadRequest(SORT_BOTH)
        if (sort or sort_desc) and (sort or sort_desc) not in await sortable(datasette, db, table):
            raise BadRequest(SORT_WHAT)
        for key in request.args:
            column, _, lookup = key.rpartition("__")  # as Datasette's Filters split it
            if lookup in ("arraycontains", "arraynotcontains") and not await _holds_lists(
                    datasette, db, table, column):
                raise BadRequest(NO_LISTS)
        for through in request.args.getlist("_through"):
            if not await _through_is_valid(db, table, through):
                raise BadRequest(BAD_THROUGH)
        columns = None
        for key in FACET_PARAMS:
            for facet in request.args.getlist(key):
                columns = columns or await db.table_columns(table)
                if _facet_column(facet) not in columns:
                    raise BadRequest(NO_FACET)

    return inner


def _facet_column(facet: str) -> str | None:
    """The column a facet parameter names: `name`, or `{"column": "name"}` (`{"simple": ...}`)
    as Datasette's facets read a JSON config."""
    if not facet.startswith("{"):
        return facet
    try:
        config = json.loads(facet)
    except ValueError:
        return None
    column = (config.get("column") or config.get("simple")) if isinstance(config, dict) else None
    return column if isinstance(column, str) else None


async def sortable(datasette, db, table) -> set[str]:
    """The columns Datasette's table view sorts on: the metadata's `sortable_columns`, else
    every column, and rowid for a table without a primary key. Its own method for this is on
    its table view, not public: the rule is read here, and a test holds it to Datasette's."""
    chosen = datasette.metadata("sortable_columns", database=db.name, table=table,
                                fallback=False)
    columns = set(chosen) if chosen is not None else set(await db.table_columns(table))
    if not await db.primary_keys(table) and not await db.get_view_definition(table):
        columns.add("rowid")
    return columns


async def _holds_lists(datasette, db, table: str, column: str) -> bool:
    """Whether every value of `column` is a JSON list (or null): otherwise Datasette's list
    filters fail in SQLite ("malformed JSON"). Remembered per Datasette instance and column; a
    published file is never changed in place, a new publication is a new file."""
    memo = remembered(datasette, "lists")
    key = (db.name, table, column)
    if key not in memo:
        if column not in await db.table_columns(table):
            return False  # not remembered: the asker picks the name
        name = escape_sqlite(column)
        other = await db.execute(
            f"SELECT 1 FROM {escape_sqlite(table)} WHERE {name} IS NOT NULL AND CASE WHEN "
            f"json_valid({name}) THEN json_type({name}) END IS NOT 'array' LIMIT 1")
        memo[key] = not other.rows
    return memo[key]


async def _through_is_valid(db, table: str, through: str) -> bool:
    """`_through={"table": ..., "column": ..., "value": ...}` as Datasette's filter needs it:
    a table with a foreign key to this one, one of its columns, a plain value."""
    try:
        spec = json.loads(through)
    except ValueError:
        return False
    if not isinstance(spec, dict) or not isinstance(spec.get("value"), (str, int, float)):
        return False
    other, column = spec.get("table"), spec.get("column")
    if not (isinstance(other, str) and isinstance(column, str)
            and await db.table_exists(other)):
        return False
    return column in await db.table_columns(other) and any(
        fk["other_table"] == table for fk in await db.foreign_keys_for_table(other))


ROW_ROUTE = re.compile(
    r"^/(?P<database>[^/.]+)/(?P<table>[^/]+?)/(?P<pks>[^/]+?)(\.(?P<format>\w+))?$")
"""Datasette's route of a row page (`datasette/app.py`), the last of its routes."""


async def no_such_row(datasette, path: str) -> bool:
    """Whether `path` is a row page of a table that is not there, or names a row by more or
    fewer values than the table's key has: `domains/anything` for the key (host, tool_id)
    gave a 500, and Datasette writes the failed query with the asker's values to the log."""
    route = ROW_ROUTE.match(path)
    if route is None:
        return False
    try:
        db = datasette.get_database(route=tilde_decode(route["database"]))
    except KeyError:
        return False  # `/-/static/app.css` and the like: routes of their own
    table = tilde_decode(route["table"])
    if not await db.table_exists(table):
        return True
    return len(urlsafe_components(route["pks"])) != max(len(await db.primary_keys(table)), 1)
