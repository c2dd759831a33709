"""The one place the plugin uses Datasette 0.65 beyond its public API, each use with why.

`tests/test_whitelist_datasette.py::test_the_datasette_internals_we_rely_on_are_there` fails
on an upgrade that changes any of them: check them again then, and drop what a public API
has come to cover.
"""

from __future__ import annotations


def apply_default_settings(datasette, settings: dict) -> None:
    """`settings` wherever the operator left Datasette's default.

    0.65 has no public way for a plugin to set a setting: they come from the constructor or the
    command line (`datasette witte-lijst.db` gives none), and cannot tell "not set" from "set to
    the default value". So the dict behind `datasette.setting()` is written, and the three
    copies the constructor made of it are kept in step.
    """
    from datasette.app import DEFAULT_SETTINGS  # datasette.app loads the plugins: import late

    for name, value in settings.items():
        if datasette.setting(name) == DEFAULT_SETTINGS[name]:
            datasette._settings[name] = value
    datasette.page_size = datasette.setting("default_page_size")
    datasette.max_returned_rows = datasette.setting("max_returned_rows")
    datasette.sql_time_limit_ms = datasette.setting("sql_time_limit_ms")


def answer_searches(datasette, answer) -> None:
    """Every query of an immutable database passes through `answer(datasette, database,
    execute, sql, params, kwargs)` first (see `matches.py`).

    Datasette's table view asks `Database.execute` for its page and its count, and offers no
    hook between them: the method is replaced on each immutable database's instance, so the
    table view itself, its SQL and its output stay Datasette's.
    """
    for name, database in datasette.databases.items():
        if not database.is_mutable and "execute" not in vars(database):
            database.execute = _answering(datasette, name, database.execute, answer)


def _answering(datasette, name: str, execute, answer):
    names = ("truncate", "custom_time_limit", "page_size", "log_sql_errors")

    async def answering(sql, params=None, *args, **kwargs):
        kwargs.update(zip(names, args))  # `Database.execute`'s parameters after `params`
        return await answer(datasette, name, execute, sql, params, kwargs)

    return answering


def remember_table_permissions(datasette, limit: int = 1024) -> None:
    """`Datasette._table_permission_allows` remembered per (database, table).

    Datasette's default permission check works out a table's `allow` blocks from the metadata,
    deep-copying all of it, twice a table page (a tenth of the CPU of a searched page). The
    metadata of an instance does not change (the mount gives a new publication a new
    instance, and the plugin adds no metadata hooks), so neither does the answer.
    """
    allows, kept = datasette._table_permission_allows, {}

    def remembered(database, table):
        key = (database, table)
        if key in kept:
            return kept[key]
        found = allows(database, table)
        if len(kept) < limit:
            kept[key] = found
        return found

    datasette._table_permission_allows = remembered


def error_details(exception: Exception) -> tuple[int, str, str | None, dict]:
    """(status, message, title, extra information) of an error, as Datasette's own error page
    reads them (`datasette/handle_exception.py`): the plugin renders that page itself, because
    Datasette's handler prints every error, 404s included, with its local variables (the
    asker's request among them) when rich is installed."""
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError  # its errors of a query: no public name

    if isinstance(exception, Base400):
        return exception.status, exception.args[0], None, {}
    if isinstance(exception, DatasetteError):
        message = exception.message
        if exception.message_is_html:
            from markupsafe import Markup

            message = Markup(message)
        return exception.status, message, exception.title, dict(exception.error_dict)
    return 500, str(exception), None, {}
