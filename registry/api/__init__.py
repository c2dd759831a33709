"""The registry API: Litestar handlers, one module per noun, and one fix for the app as a whole."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def answer_options_with_every_method(app: Litestar) -> None:
    """Make OPTIONS list every method of its path (Litestar 2 issue 4169).

    When handlers of one path are registered one by one, the route is rebuilt each time but
    keeps the automatic OPTIONS handler of the first one, which lists only that route's
    methods: `OPTIONS /api/policy` said `Allow: GET, OPTIONS` without PUT. Each route gets a
    fresh OPTIONS handler of its own.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "OPTIONS" not in route.route_handler_map:
            continue
        stale, _ = route.route_handler_map["OPTIONS"]
        if stale.fn.__name__ != "options_handler":  # an OPTIONS handler of our own
            continue
        fresh = route.create_options_handler(route.path)
        fresh.owner = stale.owner
        fresh.on_registration(app)
        route.route_handlers[route.route_handlers.index(stale)] = fresh
        route.route_handler_map["OPTIONS"] = (
            fresh, fresh.create_kwargs_model(path_parameters=route.path_parameters))
