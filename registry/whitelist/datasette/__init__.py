"""The Datasette plugin of the published whitelist: settings, Dutch pages, search, no third parties.

A plain `datasette witte-lijst.db -m datasette-metadata.json` loads it through the
`datasette` entry point (pyproject.toml); do not also pass --plugins-dir, pluggy refuses a
plugin registered twice. A package, so Datasette finds its `templates/` (a Dutch footer with
the disclaimer and the publication on every page, `lang="nl"`, hidden technical columns) below
the operator's --template-dir, and its `static/`. `metadata.json` is the metadata the mount
serves it with (the same file as the repository's `datasette-metadata.json`).

Its hooks, a noun a module:

- `settings`: settings that keep 100,000 tools fast, where the operator left the default, and
  a small SQLite page cache per connection to the published file;
- `pages`: the footer's publication and disclaimer, hidden columns, lists shown as lists, and
  no page that sets a cookie;
- `search`: `_search` folded the way the index was built (`name_key`), every word a prefix, so
  "Reken" finds "Rekenhulp" and "Ëxamen" finds "examen";
- `facets`: `unique_array` for the levels, whole-table counts remembered, a searched page's
  counted from `matches`;
- `matches`: a page searched with `_search` alone (its count, first page and facets) from one
  full-text lookup and what is kept of the immutable file in memory (sort order, facet columns);
- `queries`: an asker's mistake (two sort orders, a row key of the wrong length, a list filter
  on a column without lists, a bad `_through`) refused with 400 or 404 in Dutch before
  Datasette runs a query;
- `responses`: the security headers, no cookie, no Transfer-Encoding, CSV cells that are no
  formulas, reading methods only;
- `errors`: Datasette's error pages, in Dutch and without its log of the asker's request;
- `feed`: the change feed, every publication's changes as Atom, per school type too;
- `downloads`: the whole list as CSV for Dutch Excel, JSON and SQLite, with their sha256;
- `internals`: the one place it relies on more of Datasette than its public API (settings,
  error pages, the table permissions remembered, the searched page's queries answered).
"""

from __future__ import annotations

from pathlib import Path

from registry.whitelist.datasette.errors import handle_exception
from registry.whitelist.datasette.facets import register_facet_classes
from registry.whitelist.datasette.pages import (
    extra_template_vars,
    prepare_jinja2_environment,
    register_routes,
    render_cell,
)
from registry.whitelist.datasette.queries import check_query
from registry.whitelist.datasette.responses import asgi_wrapper
from registry.whitelist.datasette.search import fold_search
from registry.whitelist.datasette.settings import SETTINGS, prepare_connection, startup

METADATA = Path(__file__).parent / "metadata.json"

__all__ = [
    "METADATA",
    "SETTINGS",
    "asgi_wrapper",
    "check_query",
    "extra_template_vars",
    "fold_search",
    "handle_exception",
    "prepare_connection",
    "prepare_jinja2_environment",
    "register_facet_classes",
    "register_routes",
    "render_cell",
    "startup",
]
