"""Rate limits of the anonymous endpoints: Litestar's limiter, with a store that never waits.

Litestar's `RateLimitMiddleware` reads a client's history from a store, checks it and writes
it back under an `anyio.Lock`, and its `MemoryStore` takes another lock for each read and
write. Every one of those three locks hands control to the event loop, even when nobody
holds it: on the check API that was more than the check itself (see benchmarks/).

`LocalStore` does the same work without locks or awaits inside: in one event loop, code
that does not await cannot be interrupted, so reading, checking and writing a history is
atomic without them, and `RateLimiter` leaves its own lock out. Expired histories (one per
client address) are swept now and then, so a school year of addresses does not pile up.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware
from litestar.stores.memory import MemoryStore

if TYPE_CHECKING:
    from litestar.types import Message, Receive, Scope, Send

SWEEP_EVERY = 10_000
"""Writes between two sweeps of expired histories."""


class LocalStore(MemoryStore):
    """`MemoryStore` for one event loop: nothing in `get` and `set` waits, so no lock."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = contextlib.nullcontext()
        self._writes = 0

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
                  ) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            self.sweep()
        await super().set(key, value, expires_in)

    async def delete_expired(self) -> None:
        self.sweep()

    def sweep(self) -> None:
        """Forget every expired value, in one go (MemoryStore's yields while it rebuilds)."""
        self._store = {k: v for k, v in self._store.items() if not v.expired}

    def keys(self) -> int:
        """How many values it holds. (Not `__len__`: Litestar's StoreRegistry replaces a
        store that is falsy, as an empty one with `__len__` would be, by a MemoryStore.)"""
        return len(self._store)


class RateLimiter(RateLimitMiddleware):
    """Litestar's rate limiter, its steps and headers, without its lock (with a `LocalStore`
    nothing can run between reading a client's history and writing it back) and adding its
    headers to the answer's list as they are, not one by one through `MutableScopeHeaders`
    (which searches the list for each)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request = app.request_class(scope)
        if not await self.should_check_request(request=request):
            await self.app(scope, receive, send)
            return
        store = self.config.get_store_from_app(app)
        key = self.cache_key_from_request(request)
        history = await self.retrieve_cached_history(key, store)
        if len(history.history) >= self.max_requests:
            raise TooManyRequestsException(
                headers=self.create_response_headers(cache_object=history)
                if self.config.set_rate_limit_headers else None)
        await self.set_cached_history(key=key, cache_object=history, store=store)
        if not self.config.set_rate_limit_headers:
            await self.app(scope, receive, send)
            return
        # The headers as Litestar's limiter sends them: counted with this request.
        extra = [(name.lower().encode(), value.encode())
                 for name, value in self.create_response_headers(cache_object=history).items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


CHECK_LIMIT = RateLimitConfig(rate_limit=("minute", 300), store="rate_limit_check",
                              middleware_class=RateLimiter)
REVIEW_LIMIT = RateLimitConfig(rate_limit=("minute", 10), store="rate_limit_review",
                               middleware_class=RateLimiter)
LIMITS = (CHECK_LIMIT, REVIEW_LIMIT)


def stores() -> dict[str, LocalStore]:
    """A fresh store per limit, for `Litestar(stores=...)`."""
    return {limit.store: LocalStore() for limit in LIMITS}


__all__ = ["CHECK_LIMIT", "LIMITS", "REVIEW_LIMIT", "LocalStore", "RateLimiter", "stores"]
