"""The read wing put together: `read_wing(file)` gives the handlers and state that
`registry.app.create_app` serves beside the write side, and `create_read_app(file)` serves
them alone, for a replica that has only a published whitelist file."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from litestar import Litestar, asgi, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send

from registry import headers, limits
from registry.problem import exception_handlers
from registry.whitelist import api, errorpages, pages, publication, tools
from registry.whitelist.mount import DEFAULT_PUBLIC_URL, DatasetteMount
from registry.whitelist.reader import PublishedWhitelist
from registry.whitelist.stats import CheckCounter, Checking

DEFAULT_CACHE_MB = 32


@get("/api/health", include_in_schema=True, tags=["status"], summary="Is the service up?")
async def health() -> dict[str, str]:
    return {"status": "ok"}


# What the read wing's handlers are given by name (Litestar dependency injection). Each only
# looks up what `ReadWing.install` and the app's `today` keep in the app's state, on the event
# loop (`sync_to_thread=False`): cheap, and never in the thread pool.

def provide_whitelist(state: State) -> PublishedWhitelist:
    return state.whitelist


def provide_whitelist_path(state: State) -> Path:
    return state.whitelist_path


def provide_stats(state: State) -> CheckCounter:
    return state.stats


def provide_today(state: State) -> dt.date:
    return state.today()


def provide_checking(state: State) -> Checking:
    return Checking(state.whitelist, state.stats, state.today())


def provide_tool_pages(state: State) -> tools.ToolPages:
    return tools.ToolPages(state.whitelist, state.tool_shelf, state.today())


DEPENDENCIES = {
    "whitelist": Provide(provide_whitelist, sync_to_thread=False),
    "whitelist_path": Provide(provide_whitelist_path, sync_to_thread=False),
    "stats": Provide(provide_stats, sync_to_thread=False),
    "today": Provide(provide_today, sync_to_thread=False),
    "checking": Provide(provide_checking, sync_to_thread=False),
    "tool_pages": Provide(provide_tool_pages, sync_to_thread=False),
}
"""For every app that serves the read wing (`create_app` too)."""


@dataclass
class ReadWing:
    """The read wing on one published file: what it keeps, and its route handlers."""

    whitelist: PublishedWhitelist
    datasette: DatasetteMount
    stats: CheckCounter = field(default_factory=CheckCounter)
    shelf: tools.Shelf = field(default_factory=tools.Shelf)

    @property
    def handlers(self) -> list:
        """Everything anyone may ask: the pages and their static files, the check and the
        embed feed, the list and a page per tool, the whitelist (Datasette) under /lijst, the
        signed publication's files for replicas under /publicatie."""
        datasette = self.datasette

        @asgi(pages.WHITELIST_PREFIX, is_mount=True, copy_scope=True, include_in_schema=False,
              middleware=[limits.EXPORT_LIMIT.middleware, limits.WHITELIST_LIMIT.middleware])
        async def whitelist(scope: Scope, receive: Receive, send: Send) -> None:
            await datasette(scope, receive, send)

        static = create_static_files_router(
            path="/static", directories=[pages.STATIC], include_in_schema=False)
        return [static, whitelist, *api.HANDLERS, *pages.HANDLERS, *tools.HANDLERS,
                *publication.HANDLERS]

    staff_handlers = api.STAFF_HANDLERS
    """The check statistics: only for an app that puts a token guard on them."""

    def install(self, app: Litestar) -> None:
        """Keep the read wing's parts in the app's state, where `DEPENDENCIES` look, and
        answer a browser's errors on the public pages in Dutch (`errorpages`)."""
        app.state.whitelist = self.whitelist
        app.state.whitelist_path = self.whitelist.path
        app.state.datasette = self.datasette
        app.state.stats = self.stats
        app.state.tool_shelf = self.shelf
        errorpages.install(app.exception_handlers)


def read_wing(whitelist_path: Path, cache_mb: int = DEFAULT_CACHE_MB,
              public_url: str = DEFAULT_PUBLIC_URL) -> ReadWing:
    """The read wing on `whitelist_path`; `cache_mb` per worker for answers kept per
    publication (three eighths for the check's, the rest for the whitelist's pages: 12 MB
    keep the check's answers to 4,000 different questions, about 2.2 KB each)."""
    cache = cache_mb * 1024 * 1024
    answers = cache * 3 // 8
    return ReadWing(
        whitelist=PublishedWhitelist(whitelist_path, cache_bytes=answers),
        datasette=DatasetteMount(whitelist_path, pages.WHITELIST_PREFIX,
                                 cache_bytes=cache - answers, public_url=public_url),
    )


def templates() -> TemplateConfig:
    """The public pages' templates (the write side's review form renders them too)."""
    return TemplateConfig(directory=pages.TEMPLATES, engine=JinjaTemplateEngine)


def create_read_app(whitelist_path: Path, *, cache_mb: int = DEFAULT_CACHE_MB,
                    public_url: str = DEFAULT_PUBLIC_URL,
                    today: Callable[[], dt.date] = dt.date.today) -> Litestar:
    """The public pages, the check, the embed feed and the whitelist, on one published file.

    No registry and no tokens: the review form and the check statistics are the writer's, and
    no API documentation is served (the writer's /api/docs describes these calls too).
    """
    wing = read_wing(Path(whitelist_path), cache_mb, public_url)

    def close(app: Litestar) -> None:
        app.state.whitelist.close()

    app = Litestar(
        route_handlers=[health, *wing.handlers],
        template_config=templates(),
        exception_handlers=exception_handlers(),
        before_send=[headers.before_send],
        openapi_config=None,
        on_shutdown=[close],
        stores=limits.stores(),
        dependencies=DEPENDENCIES,
    )
    wing.install(app)
    app.state.today = today
    return app


ENV_CACHE_MB = "REGISTRY_CACHE_MB"
ENV_PUBLIC_URL = "REGISTRY_PUBLIC_URL"
"""The same names `registry.app` reads for the full server (not imported from there: the
write side)."""
ENV_TRUSTED_PROXIES = "REGISTRY_TRUSTED_PROXIES"
"""`serve --trusted-proxy`: addresses and networks, separated by commas, whose
X-Forwarded-For is believed. Unset or empty: nobody's."""


def behind_proxies(app: Litestar) -> Litestar | Callable:
    """`app` as the server's workers run it: with `$REGISTRY_TRUSTED_PROXIES` set, wrapped in
    granian's proxy-headers helper, so a request that comes from one of those proxies has the
    client address (and scheme) of its X-Forwarded-For (X-Forwarded-Proto), as the rate limits
    count per client; from any other address the headers change nothing. The helper passes
    lifespan events through, and its `__wrapped__` is the Litestar app. Unset: `app` itself."""
    trusted = [host.strip() for host in os.environ.get(ENV_TRUSTED_PROXIES, "").split(",")
               if host.strip()]
    if not trusted:
        return app
    from granian.utils.proxies import wrap_asgi_with_proxy_headers

    return wrap_asgi_with_proxy_headers(app, trusted)


def read_app_from_env() -> Litestar | Callable:
    """Factory for the worker processes of `registry serve --read-only`: the read wing alone
    on `$REGISTRY_WHITELIST`, with `$REGISTRY_CACHE_MB`, `$REGISTRY_PUBLIC_URL` and the day
    `$REGISTRY_TODAY` fixes, as the full server has them. Imports nothing of the write side."""
    from registry.clock import clock_from_env
    from registry.published import ENV_WHITELIST

    return behind_proxies(create_read_app(
        Path(os.environ[ENV_WHITELIST]),
        cache_mb=int(os.environ.get(ENV_CACHE_MB, DEFAULT_CACHE_MB)),
        public_url=os.environ.get(ENV_PUBLIC_URL, DEFAULT_PUBLIC_URL), today=clock_from_env()))
