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


@hookimpl
def startup(datasette):
    apply_default_settings(datasette, SETTINGS)
    remember_table_permissions(datasette)
    answer_searches(datasette, matches.answer)
