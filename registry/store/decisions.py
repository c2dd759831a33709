"""The rules of board decisions that their JSON Schema cannot say, for every way in (API,
back office, import):

1. One live decision per board and tool: a second one is a 409 naming `tool_id` (the
   database's unique index `board_decisions_one_live` would refuse it too, as a 500).
2. `own_approval` of a tool whose sector verdict today is `not_allowed` is refused unless
   the current policy's `boards.may_approve_rejected` (`board_verdict.may_approve`): a 422
   naming `decision`.

`check` guards one record (`Registry.create`, `update`, `restore`); `import_errors` checks a
whole file against the registry as it will be after the import. `RULES` names the kinds with
such rules, so the storage code asks it instead of testing for a kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from registry import models
from registry.board_verdict import may_approve
from registry.errors import Conflict, FieldError, Invalid, field_error
from registry.labels.boards import OWN_APPROVAL_REFUSED
from registry.policy import Policy, load_policy
from registry.verdict import Verdict, evaluate

LIVE = "SELECT id, board_id, tool_id FROM board_decisions WHERE archived_at IS NULL"


def current_policy(registry: Any) -> Policy:
    """The latest stored policy, else the packaged default (as `registry.verdicts` reads it;
    that module imports `registry.db`, which calls this one)."""
    documents = registry.policies.documents()
    if not documents:
        return load_policy()
    return msgspec.convert(documents[-1]["document"], Policy)


def clash_message(board_id: str, tool_id: str, other: str) -> str:
    return (f"board {board_id} has a live decision on tool '{tool_id}' already ('{other}'); "
            "update or archive that one: one live decision per board and tool")


def refusal(policy: Policy) -> str:
    return OWN_APPROVAL_REFUSED.format(version=policy.version)


def sector_verdict(registry: Any, tool_id: str, today: dt.date, policy: Policy) -> Verdict:
    """The sector verdict on a stored tool today (only the sector's agreements count)."""
    tool = registry.get("tools", tool_id)
    vendor = registry.records_by_id("vendors", [tool.vendor_id]).get(tool.vendor_id)
    agreements = registry.list("agreements", tool=tool_id, limit=None)[0]
    assessments = registry.list("assessments", tool=tool_id, limit=None)[0]
    return evaluate(tool, vendor, agreements, assessments, policy, today)


def check(registry: Any, decision: models.BoardDecisionIn, today: dt.date) -> None:
    """Conflict or Invalid if the stored registry plus `decision` would break a rule."""
    clash = registry.store.rows(LIVE + " AND board_id = ? AND tool_id = ? AND id != ?",
                                [decision.board_id, decision.tool_id, decision.id])
    if clash:
        message = clash_message(decision.board_id, decision.tool_id, clash[0]["id"])
        raise Conflict(f"`tool_id`: {message}.", [field_error("$.tool_id", message)])
    if decision.decision == models.BoardDecisionKind.own_approval:
        policy = current_policy(registry)
        if not may_approve(sector_verdict(registry, decision.tool_id, today, policy), policy):
            raise Invalid(refusal(policy), [field_error("$.decision", refusal(policy))])


RULES: dict[str, Callable[[Any, Any, dt.date], None]] = {"board_decisions": check}
"""Per kind, the rule `Registry` applies to a record before it writes it."""


# --- imports: the file and the registry together ---------------------------------------------


def import_errors(registry: Any, records: dict[str, list[tuple[int, Any]]],
                  faulty: set[tuple[str, str]], changed: set[tuple[str, str]], today: dt.date
                  ) -> list[FieldError]:
    """The rules for the board decisions of an import file (`records`: per kind, (position,
    record)), against the registry as it will be after it: the file's records replace the
    stored ones with their id. Records in `faulty` ((kind, position) with errors already)
    are left out; only decisions in `changed` ((kind, id) created or updated) are checked
    for `own_approval`, every one for clashes."""
    if not records.get("board_decisions"):
        return []
    records = {kind: [(i, r) for i, r in records.get(kind, []) if (kind, str(i)) not in faulty]
               for kind in ("vendors", "tools", "agreements", "assessments", "board_decisions")}
    decisions = records["board_decisions"]
    errors = _clashes(registry, decisions)
    approvals = [(i, d) for i, d in decisions if ("board_decisions", d.id) in changed
                 and d.decision == models.BoardDecisionKind.own_approval]
    if approvals:
        policy = current_policy(registry)
        verdicts = _FileVerdicts(registry, records, today, policy)
        for i, d in approvals:
            sector = verdicts.of(d.tool_id)
            if sector is not None and not may_approve(sector, policy):
                errors.append(field_error(f"$.board_decisions[{i}].decision", refusal(policy)))
    return errors


def _clashes(registry: Any, decisions: list[tuple[int, Any]]) -> list[FieldError]:
    in_file = {d.id for _, d in decisions}
    taken = {(r["board_id"], r["tool_id"]): r["id"] for r in registry.store.rows(LIVE, [])
             if r["id"] not in in_file}
    errors = []
    for i, d in decisions:
        other = taken.setdefault((d.board_id, d.tool_id), d.id)
        if other != d.id:
            errors.append(field_error(f"$.board_decisions[{i}].tool_id",
                                      clash_message(d.board_id, d.tool_id, other)))
    return errors


class _FileVerdicts:
    """Sector verdicts on tools as they will be after an import: the file's vendors, tools,
    agreements and assessments replace the stored ones with their id."""

    def __init__(self, registry: Any, records: dict, today: dt.date, policy: Policy):
        self.registry, self.today, self.policy = registry, today, policy
        self.file = {kind: {r.id: r for _, r in records.get(kind, [])}
                     for kind in ("vendors", "tools", "agreements", "assessments")}
        self.by_tool: dict[str, dict[str, list]] = {}

    def _one(self, kind: str, record_id: str) -> Any:
        found = self.file[kind].get(record_id)
        return found or self.registry.records_by_id(kind, [record_id]).get(record_id)

    def _covering(self, kind: str, tool_id: str, covers: Callable[[Any], Iterable[str]]) -> list:
        if kind not in self.by_tool:  # the file's records by tool, once (not per decision)
            index: dict[str, list] = {}
            for record in self.file[kind].values():
                for covered in covers(record):
                    index.setdefault(covered, []).append(record)
            self.by_tool[kind] = index
        stored = [r for r in self.registry.list(kind, tool=tool_id, limit=None)[0]
                  if r.id not in self.file[kind]]
        return stored + self.by_tool[kind].get(tool_id, [])

    def of(self, tool_id: str) -> Verdict | None:
        """None for a tool neither in the file nor stored (an error reported already)."""
        tool = self._one("tools", tool_id)
        if tool is None:
            return None
        vendor = self._one("vendors", tool.vendor_id)
        agreements = self._covering("agreements", tool_id, lambda a: a.tool_ids)
        assessments = self._covering("assessments", tool_id, lambda a: [a.tool_id])
        return evaluate(tool, vendor, agreements, assessments, self.policy, self.today)
