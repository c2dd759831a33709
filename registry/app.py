"""`create_app(settings)`: the API under /api with its offline docs, the whitelist (Datasette)
under /lijst, and the teacher check page at /."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import swagger_ui_bundle
from litestar import Litestar, Router, asgi, get
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send

from registry import db as storage
from registry import headers, pages
from registry.api import answer_options_with_every_method
from registry.api import embed as embed_api
from registry.api import imports as imports_api
from registry.api import limits
from registry.api import policy as policy_api
from registry.api import publications as publications_api
from registry.api import public as public_api
from registry.api.problems import EXCEPTION_HANDLERS
from registry.api.records import CONTROLLERS
from registry.check import PublishedWhitelist
from registry.mount import DEFAULT_PUBLIC_URL, DatasetteMount
from registry.publish import default_whitelist_path
from registry.stats import CheckCounter

DOCS_ASSETS = "/api/docs/assets"
DEFAULT_MAX_BODY = 1024 * 1024
ENV_TODAY = "REGISTRY_TODAY"
ENV_CACHE_MB = "REGISTRY_CACHE_MB"
DEFAULT_CACHE_MB = 24
ENV_PUBLIC_URL = "REGISTRY_PUBLIC_URL"


def clock_from_env() -> Callable[[], dt.date]:
    """`$REGISTRY_TODAY` (YYYY-MM-DD) fixes the date verdicts are computed for, for demos and
    tests; otherwise the real date."""
    if fixed := os.environ.get(ENV_TODAY):
        day = dt.date.fromisoformat(fixed)
        return lambda: day
    return dt.date.today


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know; `from_env` reads what `registry serve` passes on."""

    db_path: Path = field(default_factory=storage.default_db_path)
    whitelist_path: Path | None = None
    """The published whitelist; None: beside the database (see `default_whitelist_path`)."""
    demo: bool = True
    max_body_size: int = DEFAULT_MAX_BODY
    today: Callable[[], dt.date] = dt.date.today
    """The clock of verdicts; tests pass a fixed day."""
    cache_mb: int = DEFAULT_CACHE_MB
    """Memory per worker for answers kept per publication: a third for the check's answers,
    the rest for the whitelist's pages. 0: every answer is worked out again."""
    public_url: str = DEFAULT_PUBLIC_URL
    """Where visitors reach the app (`https://lijst.example.nl`): the whitelist's absolute
    links start with it, never with the Host a request claims."""

    @classmethod
    def from_env(cls) -> Settings:
        # `registry serve` migrates, loads the demo data and publishes once, before the
        # workers start.
        db_path = storage.default_db_path()
        return cls(db_path=db_path, whitelist_path=default_whitelist_path(db_path), demo=False,
                   today=clock_from_env(),
                   cache_mb=int(os.environ.get(ENV_CACHE_MB, DEFAULT_CACHE_MB)),
                   public_url=os.environ.get(ENV_PUBLIC_URL, DEFAULT_PUBLIC_URL))


    @property
    def whitelist(self) -> Path:
        return self.whitelist_path or default_whitelist_path(self.db_path)


def prepare(settings: Settings) -> dict[str, int] | None:
    """Create or migrate the database; load the demo data into an empty one and publish it,
    so a newcomer sees a working whitelist at once. A publication that a crash left
    unrecorded is recorded, and a whitelist in an older format is published again."""
    from registry.publish.builder import SCHEMA_VERSION, publish
    from registry.publish.recovery import recover, served_format

    registry = storage.Registry(settings.db_path)
    try:
        registry.migrate()
        counts = None
        with registry.write():
            if settings.demo and registry.is_empty():
                from registry.importer import load_demo

                counts = load_demo(registry)
        recover(registry, settings.whitelist)
        if counts and not settings.whitelist.exists():
            publish(registry, settings.whitelist, settings.today(), "demo-data")
        elif served_format(settings.whitelist) not in (None, SCHEMA_VERSION):
            publish(registry, settings.whitelist, settings.today(), "format-upgrade")
        return counts
    finally:
        registry.close()


@get("/api/health", include_in_schema=True, tags=["status"], summary="Is the service up?")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def _docs() -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        path="/",
        js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="School privacy whitelist registry",
        version="0.1.0",
        description=(
            "The write side of the Dutch schools' privacy whitelist: vendors, tools, "
            "processing agreements and assessments. Every change needs a Bearer token and "
            "If-Match; errors are RFC 9457 problem details."
        ),
        path="/api/docs",
        render_plugins=[swagger],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(
                    type="http", scheme="bearer", description="A token from 'registry token create'."
                )
            }
        ),
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()

    def open_registry(app: Litestar) -> None:
        prepare(settings)
        app.state.registry = storage.Registry(settings.db_path)
        app.state.today = settings.today

    def close_registry(app: Litestar) -> None:
        app.state.registry.close()
        app.state.whitelist.close()

    cache = settings.cache_mb * 1024 * 1024
    datasette = DatasetteMount(settings.whitelist, pages.WHITELIST_PREFIX,
                               cache_bytes=cache - cache // 3, public_url=settings.public_url)

    @asgi(pages.WHITELIST_PREFIX, is_mount=True, copy_scope=True, include_in_schema=False,
          middleware=[limits.EXPORT_LIMIT.middleware, limits.WHITELIST_LIMIT.middleware])
    async def whitelist(scope: Scope, receive: Receive, send: Send) -> None:
        await datasette(scope, receive, send)

    docs_assets = create_static_files_router(
        path=DOCS_ASSETS,
        directories=[Path(swagger_ui_bundle.swagger_ui_path)],
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/static", directories=[pages.STATIC], include_in_schema=False
    )
    app = Litestar(
        route_handlers=[
            health, docs_assets, static, whitelist,
            Router("/api", route_handlers=CONTROLLERS),
            *policy_api.HANDLERS, *public_api.HANDLERS, *imports_api.HANDLERS,
            *publications_api.HANDLERS, *embed_api.HANDLERS, *pages.HANDLERS,
        ],
        template_config=TemplateConfig(directory=pages.TEMPLATES, engine=JinjaTemplateEngine),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[headers.before_send],
        openapi_config=_docs(),
        on_startup=[open_registry],
        on_shutdown=[close_registry],
        request_max_body_size=settings.max_body_size,
        stores=limits.stores(),
    )
    answer_options_with_every_method(app)
    app.state.whitelist = PublishedWhitelist(settings.whitelist, cache_bytes=cache // 3)
    app.state.whitelist_path = settings.whitelist
    app.state.datasette = datasette
    app.state.stats = CheckCounter()
    return app


def app_from_env() -> Litestar:
    """Factory for the ASGI server's worker processes."""
    return create_app(Settings.from_env())
