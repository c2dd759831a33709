"""What the whitelist's pages show beyond Datasette's: the Dutch footer with the disclaimer and
the publication, technical columns hidden, lists as lists; and no page that sets a cookie."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from datasette import Response, hookimpl
from datasette.utils import to_css_class
from datasette.utils.asgi import NotFound, asgi_static
from markupsafe import Markup, escape

from registry.labels import DISCLAIMER, dutch_date
from registry.whitelist.datasette.downloads import PAGE, download_file, downloads_page
from registry.whitelist.datasette.feed import FEED_PATH, feed

STATIC = Path(__file__).parent / "static"
NAME = "school_whitelist"
"""The entry-point name: the key of this plugin's config in the metadata and its static URLs."""
HIDDEN_COLUMNS = {"tools": ["name_key", "search"]}
"""Technical columns left out of HTML tables (they stay in JSON and CSV); the metadata's
plugin config `hidden_columns` replaces this."""
LIST_COLUMNS = {"conditions", "reasons", "alternatives", "school_types", "schools"}
LOOKUPS = {
    "exact": "is gelijk aan", "not": "is niet gelijk aan", "contains": "bevat",
    "endswith": "eindigt op", "startswith": "begint met", "gt": "groter dan",
    "gte": "groter dan of gelijk aan", "lt": "kleiner dan", "lte": "kleiner dan of gelijk aan",
    "like": "lijkt op (like)", "notlike": "lijkt niet op (not like)", "glob": "patroon (glob)",
    "in": "is een van", "notin": "is geen van", "arraycontains": "lijst bevat",
    "arraynotcontains": "lijst bevat niet", "date": "op datum", "isnull": "is leeg (null)",
    "notnull": "is niet leeg (not null)", "isblank": "is leeg", "notblank": "is niet leeg",
}
"""Datasette's filter comparisons (its `Filters` keys) in Dutch, for the filter form and the
sentence above a filtered table."""
COOKIE_PAGES = ("messages", "logout", "auth-token")
"""Datasette pages that exist only to set a cookie (messages, signing in and out): the
whitelist is read anonymously and promises no cookies, so they are not there."""


async def _not_here():
    raise NotFound("Deze pagina bestaat hier niet.")


@hookimpl
def register_routes():
    # A plugin's routes come before Datasette's own, so these replace them. (Datasette serves
    # the static folder under the distribution's name too; this name holds however it runs.)
    return [(rf"^/-/static-plugins/{NAME}/(?P<path>.*)$", asgi_static(STATIC)),
            *((rf"^/-/{page}$", _not_here) for page in COOKIE_PAGES),
            (rf"^{FEED_PATH.replace('.', '[.]')}$", feed),
            # The feed was a canned query with datasette-atom; its address keeps working.
            (r"^/(?P<database>[^/]+)/wijzigingen_feed[.]atom$", _to_feed),
            (rf"^{PAGE}$", downloads_page),
            (rf"^{PAGE}/(?P<name>[^/]+)$", download_file)]


async def _to_feed(datasette):
    return Response.redirect(datasette.urls.path(FEED_PATH), status=301)


@hookimpl
def prepare_jinja2_environment(env):
    """`|dutch_date`: "28 november 2026", the one date style of the public pages;
    `|witte_lijst_rows(hidden_columns)`: the cells of a table page (`_table.html`)."""
    env.filters["dutch_date"] = lambda value: dutch_date(value) if value else ""
    env.filters["witte_lijst_rows"] = table_rows


def table_rows(rows, hidden_columns) -> Markup:
    """The `<tr>`s of a table page's rows without the hidden columns: what `_table.html`'s
    loop over every cell wrote, written here in one go. A searched page of tools has about a
    thousand cells, and Jinja's async rendering spent a third of the page's time on them."""
    css: dict[str, str] = {}
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            column = cell["column"]
            if column in hidden_columns:
                continue
            if column not in css:
                css[column] = escape(to_css_class(column))
            cells.append(f'<td class="col-{css[column]} type-{escape(cell["value_type"])}">'
                         f'{escape(cell["value"])}</td>')
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(lines))


@hookimpl
def extra_template_vars(datasette, table, database):
    async def inner():
        config = datasette.plugin_config(NAME) or {}
        return {
            "witte_lijst": await _publication(datasette),
            "witte_lijst_disclaimer": config.get("disclaimer", DISCLAIMER),
            "hidden_columns": set(config.get("hidden_columns", HIDDEN_COLUMNS).get(table) or ()),
            "witte_lijst_site": config.get("site") or {},
            "witte_lijst_feed": datasette.urls.path(FEED_PATH),
            "witte_lijst_downloads": datasette.urls.path(PAGE),
            "witte_lijst_lookups": LOOKUPS,
            "witte_lijst_titles": _titles(datasette, database),
        }

    return inner


def _titles(datasette, database) -> dict[str, str]:
    """The metadata's title of each table (its name where it has none), and of the database."""
    name = database or next((n for n in datasette.databases if n != "_internal"), None)
    meta = (datasette.metadata(database=name) or {}) if name else {}
    titles = {table: info.get("title") for table, info in (meta.get("tables") or {}).items()}
    titles[name] = meta.get("title")
    return {key: title for key, title in titles.items() if title}


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


@hookimpl
def render_cell(value, column, table, database, datasette):
    """Conditions, reasons, alternatives and a board's school types and schools as lists a
    teacher can read, not JSON."""
    if column not in LIST_COLUMNS or not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not items:
        return Markup("<em>geen</em>")
    lines, tools = [], None
    for item in items:
        if column == "reasons" and isinstance(item, dict):
            mark = "✔" if item.get("passed") else "✘"
            lines.append(f"{mark} {escape(item.get('text', ''))}")
        elif column == "alternatives" and isinstance(item, dict):
            # `datasette.urls.row(database, "tools", id)`, with the table's path worked out once
            tools = tools or str.__str__(datasette.urls.table(database, "tools"))
            href = f"{tools}/{urllib.parse.quote(item.get('id', ''))}"
            lines.append(f'<a href="{escape(href)}">{escape(item.get("name", ""))}</a>')
        else:
            lines.append(str(escape(item)))
    return Markup("<ul class=\"witte-lijst-list\">" + "".join(f"<li>{x}</li>" for x in lines)
                  + "</ul>")
