"""Security headers on every response, decided in one place.

`before_send` is a Litestar before-send hook, so it sees every response the app sends: pages,
API JSON, static files, the mounted whitelist (Datasette) and the 404s of the router. It adds
what a response does not set itself:

- a Content-Security-Policy that loads nothing from another origin: `PAGE` for our HTML
  pages, `DOCS` for the Swagger page (its inline start-up script embeds the OpenAPI document),
  `DATA` for everything that is not HTML (JSON, CSV, CSS, images);
- `frame-ancestors 'none'` and `X-Frame-Options: DENY`, except on the embed page
  (`EMBED_PAGE`), which any website may show in a frame;
- `Referrer-Policy: no-referrer`, `X-Content-Type-Options: nosniff`, a Permissions-Policy
  that switches off what we never use, `Cross-Origin-Opener-Policy: same-origin` and
  `Cross-Origin-Resource-Policy: same-origin` (`cross-origin` for what other sites embed);
- `Access-Control-Allow-Origin: *` for the embed feed only, error answers included, so a
  school's page can read them.

The Datasette plugin sends its own CSP (Datasette writes inline styles and a few fixed
inline scripts, allowed by hash); this hook keeps it and adds the rest. No Litestar import:
the plugin uses `csp`, `script_hash` and `COMMON` when Datasette runs on its own.
HSTS is left to whatever terminates TLS.
"""

from __future__ import annotations

import base64
import functools
import hashlib

EMBED_PAGE = "/embed"
EMBED_FEED = "/api/embed/"
EMBED_SCRIPT = "/static/embed.js"
DOCS = "/api/docs"


def csp(**directives: str) -> str:
    """`csp(default_src="'none'", frame_ancestors="*")` → "default-src 'none'; frame-ancestors *"."""
    return "; ".join(f"{name.replace('_', '-')} {value}" for name, value in directives.items())


def script_hash(source: str) -> str:
    """The CSP source that allows exactly this inline script."""
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


_PAGE = dict(
    default_src="'none'", script_src="'self'", style_src="'self'", img_src="'self'",
    connect_src="'self'", frame_src="'self'", form_action="'self'", base_uri="'none'",
)
PAGE = csp(**_PAGE, frame_ancestors="'none'")
EMBED = csp(**_PAGE, frame_ancestors="*")
DOCS_PAGE = csp(**_PAGE | dict(script_src="'self' 'unsafe-inline'",
                               style_src="'self' 'unsafe-inline'", img_src="'self' data:"),
                frame_ancestors="'none'")
DATA = csp(default_src="'none'", base_uri="'none'", form_action="'none'", frame_ancestors="'none'")

PERMISSIONS = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
               "microphone=(), payment=(), usb=()")
COMMON = [
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"permissions-policy", PERMISSIONS.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/html")
               for name, value in headers)


def _kind(path: str) -> str:
    if path == EMBED_PAGE:
        return "embed_page"
    if path.startswith(EMBED_FEED):
        return "embed_feed"
    if path == EMBED_SCRIPT:
        return "embed_script"
    return "docs" if path.startswith(DOCS) else "other"


@functools.cache
def _wanted(kind: str, html: bool) -> tuple[tuple[bytes, bytes], ...]:
    if html:
        policy = {"embed_page": EMBED, "docs": DOCS_PAGE}.get(kind, PAGE)
    else:
        policy = DATA
    shared = kind.startswith("embed")
    wanted = [
        (b"content-security-policy", policy.encode()),
        *COMMON,
        (b"cross-origin-resource-policy", b"cross-origin" if shared else b"same-origin"),
    ]
    if kind != "embed_page":
        wanted.append((b"x-frame-options", b"DENY"))
    if kind == "embed_feed":
        wanted.append((b"access-control-allow-origin", b"*"))
    return tuple(wanted)


def headers_for(path: str, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The security headers a response to `path` lacks, given the headers it has."""
    present = {name.lower() for name, _ in headers}
    return [(name, value) for name, value in _wanted(_kind(path), _is_html(headers))
            if name not in present]


async def before_send(message, scope) -> None:
    """Litestar before-send hook: add the missing security headers to a response's start."""
    if message["type"] != "http.response.start" or scope.get("type") != "http":
        return
    headers = list(message.get("headers") or [])
    message["headers"] = headers + headers_for(scope["path"], headers)
