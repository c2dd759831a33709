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
  Datasette runs on its own.
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
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import asgi_static
from markupsafe import Markup, escape

from registry import headers
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


@hookimpl
def register_routes():
    return [(rf"^/-/static-plugins/{NAME}/(?P<path>.*)$", asgi_static(HERE / "static"))]


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
`_timelimit=x` or a `_through` that is not a JSON object (ValueError, TypeError),
`id__gt=99999999999999999999` (OverflowError), a NUL character in a facet (ProgrammingError)."""


@hookimpl
def handle_exception(datasette, request, exception):
    """A malformed query string is the asker's mistake: 400 on Datasette's own error page."""
    from datasette.handle_exception import handle_exception as error_page
    from datasette.views.base import DatasetteError

    if isinstance(exception, DatasetteError):
        if exception.status != 500 or not exception.message.startswith(
                ("Cannot sort table by", "Invalid _through")):
            return None
        message = exception.message
    elif isinstance(exception, QueryInterrupted):  # the CSV view lets these through as 500
        message = "De vraag duurde te lang en is afgebroken; stel een kleinere vraag."
    elif isinstance(exception, ASKER_MISTAKES) and any(
            key.startswith("_") or "__" in key for key in request.args.keys()):
        message = ("Het adres bevat een parameter die deze lijst niet begrijpt: controleer "
                   "_sort, _facet, _through, _timelimit en de filters.")
    else:
        return None
    return error_page(datasette, request, DatasetteError(message, status=400))


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def wrapped(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            scope = dict(scope, query_string=fold_search(scope.get("query_string", b"")))

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                    message = dict(message, headers=[*message.get("headers", []), *extra])
                await send(message)

            await app(scope, receive, send_with_headers)

        return wrapped

    return wrap


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
