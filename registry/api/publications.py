"""Publishing the whitelist (publisher) and the list of publications (any token).

With four eyes on (`Settings.four_eyes`, the default) a publication is prepared by one
publisher (`POST /api/publications/prepared`: the file is built and its content's sha256
frozen) and approved by another (`.../{id}/approve`), and `POST /api/publications` is
refused; with four eyes off it publishes at once, as one person's deployment wants.

Wire with `*publications.HANDLERS` in `create_app`; they are given `registry`, `db_path`
(registry/api/dependencies.py), `whitelist_path` and `today` (registry/whitelist/app.py),
and `four_eyes` (here: the app's settings, four eyes on without them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from registry import auth
from registry.api.problems import PROBLEM_JSON, Problem, problems
from registry.db import Registry
from registry.errors import Conflict
from registry.publish import Publication, publications, publish
from registry.publish import prepare
from registry.publish.prepare import Preparation, as_preparation

CONFLICT = ResponseSpec(
    data_container=Problem,
    description="Another publication was recorded while this one was being built; publish again.",
    media_type=PROBLEM_JSON,
    generate_examples=False,
)
FOUR_EYES_ON = ("Four eyes are on: a publication is prepared by one publisher (POST "
                "/api/publications/prepared) and approved by another (POST "
                "/api/publications/prepared/{id}/approve).")


def provide_four_eyes(state: State) -> bool:
    """Whether a publication and a policy need a second publisher (on without settings)."""
    settings = state.get("settings")
    return True if settings is None else bool(settings.four_eyes)


FOUR_EYES = {"four_eyes": Provide(provide_four_eyes, sync_to_thread=False)}


def in_thread(db_path: Path, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`work(registry, *args, **kwargs)` on a connection of its own: building 100,000 tools
    takes seconds, which the event loop and its shared connection should not wait for."""
    registry = Registry(db_path)
    try:
        return work(registry, *args, **kwargs)
    finally:
        registry.close()


@post(
    "/api/publications",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=201,
    summary="Publish the whitelist: build it, replace the published file, record version n+1",
    description=(
        "Builds the public whitelist from the registry with today's verdicts, replaces the "
        "published file atomically and records the publication with its counts, the sha256 "
        "of its content and how many tools were added, removed or changed verdict. "
        "Only with four eyes off; with four eyes on (the default) it is 409: prepare and let "
        "another publisher approve."
    ),
    security=[{"BearerToken": []}],
    dependencies=FOUR_EYES,
    responses={**problems(401, 403, 507), 409: CONFLICT},
)
async def create_publication(request: Request, db_path: NamedDependency[Path],
                             whitelist_path: NamedDependency[Path],
                             today: NamedDependency[dt.date],
                             four_eyes: NamedDependency[bool]) -> Publication:
    if four_eyes:
        raise Conflict(FOUR_EYES_ON)
    return await anyio.to_thread.run_sync(
        in_thread, db_path, publish, whitelist_path, today, request.state.actor)


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


# --- four eyes ---------------------------------------------------------------------------------


@post(
    "/api/publications/prepared",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=201,
    summary="Prepare the next publication for another publisher's approval",
    description=(
        "Builds the next whitelist file without serving it and freezes the sha256 of its "
        "content; the answer lists what it changes (tools added, removed, each verdict "
        "changed, from what to what and why). A pending preparation is superseded."
    ),
    security=[{"BearerToken": []}],
    responses=problems(401, 403, 507),
)
async def prepare_publication(request: Request, db_path: NamedDependency[Path],
                              whitelist_path: NamedDependency[Path],
                              today: NamedDependency[dt.date]) -> Preparation:
    row = await anyio.to_thread.run_sync(in_thread, db_path, prepare.prepare_publication,
                                         whitelist_path, today, request.state.actor)
    return as_preparation(row)


@get(
    "/api/publications/prepared",
    guards=[auth.any_token],
    tags=["publications"],
    summary="Prepared publications, newest first (the 50 latest, whatever their status)",
    security=[{"BearerToken": []}],
    responses=problems(401),
)
async def list_prepared(registry: NamedDependency[Registry]) -> list[Preparation]:
    return [as_preparation(row) for row in registry.publications.prepared.list("publication")]


@post(
    "/api/publications/prepared/{prepared_id:str}/approve",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=201,
    summary="Approve a prepared publication: serve its file as the next version",
    description=(
        "Another publisher than the one who prepared it (403 otherwise; with four eyes off "
        "the preparer may approve it too). 409 when it can no "
        "longer be approved: records or the policy changed, another publication was recorded, "
        "the day changed or the file no longer matches its sha256; prepare again."
    ),
    security=[{"BearerToken": []}],
    dependencies=FOUR_EYES,
    responses={**problems(401, 403, 404, 507), 409: ResponseSpec(
        data_container=Problem, media_type=PROBLEM_JSON, generate_examples=False,
        description="The preparation is stale or decided already; the detail says why.")},
)
async def approve_publication(request: Request, db_path: NamedDependency[Path],
                              whitelist_path: NamedDependency[Path],
                              today: NamedDependency[dt.date], four_eyes: NamedDependency[bool],
                              prepared_id: FromPath[str]) -> Publication:
    return await anyio.to_thread.run_sync(lambda: in_thread(
        db_path, prepare.approve_publication, whitelist_path, prepared_id, today,
        request.state.actor, own=not four_eyes))


@post(
    "/api/publications/prepared/{prepared_id:str}/withdraw",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=200,
    summary="Withdraw a prepared publication (its file is removed)",
    security=[{"BearerToken": []}],
    responses=problems(401, 403, 404, 409),
)
async def withdraw_publication(request: Request, registry: NamedDependency[Registry],
                               prepared_id: FromPath[str]) -> Preparation:
    prepare.withdraw(registry, prepared_id, "publication", request.state.actor)
    return as_preparation(registry.publications.prepared.get(prepared_id))


HANDLERS = [create_publication, list_publications, prepare_publication, list_prepared,
            approve_publication, withdraw_publication]
