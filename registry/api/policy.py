"""The policy (minimum standards), live verdicts, what-if, and the expiry radar."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from registry import auth
from registry.api.bodies import StrictJSONRequest, body_operation
from registry.api.problems import problems
from registry.api.records import IF_MATCH, expected_versions
from registry.db import Registry
from registry.policy import Policy, policy_schema
from registry.verdict import Verdict
from registry.verdicts import (
    Expiring,
    Records,
    VerdictChange,
    current_policy,
    expiring,
    simulate,
    verdict_for,
)

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description='The current policy version, e.g. "2026.1", or *.',
                    **IF_MATCH),
]
POLICY_BODY = body_operation(policy_schema(), "A policy document; its JSON Schema is served at "
                             "/api/schemas/policy.")


class PolicyVersion(msgspec.Struct, kw_only=True):
    """A version of the policy; who stored it is in the audit log, not on this public list."""

    version: str
    effective_on: str
    created_at: str | None


class Simulation(msgspec.Struct, kw_only=True):
    """What a proposed policy would change, tool by tool."""

    current_version: str
    proposed_version: str
    evaluated_on: str
    changes: list[VerdictChange]


def _policy_response(policy: Policy) -> Response[Policy]:
    return Response(policy, headers={"ETag": f'"{policy.version}"'})


@get("/api/policy", tags=["policy"], summary="The current policy (public)",
      responses=problems(400))
async def read_policy(registry: NamedDependency[Registry]) -> Response[Policy]:
    return _policy_response(current_policy(registry))


@get("/api/policy/versions", tags=["policy"], summary="Every policy version, oldest first (public)",
     responses=problems(400))
async def policy_versions(registry: NamedDependency[Registry]) -> list[PolicyVersion]:
    documents = registry.policies.documents()
    if not documents:
        policy = current_policy(registry)
        return [PolicyVersion(version=policy.version, effective_on=policy.effective_on.isoformat(),
                              created_at=None)]
    return [PolicyVersion(version=d["version"], effective_on=d["effective_on"],
                          created_at=d["created_at"]) for d in documents]


@put(
    "/api/policy",
    guards=[auth.publisher],
    tags=["policy"],
    summary="Replace the policy with a new version (publisher; needs If-Match)",
    security=[{"BearerToken": []}],
    operation_class=POLICY_BODY,
    request_class=StrictJSONRequest,
    responses=problems(400, 401, 403, 409, 412, 413, 422, 428),
)
async def replace_policy(
    request: Request, registry: NamedDependency[Registry], data: JSONBody[Policy],
    if_match: IfMatch = None,
) -> Response[Policy]:
    expected = _expected_policy_versions(if_match)
    if not registry.policies.documents():
        # The packaged default counts as the first version, so its history starts there.
        default = current_policy(registry)
        registry.policies.save(msgspec.to_builtins(default), "default", None)
    registry.policies.save(msgspec.to_builtins(data), request.state.actor, expected)
    return _policy_response(current_policy(registry))


def _expected_policy_versions(if_match: str | None) -> set[str] | None:
    expected_versions(if_match)  # 428 when missing
    if if_match.strip() == "*":
        return None
    return {tag.strip().strip('"') for tag in if_match.split(",") if tag.strip().startswith('"')}


@post(
    "/api/policy/simulate",
    guards=[auth.publisher],
    tags=["policy"],
    status_code=200,
    summary="What-if: every tool whose verdict a proposed policy would change (publisher)",
    security=[{"BearerToken": []}],
    operation_class=POLICY_BODY,
    request_class=StrictJSONRequest,
    responses=problems(400, 401, 403, 413, 422),
)
async def simulate_policy(db_path: NamedDependency[Path], today: NamedDependency[dt.date],
                          data: JSONBody[Policy]) -> Simulation:
    return await anyio.to_thread.run_sync(_simulate, db_path, data, today)


# The what-if and the radar read every record: seconds for a large registry, so each runs in
# a worker thread on a connection of its own (one connection must not serve the loop and the
# pool), as publishing does.

def _simulate(db_path: Path, proposed: Policy, today: dt.date) -> Simulation:
    registry = Registry(db_path)
    try:
        current = current_policy(registry)
        changes = simulate(Records.load(registry), current, proposed, today)
    finally:
        registry.close()
    return Simulation(current_version=current.version, proposed_version=proposed.version,
                      evaluated_on=today.isoformat(), changes=changes)


def _expiring(db_path: Path, today: dt.date, within: int) -> list[Expiring]:
    registry = Registry(db_path)
    try:
        return expiring(Records.load(registry), current_policy(registry), today, within)
    finally:
        registry.close()


@get(
    "/api/tools/{record_id:str}/verdict",
    guards=[auth.any_token],
    tags=["tools"],
    summary="The live verdict on a tool under the current policy, with its reasons",
    security=[{"BearerToken": []}],
    responses=problems(400, 401, 404),
)
async def tool_verdict(registry: NamedDependency[Registry], today: NamedDependency[dt.date],
                       record_id: FromPath[str]) -> Verdict:
    return verdict_for(registry, record_id, today)


@get(
    "/api/expiring",
    guards=[auth.any_token],
    tags=["agreements", "assessments"],
    summary="Agreements and assessments whose last valid day is within `within` days",
    security=[{"BearerToken": []}],
    responses=problems(400, 401),
)
async def expiring_soon(
    db_path: NamedDependency[Path], today: NamedDependency[dt.date],
    within: Annotated[int, QueryParameter(ge=0, le=3650)] = 90,
) -> list[Expiring]:
    return await anyio.to_thread.run_sync(_expiring, db_path, today, within)


HANDLERS = [read_policy, policy_versions, replace_policy, simulate_policy, tool_verdict,
            expiring_soon]
