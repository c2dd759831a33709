"""The Datasette plugin of the published whitelist: settings, Dutch pages, search, no third parties.

A plain `datasette witte-lijst.db -m datasette-metadata.json` loads it through the
`datasette` entry point (pyproject.toml); do not also pass --plugins-dir, pluggy refuses a
plugin registered twice. It:

- applies settings that keep 100,000 tools fast (`SETTINGS`) at startup, but only where the
  operator left Datasette's own default: 0.65 reads settings from the command line only, and
  cannot tell "not set" from "set to the default value";
- adds its templates (Dutch footer with the disclaimer and the publication on every page,
  `lang="nl"`, hidden technical columns) below the operator's --template-dir: this is a
  module, not a package, and Datasette only finds a package's own templates/ folder;
- folds `_search` the way the index was built (`name_key`) and makes every word a prefix, so
  "Reken" finds "Rekenhulp" and "Ëxamen" finds "examen";
- sends a Content-Security-Policy that allows nothing from another origin (inline scripts
  only by hash) and the other security headers of `registry/headers.py`, also when
  Datasette runs on its own;
- keeps every CSV cell from being a spreadsheet formula (`registry/csvsafe.py`), sets no
  cookie (and answers 404 on the pages that exist only to set one), and sends no
  Transfer-Encoding (an ASGI app must not: granian dropped the database download);
- answers an asker's mistake (two sort orders, a row key of the wrong length, a list filter
  on a column without lists, a bad `_through`) with 400 or 404 in Dutch, checked before
  Datasette runs a query: its own errors would be 500s, and it writes a failed query with the
  asker's values to the server log.
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.parse
from collections import Counter
from pathlib import Path

from datasette import hookimpl
from datasette.facets import ArrayFacet, ColumnFacet
from datasette.database import QueryInterrupted
from datasette.utils import (
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
    tilde_decode,
    urlsafe_components,
)
from datasette.utils.asgi import BadRequest, NotFound, Request, asgi_static
from markupsafe import Markup, escape

from registry import headers
from registry.csvsafe import CsvGuard
from registry.domains import name_key

NAME = "school_whitelist"
"""The entry-point name: the key of this plugin's config in the metadata and its static URLs."""
HERE = Path(__file__).parent

SETTINGS = {
    "suggest_facets": False,  # suggestions cost more than everything else on a table page
    "facet_time_limit_ms": 500,
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 500,
    "default_page_size": 25,
    "default_allow_sql": False,
    "default_cache_ttl": 60,
}
DISCLAIMER = (
    "Deze lijst is een advies aan schoolbesturen, geen juridisch advies. Elk bestuur beslist "
    "zelf en kan eigen voorwaarden stellen. Elk oordeel zegt op welke beoordeling het "
    "rust, wie die deed en wanneer."
)
HIDDEN_COLUMNS = {"tools": ["name_key", "search"]}
"""Technical columns left out of HTML tables (they stay in JSON and CSV); the metadata's
plugin config `hidden_columns` replaces this."""

SEARCH_PARAMS_DROPPED = ("_searchmode", "_fts_table", "_fts_pk")


def _inline_scripts() -> str:
    """CSP sources for Datasette's fixed inline scripts (closing menus, the SQL editor, the
    facet switch), by hash: read from its installed templates, so an upgrade stays right."""
    import datasette

    sources = [f"DATASETTE_ALLOW_FACET = {value};" for value in ("true", "false")]
    for folder in (Path(datasette.__file__).parent / "templates", HERE / "templates"):
        for template in sorted(folder.glob("*.html")):
            for body in re.findall(r"<script>(.*?)</script>", template.read_text(), re.S):
                if "{{" not in body and "{%" not in body:
                    sources.append(body)
    return " ".join(sorted({headers.script_hash(source) for source in sources}))


CSP = headers.csp(
    # default-src stays 'self' for what Datasette fetches (its JSON, its own scripts).
    default_src="'self'",
    script_src=f"'self' {_inline_scripts()}",
    # Datasette writes <style> blocks per table (column labels on phones) and style
    # attributes; they cannot run script, and img-src/default-src keep them at home.
    style_src="'self' 'unsafe-inline'",
    img_src="'self' data:",
    object_src="'none'",
    base_uri="'none'",
    form_action="'self'",
    frame_ancestors="'none'",
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    *headers.COMMON,
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
LIST_COLUMNS = {"conditions", "reasons", "alternatives"}


@hookimpl
def startup(datasette):
    from datasette.app import DEFAULT_SETTINGS  # datasette.app loads the plugins: import late

    for name, value in SETTINGS.items():
        if datasette.setting(name) == DEFAULT_SETTINGS[name]:
            datasette._settings[name] = value  # 0.65 has no public setter
    # Datasette copies these three at construction; keep the copies in step.
    datasette.page_size = datasette.setting("default_page_size")
    datasette.max_returned_rows = datasette.setting("max_returned_rows")
    datasette.sql_time_limit_ms = datasette.setting("sql_time_limit_ms")
    # With rich installed, Datasette prints every 403 and 404 with its local variables, the
    # teacher's request among them, to the server log. Real errors keep a plain traceback.
    from datasette import handle_exception as default_errors

    default_errors.rich = None


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # Datasette's first loader searches [--template-dir, plugin templates..., defaults].
    search_path = env.loader.loaders[0].searchpath
    if str(HERE / "templates") not in search_path:
        search_path.insert(len(search_path) - 1, str(HERE / "templates"))


COOKIE_PAGES = ("messages", "logout", "auth-token")
"""Datasette pages that exist only to set a cookie (messages, signing in and out): the
whitelist is read anonymously and promises no cookies, so they are not there."""


async def _not_here():
    raise NotFound("Deze pagina bestaat hier niet.")


@hookimpl
def register_routes():
    # A plugin's routes come before Datasette's own, so these replace them.
    return [(rf"^/-/static-plugins/{NAME}/(?P<path>.*)$", asgi_static(HERE / "static")),
            *((rf"^/-/{page}$", _not_here) for page in COOKIE_PAGES)]


@hookimpl
def extra_template_vars(datasette, table):
    async def inner():
        config = datasette.plugin_config(NAME) or {}
        return {
            "witte_lijst": await _publication(datasette),
            "witte_lijst_disclaimer": config.get("disclaimer", DISCLAIMER),
            "hidden_columns": set(config.get("hidden_columns", HIDDEN_COLUMNS).get(table) or ()),
        }

    return inner


async def _publication(datasette) -> dict | None:
    """The publication row of the first attached database that has one."""
    for name, db in datasette.databases.items():
        if name != "_internal" and await db.table_exists("publication"):
            rows = await db.execute(
                "SELECT version, published_at, evaluated_on, policy_version FROM publication "
                "ORDER BY version DESC LIMIT 1"
            )
            return dict(rows.first()) if rows.first() else None
    return None


class _Remembering:
    """Datasette as a facet sees it, remembering what the facet's queries returned."""

    def __init__(self, datasette):
        self._datasette = datasette

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, database, sql, params=None, **kwargs):
        memo = self._datasette.__dict__.setdefault(f"_{NAME}_facets", {})
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


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Conditions, reasons and alternatives as lists a teacher can read, not JSON."""
    if column not in LIST_COLUMNS or not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not items:
        return Markup("<em>geen</em>")
    lines = []
    for item in items:
        if column == "reasons" and isinstance(item, dict):
            mark = "✔" if item.get("passed") else "✘"
            lines.append(f"{mark} {escape(item.get('text', ''))}")
        elif column == "alternatives" and isinstance(item, dict):
            href = datasette.urls.row(database, "tools", urllib.parse.quote(item.get("id", "")))
            lines.append(f'<a href="{escape(href)}">{escape(item.get("name", ""))}</a>')
        else:
            lines.append(str(escape(item)))
    return Markup("<ul class=\"witte-lijst-list\">" + "".join(f"<li>{x}</li>" for x in lines)
                  + "</ul>")


ASKER_MISTAKES = (KeyError, TypeError, ValueError, OverflowError, sqlite3.ProgrammingError)
"""What Datasette 0.65 raises on a malformed query string, as a 500: `_facet={}` (KeyError),
`_timelimit=x` or an `id__in=[` that is not JSON (ValueError, TypeError),
`id__gt=99999999999999999999` (OverflowError), a NUL character in a facet (ProgrammingError).
Mistakes a check can see before Datasette runs a query are refused in `check_query`."""
TOO_LONG = "De vraag duurde te lang en is afgebroken; stel een kleinere vraag."
NOT_UNDERSTOOD = ("Het adres bevat een parameter die deze lijst niet begrijpt: controleer _sort, "
                  "_facet, _through, _timelimit en de filters.")


@hookimpl(wrapper=True)
def handle_exception(datasette, request, exception):
    """A malformed query string is the asker's mistake: 400 on Datasette's own error page.

    A wrapper, so it can also leave out Datasette's own handler: that one prints the
    traceback, and with it the asker's input (`invalid literal for int(): '...'`), to the log.
    """
    responses = yield
    if isinstance(exception, QueryInterrupted):  # the CSV view lets these through as 500
        message = TOO_LONG
    elif isinstance(exception, ASKER_MISTAKES) and any(
            key.startswith("_") or "__" in key for key in request.args.keys()):
        message = NOT_UNDERSTOOD
    else:
        return responses
    return [_error_page(datasette, request, BadRequest(message))]


def _error_page(datasette, request, error):
    """Datasette's own error page (`404.html`, `error.html`; JSON for a .json address)."""
    from datasette.handle_exception import handle_exception as error_page

    return error_page(datasette, request, error)


SORT_BOTH = "Sorteer met _sort of met _sort_desc, niet met allebei."
SORT_WHAT = "Op die kolom kan deze tabel niet sorteren."
NO_LISTS = ("Die kolom bevat geen lijsten: __arraycontains en __arraynotcontains werken alleen "
            "op een kolom met JSON-lijsten, zoals level_codes.")
BAD_THROUGH = ("Ongeldige _through: geef een JSON-object met table, column en value, voor een "
               "tabel die naar deze verwijst.")
NO_FACET = "Op die kolom kan deze tabel geen facet tonen."
NO_ROW = "Deze rij bestaat niet."
NOT_WRITABLE = "Deze lijst kan alleen gelezen worden."
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
        if (sort or sort_desc) and (sort or sort_desc) not in await _sortable(datasette, db, table):
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


async def _sortable(datasette, db, table) -> set[str]:
    # Datasette's own rule (the metadata's sortable_columns, else every column, and rowid
    # for a table without a primary key), from its table view: no public way to ask it.
    from datasette.views.table import TableView

    use_rowid = not await db.primary_keys(table) and not await db.get_view_definition(table)
    return await TableView(datasette).sortable_columns_for_table(db.name, table, use_rowid)


async def _holds_lists(datasette, db, table: str, column: str) -> bool:
    """Whether every value of `column` is a JSON list (or null): otherwise Datasette's list
    filters fail in SQLite ("malformed JSON"). Remembered per Datasette instance and column; a
    published file is never changed in place, a new publication is a new file."""
    memo = datasette.__dict__.setdefault(f"_{NAME}_lists", {})
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


async def _no_such_row(datasette, path: str) -> bool:
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


READ_METHODS = ("GET", "HEAD", "OPTIONS")
"""The whitelist is only read: Datasette's table view failed a POST with a 500, and canned
queries that write (the only use of a POST) have no place in a published file."""


class MethodNotAllowed(BadRequest):
    status = 405


DROPPED_HEADERS = {b"set-cookie", b"transfer-encoding"}
"""No cookies on the public side; and an ASGI app must not set Transfer-Encoding (the
database download sent it beside Content-Length, and granian dropped the connection)."""


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            path = _route_path(datasette, scope)
            is_csv = path.endswith(".csv")
            query = fold_search(scope.get("query_string", b""))
            if is_csv:
                # `_trace` turns a CSV into an HTML page with the cells in a text box, unguarded.
                query = _without(query, "_trace")
            scope = dict(scope, query_string=query)
            csv_guard: CsvGuard | None = None

            async def send_with_headers(message):
                nonlocal csv_guard
                if message["type"] == "http.response.start":
                    kept = [(name, value) for name, value in message.get("headers", [])
                            if name.lower() not in DROPPED_HEADERS]
                    if is_csv and _is_csv(kept):
                        csv_guard = CsvGuard()
                        kept = [(n, v) for n, v in kept if n.lower() != b"content-length"]
                    present = {name.lower() for name, _ in kept}
                    extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                    message = dict(message, headers=[*kept, *extra])
                elif message["type"] == "http.response.body" and csv_guard is not None:
                    last = not message.get("more_body", False)
                    message = dict(message, body=csv_guard.feed(message.get("body", b""), last))
                await send(message)

            if scope["method"] not in READ_METHODS:
                error = MethodNotAllowed(NOT_WRITABLE)
            elif await _no_such_row(datasette, path):
                error = NotFound(NO_ROW)
            else:
                await app(scope, receive, send_with_headers)
                return
            await datasette.invoke_startup()  # the error page needs its templates
            response = await _error_page(datasette, Request(scope, receive), error)()
            if isinstance(error, MethodNotAllowed):
                response.headers["Allow"] = ", ".join(READ_METHODS)
            await response.asgi_send(send_with_headers)

        return wrapped

    return wrap


def _route_path(datasette, scope) -> str:
    """The path Datasette routes on: the raw path, without its `base_url`."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    path = path.partition("?")[0]
    base_url = datasette.setting("base_url")
    if base_url != "/" and path.startswith(base_url):
        path = "/" + path[len(base_url):]
    return path


def _is_csv(response_headers) -> bool:
    """Datasette's CSV: `text/plain`, or `text/csv` with `_dl` (`DataView.as_csv`)."""
    content_type = next((value for name, value in response_headers
                         if name.lower() == b"content-type"), b"")
    return content_type.startswith((b"text/plain", b"text/csv"))


def _without(query_string: bytes, name: str) -> bytes:
    """The query string without parameter `name` (however it is encoded)."""
    if name.encode() not in query_string and b"%" not in query_string:
        return query_string
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    if all(key != name for key, _ in pairs):
        return query_string
    return urllib.parse.urlencode([(k, v) for k, v in pairs if k != name]).encode("ascii")


def fold_search(query_string: bytes) -> bytes:
    """`_search=Ëxamen Reken` → `_search=examen* reken*&_searchmode=raw`.

    The words are folded with `name_key`, as the `search` column was, so only letters and
    digits remain: FTS5 syntax cannot get in, and raw mode is safe. A search that folds to
    nothing is dropped. Callers cannot pick the search mode or the index themselves.
    """
    if b"_search" not in query_string and b"_fts" not in query_string:
        return query_string
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True,
                                   encoding="utf-8", errors="replace")
    out, searched = [], False
    for key, value in pairs:
        if key in SEARCH_PARAMS_DROPPED:
            continue
        if key.startswith("_search"):
            words = name_key(value).split()
            if not words:
                continue
            value, searched = " ".join(f"{word}*" for word in words), True
        out.append((key, value))
    if searched:
        out.append(("_searchmode", "raw"))
    return urllib.parse.urlencode(out).encode("ascii")
