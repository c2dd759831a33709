"""What every answer of the whitelist gets on its way out, and what a request loses on its
way in: the security headers of `registry/headers.py` (also when Datasette runs on its own),
no cookie and no Transfer-Encoding, every CSV cell kept from being a spreadsheet formula
(`registry/csvsafe.py`), the search folded (`search.py`), only reading methods, and a 404 for
a row that cannot exist."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import BadRequest, NotFound, Request

from registry import headers
from registry.csvsafe import CsvGuard
from registry.whitelist.datasette.downloads import PAGE as DOWNLOADS
from registry.whitelist.datasette.errors import error_page
from registry.whitelist.datasette.queries import NO_ROW, no_such_row
from registry.whitelist.datasette.search import fold_search

TEMPLATES = Path(__file__).parent / "templates"


def _inline_scripts() -> str:
    """CSP sources for Datasette's fixed inline scripts (closing menus, the SQL editor, the
    facet switch), by hash: read from its installed templates, so an upgrade stays right."""
    import datasette

    sources = [f"DATASETTE_ALLOW_FACET = {value};" for value in ("true", "false")]
    for folder in (Path(datasette.__file__).parent / "templates", TEMPLATES):
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


READ_METHODS = ("GET", "HEAD", "OPTIONS")
"""The whitelist is only read: Datasette's table view failed a POST with a 500, and canned
queries that write (the only use of a POST) have no place in a published file."""
NOT_WRITABLE = "Deze lijst kan alleen gelezen worden."


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
            # The downloads guard their own cells, separated by `;` (`downloads.py`).
            is_csv = path.endswith(".csv") and not path.startswith(DOWNLOADS + "/")
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
            elif await no_such_row(datasette, path):
                error = NotFound(NO_ROW)
            else:
                await app(scope, receive, send_with_headers)
                return
            await datasette.invoke_startup()  # the error page needs its templates
            response = await error_page(datasette, Request(scope, receive), error)
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
