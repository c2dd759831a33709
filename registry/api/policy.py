"""The policy (minimum standards), live verdicts, what-if, and the expiry radar."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from registry import auth
from registry.api.bodies import StrictJSONRequest, body_operation
from registry.api.problems import problems
from registry.api.publications import FOUR_EYES, in_thread
from registry.api.records import IF_MATCH, expected_versions
from registry.db import Registry
from registry.policy import Policy, policy_schema
from registry.publish import prepare
from registry.publish.prepare import Preparation, as_preparation
from registry.publish.prepare_policy import approve_policy, prepare_policy, store_policy
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
    description=(
        "With four eyes on (the default) the new version is prepared, not stored: the answer "
        "is 202 with the preparation and its what-if (the verdicts it would change), and "
        "another publisher approves it (POST /api/policy/prepared/{id}/approve). With four "
        "eyes off it is stored at once (200)."
    ),
    security=[{"BearerToken": []}],
    operation_class=POLICY_BODY,
    request_class=StrictJSONRequest,
    dependencies=FOUR_EYES,
    responses={**problems(400, 401, 403, 409, 412, 413, 422, 428), 202: ResponseSpec(
        data_container=Preparation, generate_examples=False,
        description="Four eyes: prepared for another publisher's approval.")},
)
async def replace_policy(
    request: Request, registry: NamedDependency[Registry], db_path: NamedDependency[Path],
    today: NamedDependency[dt.date], four_eyes: NamedDependency[bool], data: JSONBody[Policy],
    if_match: IfMatch = None,
) -> Response[Policy]:
    expected = _expected_policy_versions(if_match)
    if four_eyes:
        row = await anyio.to_thread.run_sync(in_thread, db_path, prepare_policy, data, today,
                                             request.state.actor, expected)
        return Response(as_preparation(row), status_code=202)
    store_policy(registry, msgspec.to_builtins(data), request.state.actor, expected)
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


@get(
    "/api/policy/prepared",
    guards=[auth.any_token],
    tags=["policy"],
    summary="Prepared policy versions, newest first (the 50 latest, whatever their status)",
    security=[{"BearerToken": []}],
    responses=problems(401),
)
async def list_prepared_policies(registry: NamedDependency[Registry]) -> list[Preparation]:
    return [as_preparation(row) for row in registry.publications.prepared.list("policy")]


@post(
    "/api/policy/prepared/{prepared_id:str}/approve",
    guards=[auth.publisher],
    tags=["policy"],
    status_code=200,
    summary="Approve a prepared policy version: it is stored and in force from now on",
    description=("Another publisher than the one who prepared it (403 otherwise, while four "
                 "eyes are on); 409 when the policy in force changed since it was prepared: "
                 "prepare it again."),
    security=[{"BearerToken": []}],
    dependencies=FOUR_EYES,
    responses=problems(401, 403, 404, 409),
)
async def approve_prepared_policy(request: Request, registry: NamedDependency[Registry],
                                  four_eyes: NamedDependency[bool],
                                  prepared_id: FromPath[str]) -> Response[Policy]:
    return _policy_response(approve_policy(registry, prepared_id, request.state.actor,
                                           own=not four_eyes))


@post(
    "/api/policy/prepared/{prepared_id:str}/withdraw",
    guards=[auth.publisher],
    tags=["policy"],
    status_code=200,
    summary="Withdraw a prepared policy version",
    security=[{"BearerToken": []}],
    responses=problems(401, 403, 404, 409),
)
async def withdraw_prepared_policy(request: Request, registry: NamedDependency[Registry],
                                   prepared_id: FromPath[str]) -> Preparation:
    prepare.withdraw(registry, prepared_id, "policy", request.state.actor)
    return as_preparation(registry.publications.prepared.get(prepared_id))


HANDLERS = [read_policy, policy_versions, replace_policy, simulate_policy, tool_verdict,
            expiring_soon, list_prepared_policies, approve_prepared_policy,
            withdraw_prepared_policy]
