"""Rollback (publisher): serve an earlier publication's content again, as a new version.

Wire with `*rollback.HANDLERS` in `create_app`; they are given `db_path`
(registry/api/dependencies.py) and `whitelist_path` (registry/whitelist/app.py).
"""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from registry import auth
from registry.api.problems import problems
from registry.db import Registry
from registry.publish import Publication
from registry.publish.rollback import restore


@post(
    "/api/publications/{version:int}/restore",
    guards=[auth.publisher],
    tags=["publications"],
    status_code=201,
    summary="Restore an earlier publication: serve its content again as version n+1",
    description=(
        "Serves the content of publication `version` again, byte for byte (the same content "
        "sha256), as a new version whose `restores_version` is `version`; its changelog and "
        "the change feed say so. Only the files of the last 10 publications are kept, so only "
        "those can be restored. One publisher suffices: the content was approved when it was "
        "first published."
    ),
    security=[{"BearerToken": []}],
    responses=problems(400, 401, 403, 404, 409, 507, notes={
        404: "No publication with this version, or its file is no longer kept.",
        409: "The version is the one served now, or another publication was recorded "
             "meanwhile; restore again.",
    }),
)
async def restore_publication(
    request: Request, db_path: NamedDependency[Path], whitelist_path: NamedDependency[Path],
    version: int = Parameter(ge=1, le=2**31, description="The publication to restore."),
) -> Publication:
    return await anyio.to_thread.run_sync(_restore, db_path, whitelist_path, version,
                                          request.state.actor)


def _restore(db_path: Path, out_path: Path, version: int, actor: str) -> Publication:
    # A connection of its own in a worker thread, as a publication has (`publications.py`).
    registry = Registry(db_path)
    try:
        return restore(registry, out_path, version, actor)
    finally:
        registry.close()


HANDLERS = [restore_publication]
