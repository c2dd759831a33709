"""A new policy version under four eyes: one publisher prepares it with its what-if (the
verdicts it would change), another approves it, and only then is it stored and in force.
Approval is refused when the policy in force changed since the preparation."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from typing import Any

import msgspec

from registry.db import Registry
from registry.errors import Conflict, PreconditionFailed
from registry.policy import Policy
from registry.publish.prepare import (
    LIMIT,
    Change,
    Preview,
    SelfApproval,
    Stale,
    pending,
    policy_stale,
)
from registry.store import overview as queries
from registry.store.rows import now
from registry.verdicts import Records, current_policy, simulate


def store_policy(registry: Registry, document: dict[str, Any], actor: str,
                 expected: Collection[str] | None) -> None:
    """Store a new policy version now; the packaged default counts as the first version, so
    the history starts there."""
    with registry.write():
        if not registry.policies.documents():
            default = current_policy(registry)
            registry.policies.save(msgspec.to_builtins(default), "default", None)
        registry.policies.save(document, actor, expected)


def what_if(registry: Registry, proposed: Policy, today: dt.date) -> tuple[str, Preview]:
    """(the version in force, the verdicts `proposed` would change on `today`)."""
    current = current_policy(registry)
    found = simulate(Records.load(registry), current, proposed, today)
    changes = [Change(tool_id=c.tool_id, name=c.name, change="verdict_changed",
                      before=str(c.before), after=str(c.after), reason=" ".join(c.reasons))
               for c in sorted(found, key=lambda c: c.tool_id)]
    return current.version, Preview(
        since_version=None, evaluated_on=today, added=0, removed=0,
        verdict_changed=len(changes), total=len(changes), changes=changes[:LIMIT])


def prepare_policy(registry: Registry, proposed: Policy, today: dt.date, actor: str,
                   expected: Collection[str] | None) -> dict[str, Any]:
    """Record `proposed` as prepared by `actor`, with its what-if; `expected` (If-Match) is
    checked now, and the version must be new."""
    with registry.snapshot():
        in_force, changes = what_if(registry, proposed, today)
        event_id = queries.last_event_id(registry.store)
        known = {d["version"] for d in registry.policies.documents()} | {in_force}
    if expected is not None and in_force not in expected:
        raise PreconditionFailed(
            f"The policy is at version {in_force}, not the one in If-Match: someone changed "
            "it. Read it again and redo your change.")
    if proposed.version in known:
        raise Conflict(f"Policy version {proposed.version} exists already; versions are never "
                       "reused. Give the new policy a new version.")
    prepared_id = secrets.token_hex(6)
    registry.publications.prepared.add({
        "id": prepared_id, "kind": "policy", "prepared_at": now(),
        "evaluated_on": today.isoformat(), "policy_version": in_force, "base_version": None,
        "event_id": event_id, "sha256": None, "file": None,
        "document": msgspec.json.encode(proposed).decode(),
        "summary": msgspec.json.encode(changes).decode(),
    }, actor)
    return registry.publications.prepared.get(prepared_id)


def approve_policy(registry: Registry, prepared_id: str, actor: str, *, own: bool = False
                   ) -> Policy:
    """Store the prepared policy, approved by `actor` (another publisher than its preparer)."""
    row = pending(registry, prepared_id, "policy")
    if row["prepared_by"] == actor and not own:
        raise SelfApproval(prepared_id)
    with registry.write():
        if why := policy_stale(registry, row):
            raise Stale(prepared_id, why)
        document = msgspec.json.decode(row["document"])
        store_policy(registry, document, actor, None)
        registry.publications.prepared.decide(prepared_id, "approved", actor)
    return current_policy(registry)
