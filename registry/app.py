"""`create_app(settings)`: both wings on one port: the write side (the API under /api with its
offline docs, the review form) and the read wing (`registry.whitelist`: the whitelist under
/lijst, the teacher check page at /, the check and embed API). `create_read_app(file)`
serves the read wing alone, for a replica."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import swagger_ui_bundle
from argon2 import PasswordHasher
from litestar import Litestar, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from registry import auth, backoffice, headers, limits
from registry import db as storage
from registry import schedule
from registry.api import answer_options_with_every_method
from registry.api import imports as imports_api
from registry.api import policy as policy_api
from registry.api import publications as publications_api
from registry.api import public as public_api
from registry.api import rollback as rollback_api
from registry.api.dependencies import DEPENDENCIES
from registry.api.problems import EXCEPTION_HANDLERS
from registry.api.records import CONTROLLERS
from registry.backoffice.sessions import Protection
from registry.clock import clock_from_env
from registry.mail import SmtpSettings
from registry.published import default_whitelist_path
from registry.whitelist.app import DEFAULT_CACHE_MB, behind_proxies, create_read_app, health
from registry.whitelist.app import read_wing
from registry.whitelist.app import DEPENDENCIES as READ_DEPENDENCIES
from registry.whitelist.mount import DEFAULT_PUBLIC_URL
from registry.whitelist.pages import TEMPLATES as PUBLIC_TEMPLATES

BACKOFFICE = Path(backoffice.__file__).parent

DOCS_ASSETS = "/api/docs/assets"
DEFAULT_MAX_BODY = 1024 * 1024
ENV_CACHE_MB = "REGISTRY_CACHE_MB"
ENV_PUBLIC_URL = "REGISTRY_PUBLIC_URL"
ENV_OIDC_ISSUER = "REGISTRY_OIDC_ISSUER"
ENV_OIDC_CLIENT_ID = "REGISTRY_OIDC_CLIENT_ID"
ENV_OIDC_CLIENT_SECRET = "REGISTRY_OIDC_CLIENT_SECRET"
ENV_FOUR_EYES = "REGISTRY_FOUR_EYES"


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
    oidc_issuer: str = ""
    """Staff sign-in through their institution (OpenID Connect: SURFconext, Entree), such as
    `https://connect.surfconext.nl`; off unless issuer, client id and secret are all set."""
    oidc_client_id: str = ""
    oidc_client_secret: str = field(default="", repr=False)
    session_idle_minutes: int = 30
    """A back-office session ends after this long without a request."""
    wall_clock: Callable[[], float] = time.time
    """Seconds since the epoch, for back-office sessions and sign-in throttling; tests move it."""
    password_hasher: PasswordHasher = field(default_factory=PasswordHasher, repr=False)
    """argon2id with argon2-cffi's defaults (about 0.7 s a hash); tests pass cheaper ones."""
    four_eyes: bool = True
    """A publication (and a policy) needs a second publisher's approval; off
    (`REGISTRY_FOUR_EYES=0`) for a one-person deployment."""
    daily_jobs: bool = False
    """Run the daily jobs (the due publication, the digest) in the server; `registry serve`
    turns it on."""
    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings())
    """Where the daily digest is sent from (`REGISTRY_SMTP_*`); off without a host."""

    @classmethod
    def from_env(cls) -> Settings:
        # `registry serve` migrates, loads the demo data and publishes once, before the
        # workers start.
        db_path = storage.default_db_path()
        return cls(db_path=db_path, whitelist_path=default_whitelist_path(db_path), demo=False,
                   today=clock_from_env(),
                   cache_mb=int(os.environ.get(ENV_CACHE_MB, DEFAULT_CACHE_MB)),
                   public_url=os.environ.get(ENV_PUBLIC_URL, DEFAULT_PUBLIC_URL),
                   oidc_issuer=os.environ.get(ENV_OIDC_ISSUER, ""),
                   oidc_client_id=os.environ.get(ENV_OIDC_CLIENT_ID, ""),
                   oidc_client_secret=os.environ.get(ENV_OIDC_CLIENT_SECRET, ""),
                   four_eyes=os.environ.get(ENV_FOUR_EYES, "1").strip() not in ("0", "false", "no",
                                                                              "off", "nee"),
                   daily_jobs=True, smtp=SmtpSettings.from_env())


    @property
    def whitelist(self) -> Path:
        return self.whitelist_path or default_whitelist_path(self.db_path)


def prepare(settings: Settings) -> dict[str, int] | None:
    """Create or migrate the database; load the demo data into an empty one and publish it,
    so a newcomer sees a working whitelist at once. A publication that a crash left
    unrecorded is recorded, and a whitelist in an older format is published again."""
    from registry.publish.builder import SCHEMA_VERSION, build, install, publish
    from registry.publish.due import FORMAT_UPGRADE, due_source
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
            # The content of the last publication in the new format: changes made since
            # still wait for their approval.
            built = build(registry, settings.whitelist, settings.today(),
                          source=due_source(registry))
            try:
                install(registry, built, settings.whitelist, FORMAT_UPGRADE)
            finally:
                built.discard()
        return counts
    finally:
        registry.close()


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
        app.state.registry.today = settings.today  # the board rules judge on the app's day
        app.state.today = settings.today
        app.state.settings = settings  # the back office reads its OIDC settings here
        protection.open(app.state.registry)
        app.state.backoffice = protection

    def close_registry(app: Litestar) -> None:
        app.state.registry.close()
        app.state.whitelist.close()

    wing = read_wing(settings.whitelist, settings.cache_mb, settings.public_url)
    # The back office's sessions and CSRF protection; its cookies are Secure behind https.
    protection = Protection(idle_seconds=settings.session_idle_minutes * 60,
                            secure=settings.public_url.lower().startswith("https://"),
                            clock=settings.wall_clock, hasher=settings.password_hasher)
    docs_assets = create_static_files_router(
        path=DOCS_ASSETS,
        directories=[Path(swagger_ui_bundle.swagger_ui_path)],
        include_in_schema=False,
    )
    backoffice_static = create_static_files_router(
        path="/beheer/static", directories=[BACKOFFICE / "static"], include_in_schema=False)
    app = Litestar(
        route_handlers=[
            health, docs_assets, backoffice_static, backoffice.router(protection), *wing.handlers,
            Router("/", guards=[auth.any_token], route_handlers=wing.staff_handlers),
            Router("/api", route_handlers=CONTROLLERS),
            *policy_api.HANDLERS, *public_api.HANDLERS, *imports_api.HANDLERS,
            *publications_api.HANDLERS,
            *rollback_api.HANDLERS,
        ],
        # The public pages' templates and the back office's (under beheer/).
        template_config=TemplateConfig(directory=[PUBLIC_TEMPLATES, BACKOFFICE / "templates"],
                                       engine=JinjaTemplateEngine),
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[headers.before_send],
        openapi_config=_docs(),
        on_startup=[open_registry, schedule.start_daily_jobs],
        on_shutdown=[close_registry, schedule.stop_daily_jobs],
        request_max_body_size=settings.max_body_size,
        stores={**limits.stores(), **protection.stores()},
        dependencies={**READ_DEPENDENCIES, **DEPENDENCIES},
    )
    answer_options_with_every_method(app)
    wing.install(app)
    backoffice.install(app)
    return app


def app_from_env() -> Litestar | Callable:
    """Factory for the ASGI server's worker processes (behind `$REGISTRY_TRUSTED_PROXIES`, if
    set: see `behind_proxies`)."""
    return behind_proxies(create_app(Settings.from_env()))


__all__ = ["Settings", "app_from_env", "create_app", "create_read_app", "prepare"]
