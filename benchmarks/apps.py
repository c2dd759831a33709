"""The ASGI apps the HTTP benchmarks serve (factories for granian; nothing here is public).

`registry_app` is the product app as `registry serve` builds it, plus a hello-world route on
the same server as the reference, and rate-limit stores that forget: the check allows 300
requests a minute per address, and wrk sends everything from 127.0.0.1. The limiter still
does its work per request (look up, record, headers), as it would for many teachers.

`datasette_defaults` is plain Datasette with its default settings and no plugins on the same
file, as `datasette witte-lijst.db` would serve it.
"""

from __future__ import annotations

import os
import sys

HELLO_PATH = "/bench/hello"


def registry_app():
    from litestar import get

    from registry.limits import LIMITS, CountingStore
    from registry.app import Settings, create_app

    class ForgetfulStore(CountingStore):
        def hit(self, key, limit, seconds):
            counted = super().hit(key, limit, seconds)
            self._windows.pop(key)  # wrk is one address: forget it after counting
            return counted

    @get(HELLO_PATH, include_in_schema=False)
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    app = create_app(Settings.from_env())
    app.register(hello)
    for config in LIMITS:
        app.stores.register(config.store, ForgetfulStore(), allow_override=True)
    return app


def datasette_defaults():
    sys._called_from_test = True  # Datasette then loads no plugins from entry points
    from datasette.app import Datasette

    return Datasette(files=[os.environ["REGISTRY_WHITELIST"]]).app()
