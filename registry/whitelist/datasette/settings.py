"""Settings that keep 100,000 tools fast: the mount passes them to Datasette, and a plain
`datasette witte-lijst.db` gets them at startup wherever its operator left the default."""

from __future__ import annotations

from datasette import hookimpl

from registry.whitelist.datasette.internals import apply_default_settings

SETTINGS = {
    "suggest_facets": False,  # suggestions cost more than everything else on a table page
    "facet_time_limit_ms": 500,
    "sql_time_limit_ms": 1000,
    "max_returned_rows": 500,
    "default_page_size": 25,
    "default_allow_sql": False,
    "default_cache_ttl": 60,
}


@hookimpl
def startup(datasette):
    apply_default_settings(datasette, SETTINGS)
