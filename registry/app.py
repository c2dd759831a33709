"""`create_app(settings)`: the API under /api, its offline docs, and (later) the public pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import swagger_ui_bundle
from litestar import Litestar, Router, get
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from registry import db as storage
from registry.api.problems import EXCEPTION_HANDLERS
from registry.api import policy as policy_api
from registry.api.records import CONTROLLERS

DOCS_ASSETS = "/api/docs/assets"
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know; `from_env` reads what `registry serve` passes on."""

    db_path: Path = field(default_factory=storage.default_db_path)
    demo: bool = True
    max_body_size: int = DEFAULT_MAX_BODY
    today: Callable[[], dt.date] = dt.date.today
    """The clock of verdicts; tests pass a fixed day."""

    @classmethod
    def from_env(cls) -> Settings:
        # `registry serve` migrates and loads the demo data once, before the workers start.
        return cls(db_path=storage.default_db_path(), demo=False)


def prepare(db_path: Path, demo: bool) -> dict[str, int] | None:
    """Create or migrate the database; load the demo data if asked and it is empty."""
    registry = storage.Registry(db_path)
    try:
        registry.migrate()
        with registry.write():
            if demo and registry.is_empty():
                from registry.importer import load_demo

                return load_demo(registry)
        return None
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
        prepare(settings.db_path, settings.demo)
        app.state.registry = storage.Registry(settings.db_path)
        app.state.today = settings.today

    def close_registry(app: Litestar) -> None:
        app.state.registry.close()

    docs_assets = create_static_files_router(
        path=DOCS_ASSETS,
        directories=[Path(swagger_ui_bundle.swagger_ui_path)],
        include_in_schema=False,
    )
    return Litestar(
        route_handlers=[health, docs_assets, Router("/api", route_handlers=CONTROLLERS),
                        *policy_api.HANDLERS],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_docs(),
        on_startup=[open_registry],
        on_shutdown=[close_registry],
        request_max_body_size=settings.max_body_size,
    )


def app_from_env() -> Litestar:
    """Factory for the ASGI server's worker processes."""
    return create_app(Settings.from_env())
