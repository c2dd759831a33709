"""The teacher check's plain questions answered on its route, before Litestar's handler.

Why: with its answers kept, a check costs a dictionary lookup, and Litestar's handler
machinery around it (query parameters parsed into a signature model, the dependency, the
`Response` built and turned into ASGI messages) cost about 140 µs of the 190 µs a request
took in process, three times a hello-world route's whole request (benchmarks/, 2026-12-03).

What it takes: a GET whose query holds `q` (1 to `MAX_QUESTION` characters) and optionally
`level` and `bestuur`, each once and valid, with a whitelist published and the board in it.
Everything else goes on to the `check` handler in `registry.whitelist.api`, which answers it
with Litestar's validation and problem details: a missing, empty, invalid or repeated
parameter, an unknown board (404), no publication yet (503), another method. The answer is
the handler's: the same `Checking`, the same JSON bytes from `PublishedWhitelist.check_json`,
counted in the statistics the same way, with the headers Litestar's `Response` sends for it.

It is route middleware inside the check's rate limiter (`api.check`), so the limiter counts
the request and adds its headers (and answers 429), the app's `before_send` hook adds the
security headers and its exception handling is around it, as for the handler. The OpenAPI
description stays the handler's. `tests/test_direct_check.py` asks both ways and compares
whole responses.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING

from registry.labels import LEVEL_LABELS
from registry.whitelist.boards import BOARD_NUMBER, UnknownBoard
from registry.whitelist.reader import NotPublished
from registry.whitelist.stats import Checking

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

MAX_QUESTION = 4000
"""The longest `q` the check takes (the handler's `max_length`)."""
PARAMETERS = frozenset({"q", "level", "bestuur"})
_BOARD = re.compile(BOARD_NUMBER)
_JSON = (b"content-type", b"application/json")


def plain_question(query_string: bytes) -> tuple[str, str | None, str | None] | None:
    """(q, level, bestuur) of a query string the handler would accept as it is, else None.

    Parsed as Litestar parses a query string (latin-1, blank values kept); a parameter it
    would ignore (an unknown one) or reject (twice, empty, invalid) makes it None."""
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    asked = dict(pairs)
    if len(asked) != len(pairs) or not asked.keys() <= PARAMETERS:
        return None
    q, level, board = asked.get("q"), asked.get("level"), asked.get("bestuur")
    if q is None or not 1 <= len(q) <= MAX_QUESTION:
        return None
    if level is not None and level not in LEVEL_LABELS:
        return None
    if board is not None and not _BOARD.search(board):
        return None
    return q, level, board


def answer_directly(app: ASGIApp) -> ASGIApp:
    """Route middleware: answer a plain question (`plain_question`), else call `app`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        asked = plain_question(scope.get("query_string", b"")) if scope["method"] == "GET" else None
        if asked is None:
            await app(scope, receive, send)
            return
        state = scope["litestar_app"].state
        checking = Checking(state.whitelist, state.stats, state.today())
        try:
            status, body = checking.whitelist.check_json(asked[0], checking.today, *asked[1:])
        except (NotPublished, UnknownBoard):
            await app(scope, receive, send)  # the handler answers 503 or 404
            return
        checking.count(status)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [_JSON, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return middleware
