"""Bulk import over HTTP, and the published JSON Schemas (read-only, anonymous).

The import takes the raw body and decodes it itself: Litestar's own decoding would stop at
the first error, and the point of the report is to give them all at once.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from registry import auth, jsonschemas
from registry.api.bodies import body_operation
from registry.api.problems import problems
from registry.bundles import read_json
from registry.db import Registry
from registry.errors import NotFound
from registry.importer import ImportReport, import_source

MAX_IMPORT_BODY = 20 * 1024 * 1024
"""20 MiB: about 50,000 records of a realistic size; split larger files."""


class SchemaLink(msgspec.Struct, kw_only=True):
    name: str
    id: str
    title: str
    url: str


@get("/api/schemas", tags=["schemas"], operation_id="list_schemas",
     summary="The published JSON Schemas: records, import bundle, policy (public)",
     responses=problems(400))
async def list_schemas() -> list[SchemaLink]:
    return [
        SchemaLink(name=name, id=jsonschemas.schema_id(name),
                   title=jsonschemas.schema(name)["title"], url=f"/api/schemas/{name}")
        for name in jsonschemas.NAMES
    ]


@get("/api/schemas/{name:str}", tags=["schemas"], operation_id="get_schema",
     summary="One JSON Schema (draft 2020-12) by name, e.g. `bundle` (public)",
     media_type=jsonschemas.MEDIA_TYPE, responses=problems(400, 404))
async def get_schema(name: FromPath[str]) -> Response[dict[str, Any]]:
    name = name.removesuffix(".json").removesuffix(".schema")
    if name not in jsonschemas.NAMES:
        raise NotFound("schema", name)
    # The very bytes of schemas/<name>.schema.json, so either copy can be checked against the other.
    return Response(jsonschemas.render(name).encode(), media_type=jsonschemas.MEDIA_TYPE)


# The body is the bundle whose JSON Schema /api/schemas/bundle serves (the handler reads it
# raw, see the module docstring, so Litestar cannot document it).
_ImportOperation = body_operation(
    jsonschemas.schema("bundle"),
    f"A bundle: `vendors`, `tools`, `agreements`, `assessments` and, from an export, "
    f"`fingerprints`; at most {MAX_IMPORT_BODY // 1024 // 1024} MiB. Its JSON Schema is served "
    "at /api/schemas/bundle.",
)


@post(
    "/api/imports",
    guards=[auth.procurement],
    status_code=200,
    request_max_body_size=MAX_IMPORT_BODY,
    operation_class=_ImportOperation,
    tags=["imports"],
    security=[{"BearerToken": []}],
    operation_id="import_bundle",
    summary="Create or update many records at once from a bundle: all or nothing",
    description=(
        "Checks the whole bundle first. Any problem: 422 with every problem at once, each with "
        "its record's position in the path (`$.tools[3].domains[0].host`), and nothing is "
        "written. A record changed in the registry since the bundle was exported: 409, unless "
        "`force=true`. Unchanged records are left alone. `dry_run=true` only reports."
    ),
    responses=problems(400, 401, 403, 409, 413, 422, 507, notes={422: (
        "The bundle has problems; `errors` lists every one with its record. Besides what the "
        "bundle's schema says, the registry refuses what JSON Schema cannot say: a reference to "
        "a record neither in the file nor in the registry, a tool of another vendor, an id "
        "twice in one kind, dates out of order, a host listed twice in a tool's `domains`. "
        "Conflicts (see 409) found at the same time are listed with them."
    )}),
)
async def import_bundle(
    request: Request,
    db_path: NamedDependency[Path],
    dry_run: Annotated[bool, QueryParameter(
        description="Check and report; write nothing.")] = False,
    force: Annotated[bool, QueryParameter(
        description="Also overwrite records changed in the registry since the export.")] = False,
    source: Annotated[str | None, QueryParameter(
        max_length=200, description="A name for the audit log, such as the file's name.")] = None,
) -> ImportReport:
    raw = await request.body()
    name = f"POST /api/imports ({source})" if source else "POST /api/imports"
    report = await anyio.to_thread.run_sync(
        _import, db_path, raw, name, request.state.actor, dry_run, force)
    if not report.ok:
        raise report.failure()
    return report


def _import(db_path: Path, raw: bytes, name: str, actor: str, dry_run: bool, force: bool
            ) -> ImportReport:
    # Decoding, checking and writing a large bundle takes seconds: a worker thread on a
    # connection of its own, so neither the event loop nor its connection waits for it.
    data = read_json(raw, "body", label="The body")
    data.name = name
    registry = Registry(db_path)
    try:
        return import_source(registry, data, actor=actor, dry_run=dry_run, force=force)
    finally:
        registry.close()


HANDLERS = [list_schemas, get_schema, import_bundle]
