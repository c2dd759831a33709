"""A board's verdict on a tool: the sector verdict with the board's own agreements counted,
and the board's decision on top. Pure, like `registry.verdict`: no database, no clock.

The rules, in order:
1. A decision counts from its `decided_on` up to and including its `ends_on`; outside that,
   and without a decision, the board follows the sector (`follow`).
2. `stricter` with `not_allowed`: not allowed at the board's schools.
3. `stricter` with conditions: a tool the verdict allows is allowed only with the verdict's
   conditions and the board's; a tool it does not allow stays as it is (stricter never
   allows more).
4. `own_approval`: allowed (with the board's conditions, if any), unless the sector verdict
   is `not_allowed` and the policy does not let boards approve what the sector rejected
   (`Policy.board_rules.may_approve_rejected`, default no): then the decision does not count
   and the teacher is told so (unless the board's own agreements already allow the tool:
   then that verdict holds and nothing is refused).
The verdict "with the board's agreements" is `evaluate(..., board=id)`: the sector's
agreements and the board's own; for a board without any it is the sector verdict.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from registry.labels.boards import BOARD_TEXTS, DECISION_LABELS
from registry.models import Base, BoardDecisionIn, BoardDecisionKind
from registry.verdict import Verdict, VerdictCode

if TYPE_CHECKING:
    from registry.policy import Policy

ALLOWING = (VerdictCode.allowed, VerdictCode.allowed_with_conditions)


class BoardVerdict(Base, kw_only=True):
    """What a teacher of one board does with a tool on one day, and why."""

    board_id: str
    decision: str
    """`follow`, `stricter` or `own_approval`: the decision that counts today."""
    decision_label: str
    code: VerdictCode
    label: str
    conditions: list[str]
    text: str
    """One sentence: what the board decided, as the teacher reads it."""
    reason: str | None = None
    """The board's own public reason for its decision."""
    decided_on: dt.date | None = None
    decided_by: str | None = None
    ends_on: dt.date | None = None
    own_approval_refused: bool = False
    evaluated_on: dt.date
    valid_until: dt.date | None = None
    """The first day on which this may change by itself (as `Verdict.valid_until`)."""


def in_force(decision: BoardDecisionIn | None, today: dt.date) -> bool:
    return (decision is not None and decision.decided_on <= today
            and (decision.ends_on is None or decision.ends_on >= today))


def may_approve(sector: Verdict, policy: Policy) -> bool:
    """Whether a board's own approval counts against this sector verdict under `policy`."""
    return sector.code != VerdictCode.not_allowed or policy.board_rules.may_approve_rejected


def judge_for_board(board_id: str, sector: Verdict, with_board: Verdict,
                    decision: BoardDecisionIn | None, policy: Policy, today: dt.date
                    ) -> BoardVerdict:
    """The board's verdict on `today`. `sector` is the sector verdict, `with_board` the one
    that counts the board's own agreements too (the same as `sector` when it has none)."""
    code, conditions = with_board.code, list(with_board.conditions)
    text = BOARD_TEXTS["follow"] if with_board == sector else BOARD_TEXTS["own_agreement"]
    refused = False
    counts = in_force(decision, today)
    if counts and decision.decision == BoardDecisionKind.stricter:
        if decision.not_allowed:
            code, conditions, text = VerdictCode.not_allowed, [], BOARD_TEXTS["not_allowed"]
        elif code in ALLOWING:
            code = VerdictCode.allowed_with_conditions
            conditions = conditions + [c for c in decision.conditions if c not in conditions]
            text = BOARD_TEXTS["extra_conditions"]
        else:
            text = BOARD_TEXTS["extra_conditions_moot"]
    elif counts and decision.decision == BoardDecisionKind.own_approval:
        if may_approve(sector, policy):
            conditions = list(decision.conditions)
            code = VerdictCode.allowed_with_conditions if conditions else VerdictCode.allowed
            text = BOARD_TEXTS["own_approval_conditions" if conditions else "own_approval"]
        elif code not in ALLOWING:
            refused, text = True, BOARD_TEXTS["own_approval_refused"]
        else:  # refused, but the board's own agreement already allows it: nothing to refuse
            counts = False
    kind = decision.decision.value if counts and not refused else "follow"
    return BoardVerdict(
        board_id=board_id, decision=kind, decision_label=DECISION_LABELS[kind], code=code,
        label=code.label, conditions=conditions, text=text,
        reason=decision.reason if counts else None,
        decided_on=decision.decided_on if counts else None,
        decided_by=decision.decided_by if counts else None,
        ends_on=decision.ends_on if counts else None,
        own_approval_refused=refused, evaluated_on=today,
        valid_until=_changes_on(sector, with_board, decision, today),
    )


def _changes_on(sector: Verdict, with_board: Verdict, decision: BoardDecisionIn | None,
                today: dt.date) -> dt.date | None:
    days = [d for d in (sector.valid_until, with_board.valid_until) if d is not None]
    if decision is not None:
        if decision.decided_on > today:
            days.append(decision.decided_on)
        if decision.ends_on is not None and decision.ends_on >= today:
            days.append(decision.ends_on + dt.timedelta(days=1))
    return min(days, default=None)
