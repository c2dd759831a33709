"""Datasette's error pages, rendered by the plugin: quiet, and in Dutch for an asker's mistake.

Datasette's own handler prints every error, 403s and 404s too, to the server log, and with
rich installed with its local variables, the asker's request among them. This one prints
only a real error's plain traceback, and answers a malformed query string with a 400: the
asker's mistake, which Datasette would answer with a 500 and a traceback holding the asker's
input (`invalid literal for int(): '...'`).
"""

from __future__ import annotations

import re
import sqlite3
import traceback

from datasette import Response, hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import add_cors_headers
from datasette.utils.asgi import BadRequest

from registry.whitelist.datasette.internals import error_details

ASKER_MISTAKES = (KeyError, TypeError, ValueError, OverflowError, sqlite3.ProgrammingError)
"""What Datasette 0.65 raises on a malformed query string, as a 500: `_facet={}` (KeyError),
`_timelimit=x` or an `id__in=[` that is not JSON (ValueError, TypeError),
`id__gt=99999999999999999999` (OverflowError), a NUL character in a facet (ProgrammingError).
Mistakes a check can see before Datasette runs a query are refused in `check_query`."""
TOO_LONG = "De vraag duurde te lang en is afgebroken; stel een kleinere vraag."
ENGLISH = (
    (re.compile(r"^Database not found"), "Deze database bestaat niet."),
    (re.compile(r"^Table not found"), "Deze tabel bestaat niet."),
    (re.compile(r"^(Record|Row) not found"), "Deze rij bestaat niet."),
    (re.compile(r"^Query not found|^Canned query not found"), "Deze vraag bestaat niet."),
)
"""Datasette's own messages of its error pages, in Dutch."""
ENGLISH_WORDS = re.compile(r"\b(not|found|invalid|must|cannot|the|is|does|no such|only)\b",
                           re.I)
ENGLISH_404 = "Deze pagina bestaat niet."
ENGLISH_OTHER = ("Dit adres begrijpen we niet: controleer het, of begin opnieuw bij de open "
                 "data.")
NOT_UNDERSTOOD = ("Het adres bevat een parameter die deze lijst niet begrijpt: controleer _sort, "
                  "_facet, _through, _timelimit en de filters.")


@hookimpl(wrapper=True)
def handle_exception(datasette, request, exception):
    """The plugin's error page instead of Datasette's (and any other plugin's).

    A wrapper, so it can leave out the other handlers: each returns a function that Datasette
    calls only if it is in the list this returns, and Datasette's own prints when called.
    """
    yield
    if isinstance(exception, QueryInterrupted):  # the CSV view lets these through as 500
        exception = BadRequest(TOO_LONG)
    elif isinstance(exception, ASKER_MISTAKES) and any(
            key.startswith("_") or "__" in key for key in request.args.keys()):
        exception = BadRequest(NOT_UNDERSTOOD)

    async def inner():
        return await error_page(datasette, request, exception)

    return [inner]


async def error_page(datasette, request, exception: Exception) -> Response:
    """Datasette's error page (`404.html`, `error.html`; JSON for a .json address)."""
    status, message, title, info = error_details(exception)
    if status == 500:
        traceback.print_exception(exception)
    info |= {"ok": False, "error": message, "status": status, "title": title}
    headers = {}
    if datasette.cors:
        add_cors_headers(headers)
    if request.path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status, headers=headers)
    # Without the request, as Datasette's own: no actor, messages or CSRF token (a request
    # refused before Datasette ran has none) on a page about the error.
    info["error"] = dutch(status, message)  # a page for people; the JSON keeps Datasette's
    html = await datasette.render_template([f"{status}.html", "error.html"], info)
    return Response.html(html, status=status, headers=headers)


def dutch(status: int, message):
    """A message of Datasette's in Dutch; the plugin's own are Dutch already."""
    if status == 500 or not isinstance(message, str):
        return message
    for english, words in ENGLISH:
        if english.match(message):
            return words
    if ENGLISH_WORDS.search(message) and not DUTCH_WORDS.search(message):
        return ENGLISH_404 if status == 404 else ENGLISH_OTHER
    return message


DUTCH_WORDS = re.compile(r"\b(de|het|een|niet|deze|dit|geen|kan|op|van|met)\b", re.I)
