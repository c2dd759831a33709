"""Publishing the whitelist (publisher) and the list of publications (any token).

Wire with `*publications.HANDLERS` in `create_app`; they are given `registry`, `db_path`
(registry/api/dependencies.py), `whitelist_path` and `today` (registry/whitelist/app.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import anyio.to_thread
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from registry import auth
from registry.api.problems import PROBLEM_JSON, Problem, problems
from registry.db import Registry
from registry.publish import Publication, publications, publish

CONFLICT = ResponseSpec(
    data_container=Problem,
    description="Another publication was recorded while this one was being built; publish again.",
    media_type=PROBLEM_JSON,
    generate_examples=False,
)


@post(
    "/api/publications",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=201,
    summary="Publish the whitelist: build it, replace the published file, record version n+1",
    description=(
        "Builds the public whitelist from the registry with today's verdicts, replaces the "
        "published file atomically and records the publication with its counts, the sha256 "
        "of its content and how many tools were added, removed or changed verdict."
    ),
    security=[{"BearerToken": []}],
    responses={**problems(401, 403, 507), 409: CONFLICT},
)
async def create_publication(request: Request, db_path: NamedDependency[Path],
                             whitelist_path: NamedDependency[Path],
                             today: NamedDependency[dt.date]) -> Publication:
    return await anyio.to_thread.run_sync(
        _publish, db_path, whitelist_path, today, request.state.actor)


def _publish(db_path: Path, out_path: Path, today: dt.date, actor: str) -> Publication:
    # A connection of its own in a worker thread: building 100,000 tools takes seconds,
    # which the event loop and its shared connection should not wait for.
    registry = Registry(db_path)
    try:
        return publish(registry, out_path, today, actor)
    finally:
        registry.close()


@get(
    "/api/publications",
    guards=[auth.any_token],
    tags=["publications"],
    summary="Every publication of the whitelist, newest first",
    security=[{"BearerToken": []}],
    responses=problems(401),
)
async def list_publications(registry: NamedDependency[Registry]) -> list[Publication]:
    return publications(registry)


HANDLERS = [create_publication, list_publications]
