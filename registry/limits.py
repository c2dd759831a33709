"""Rate limits of the anonymous endpoints (the check, review requests, the embed feed and
page, the list and tool pages, the whitelist under /lijst): Litestar's limiter, counting in a
store that never waits. Both wings use them (the read wing all but review requests), so they
import neither.

Litestar's `RateLimitMiddleware` keeps each client's history as JSON in a `Store`: per
request it decodes it, encodes it again, stamps two datetimes and takes three `anyio` locks,
each a trip through the event loop. On the check API that cost more than the check itself
(see benchmarks/). Its algorithm is a fixed window: the first request opens a window of the
configured length, at most N requests fit in it, and only the count matters.

`CountingStore` keeps exactly that, a count and the end of the window per client, in a
plain dict: in one event loop, code that does not await cannot be interrupted, so counting
needs no lock. `RateLimiter` asks it and answers with Litestar's own 429 and headers
(`RateLimit-Policy`, `-Limit`, `-Remaining`, `-Reset`, `Retry-After`); with any other
store (Redis, say) it is Litestar's middleware unchanged. Windows that ended are swept now
and then, so a school year of client addresses does not pile up.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import TYPE_CHECKING

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DURATION_VALUES, RateLimitConfig, RateLimitMiddleware
from litestar.stores.memory import MemoryStore

if TYPE_CHECKING:
    from litestar import Request
    from litestar.types import Message, Receive, Scope, Send

SWEEP_EVERY = 10_000
"""Windows opened between two sweeps of those that ended."""


class CountingStore(MemoryStore):
    """Fixed-window counts per client for `RateLimiter`, in one event loop.

    A `MemoryStore` too, so Litestar's own middleware could use it (its registry expects a
    `Store`); `RateLimiter` uses `hit` instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self._windows: dict[str, list[int]] = {}  # key -> [count, window end (epoch s)]
        self._opened = 0

    def hit(self, key: str, limit: int, seconds: int) -> tuple[int, int, bool]:
        """Count one request of `key` if its window has room: (count, window end, counted)."""
        now = int(time.time())
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            self._opened += 1
            if self._opened % SWEEP_EVERY == 0:
                self.sweep(now)
            window = self._windows[key] = [0, now + seconds]
        if window[0] >= limit:
            return window[0], window[1], False
        window[0] += 1
        return window[0], window[1], True

    def sweep(self, now: int | None = None) -> None:
        """Forget every window that has ended."""
        now = int(time.time()) if now is None else now
        self._windows = {k: w for k, w in self._windows.items() if w[1] > now}

    def clients(self) -> int:
        """How many windows it holds. (Not `__len__`: Litestar's StoreRegistry replaces a
        store that is falsy, as an empty one with `__len__` would be, by a MemoryStore.)"""
        return len(self._windows)


class RateLimiter(RateLimitMiddleware):
    """Litestar's rate limiter, counting in a `CountingStore` (see the module)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        store = self.config.get_store_from_app(app)
        request = app.request_class(scope)
        if not isinstance(store, CountingStore) or not await self.should_check_request(request):
            await super().__call__(scope, receive, send)
            return
        seconds = DURATION_VALUES[self.unit]
        count, ends, counted = store.hit(self.cache_key_from_request(request),
                                         self.max_requests, seconds)
        headers = self.headers(count, ends) if self.config.set_rate_limit_headers else None
        if not counted:
            raise TooManyRequestsException(headers=headers)
        if headers is None:
            await self.app(scope, receive, send)
            return
        extra = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.tighter(list(message.get("headers", ())), extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def tighter(self, headers: list, mine: list) -> list:
        """`headers` with the RateLimit-* headers of whichever limit has fewer requests left:
        mine, or those of a limiter nearer the handler (the whitelist has two)."""
        names = {name for name, _ in mine}
        remaining = self.config.rate_limit_remaining_header_key.lower().encode()
        theirs = next((int(v) for n, v in headers if n.lower() == remaining), None)
        if theirs is None:
            return [*headers, *mine]
        if theirs <= int(dict(mine)[remaining]):
            return headers
        return [(n, v) for n, v in headers if n.lower() not in names] + mine

    def headers(self, count: int, ends: int) -> dict[str, str]:
        """The headers Litestar's limiter sends, from a count and the window's end."""
        config = self.config
        return {
            config.rate_limit_policy_header_key:
                f"{self.max_requests}; w={DURATION_VALUES[self.unit]}",
            config.rate_limit_limit_header_key: str(self.max_requests),
            config.rate_limit_remaining_header_key: str(max(self.max_requests - count, 0)),
            config.rate_limit_reset_header_key: str(ends - int(time.time())),
        }


async def builds_a_page(request: Request) -> bool:
    """Whether the whitelist (Datasette under /lijst) must work this answer out: one it keeps
    costs next to nothing to send, so only the others count."""
    return not request.app.state.datasette.keeps(request.scope)


async def exports_everything(request: Request) -> bool:
    """A whole-file export: the database download, or a CSV streamed to its last row (`_stream`
    with any value Datasette reads as on; 46 MB at 100,000 tools)."""
    scope = request.scope
    # The raw path, as Datasette routes on it (Litestar's `path` of a mount ends in a `/`).
    if (scope.get("raw_path") or scope["path"].encode()).partition(b"?")[0].endswith(b".db"):
        return True
    query = request.scope.get("query_string", b"").decode("latin-1")
    return any(key == "_stream" and value
               for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True))


CHECK_LIMIT = RateLimitConfig(rate_limit=("minute", 300), store="rate_limit_check",
                              middleware_class=RateLimiter)
REVIEW_LIMIT = RateLimitConfig(rate_limit=("minute", 10), store="rate_limit_review",
                               middleware_class=RateLimiter)
EMBED_LIMIT = RateLimitConfig(rate_limit=("minute", 300), store="rate_limit_embed",
                              middleware_class=RateLimiter)
WHITELIST_LIMIT = RateLimitConfig(rate_limit=("minute", 120), store="rate_limit_whitelist",
                                  middleware_class=RateLimiter,
                                  check_throttle_handler=builds_a_page)
"""Pages Datasette builds for one client: a person clicking through facets asks for a new one
every few seconds, a school behind one address gets two a second. A page with facets over
100,000 tools took up to a second to build (facets are cut off after 500 ms, queries after
1 s); one client without a limit kept both cores busy."""
EXPORT_LIMIT = RateLimitConfig(rate_limit=("hour", 10), store="rate_limit_export",
                               middleware_class=RateLimiter,
                               check_throttle_handler=exports_everything)
"""Whole-file exports for one client, whether built or kept: each is the whole list (46 MB
as CSV at 100,000 tools), and nobody needs it more than a few times an hour."""
LIST_LIMIT = RateLimitConfig(rate_limit=("minute", 300), store="rate_limit_list",
                             middleware_class=RateLimiter)
"""Our own list (/tools) and tool pages: a search over 100,000 tools costs a few
milliseconds, a school behind one address clicks through pages and filters."""
LIMITS = (CHECK_LIMIT, REVIEW_LIMIT, EMBED_LIMIT, WHITELIST_LIMIT, EXPORT_LIMIT, LIST_LIMIT)


def stores() -> dict[str, CountingStore]:
    """A fresh store per limit, for `Litestar(stores=...)`."""
    return {limit.store: CountingStore() for limit in LIMITS}


__all__ = ["CHECK_LIMIT", "EMBED_LIMIT", "EXPORT_LIMIT", "LIMITS", "LIST_LIMIT", "REVIEW_LIMIT",
           "WHITELIST_LIMIT", "CountingStore", "RateLimiter", "stores"]
