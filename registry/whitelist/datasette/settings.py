"""Settings that keep 100,000 tools fast: the mount passes them to Datasette, and a plain
`datasette witte-lijst.db` gets them at startup wherever its operator left the default. At
startup too: the table permissions remembered, and a searched page of an immutable file
answered from what is kept of it (`matches.py`), both through `internals.py`."""

from __future__ import annotations

from datasette import hookimpl

from registry.whitelist.datasette import matches
from registry.whitelist.datasette.internals import (
    answer_searches,
    apply_default_settings,
    remember_table_permissions,
)

SETTINGS = {
    "suggest_facets": False,  # suggestions cost more than everything else on a table page
    "facet_time_limit_ms": 500,
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 500,
    "default_page_size": 25,
    "default_allow_sql": False,
    "default_cache_ttl": 60,
}


PAGE_CACHE_KIB = 256
"""SQLite's own page cache per connection to the published file (its default is 2 MB). The
file never changes and is read through the kernel's page cache, which every connection and
worker share; a private 2 MB per connection (one per query thread) kept the same pages
again (see benchmarks/: about 11 MB less per server under the whitelist's load)."""


@hookimpl
def prepare_connection(conn, database):
    if database != "_internal":  # Datasette's own catalog, in memory: its pages are its data
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")


@hookimpl
def startup(datasette):
    apply_default_settings(datasette, SETTINGS)
    remember_table_permissions(datasette)
    answer_searches(datasette, matches.answer)
