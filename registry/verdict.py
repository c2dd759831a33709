"""The verdict: a pure function of a tool's records, the policy and a date.

It never reads the database or the clock; the caller passes `today`. The rules it combines,
one function each, are `registry.verdict_rules`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING

from registry.labels import VERDICT_LABELS as LABELS
from registry.models import (
    AgreementIn,
    AssessmentIn,
    AssessmentStatus,
    Base,
    Outcome,
    ToolIn,
    VendorIn,
)
from registry.verdict_rules import (  # noqa: F401 (RULE_IDS, EEA: part of what a verdict is)
    EEA,
    FACT,
    MISSING,
    RULE_IDS,
    Reason,
    RecordRef,
    _agreement,
    _assessment,
    _conditions,
    _data_location,
    _pseudonymisation,
    _reassessment,
    _residual_risk,
    add_months,
    last_valid_day,
)

if TYPE_CHECKING:  # only for hints
    from registry.policy import Policy, Rules

class VerdictCode(StrEnum):
    """The verdict on a tool, declared from worst to best (see `rank`)."""

    not_allowed = "not_allowed"
    not_assessed = "not_assessed"
    under_review = "under_review"
    allowed_with_conditions = "allowed_with_conditions"
    allowed = "allowed"

    @property
    def label(self) -> str:
        """The Dutch label a teacher sees."""
        return LABELS[self]

    @property
    def rank(self) -> int:
        """Position from worst (0) to best; fixing the cause of a failing rule never lowers it."""
        return ORDER.index(self)


ORDER: tuple[VerdictCode, ...] = tuple(VerdictCode)


class Verdict(Base, kw_only=True):
    """What a teacher needs to know about a tool on one day, and why."""

    code: VerdictCode
    label: str
    conditions: list[str]
    reasons: list[Reason]
    policy_version: str
    evaluated_on: dt.date
    valid_until: dt.date | None
    """The first day on which the verdict changes by itself (not the last day it holds)."""


# --- evaluation ---------------------------------------------------------------------------


def evaluate(
    tool: ToolIn,
    vendor: VendorIn | None,
    agreements: list[AgreementIn],
    assessments: list[AssessmentIn],
    policy: Policy,
    today: dt.date,
    board: str | None = None,
) -> Verdict:
    """The verdict on `tool` under `policy` on `today`, with one reason per rule.

    `agreements` are those covering the tool, `assessments` those of the tool. `vendor` is
    only checked for consistency: no default rule is about the vendor. Only the sector's
    agreements count (`party` "sector"), and with `board` that board's own as well: the
    sector verdict never rests on one board's agreement.

    Precedence, first match wins:
    1. `not_allowed` when a rule fails on a recorded fact (latest final assessment rejected,
       its residual risk above the maximum, data in a country outside the EEA and the
       adequacy list, pseudonymisation non-compliant where required), or when the tool has a
       final assessment (even an expired one) and lacks a valid agreement, a known
       pseudonymisation status or known data locations;
    2. no current final assessment: `under_review` when a draft is open, else `not_assessed`;
    3. `allowed_with_conditions` when the current assessment approved with conditions;
    4. `allowed`.
    The latest final assessment (by `assessed_on`, then id) is the one that counts; it is
    current up to and including the earlier of its `valid_until` and the day before
    `assessed_on` plus the reassessment interval. `expires_on` is an agreement's last valid day.

    With codes ranked worst to best as `ORDER`, fixing a recorded fact (moving data, lowering
    a risk, extending a date, signing an agreement) never lowers the rank. Adding the first
    final assessment is new information, not a fix: it can turn a missing agreement from a
    gap in a pending review into a reason for `not_allowed`.
    """
    return evaluate_with_following(tool, vendor, agreements, assessments, policy, today, board)[0]


def evaluate_with_following(tool: ToolIn, vendor: VendorIn | None, agreements: list[AgreementIn],
                            assessments: list[AssessmentIn], policy: Policy, today: dt.date,
                            board: str | None = None) -> tuple[Verdict, Verdict | None]:
    """`evaluate`, and the verdict from the day it changes by itself on (None if it never
    does): found on the way, as working out that day judges the tool on it. The following
    verdict's own `valid_until` is left None (when that one changes is not worked out)."""
    if vendor is not None and vendor.id != tool.vendor_id:
        raise ValueError(f"vendor {vendor.id!r} is not the vendor of tool {tool.id!r}")
    if any(tool.id not in a.tool_ids for a in agreements):
        raise ValueError(f"an agreement passed for tool {tool.id!r} does not cover it")
    if any(a.tool_id != tool.id for a in assessments):
        raise ValueError(f"an assessment passed for tool {tool.id!r} is about another tool")
    agreements = [a for a in agreements if a.party == "sector" or a.party == board]
    fixed = _Fixed(tool, assessments, policy.rules)
    judged = _judge(tool, agreements, policy.rules, today, fixed)
    day, then = _changes_on(tool, agreements, assessments, policy.rules, today, judged, fixed)
    return _verdict(judged, policy, today, day), \
        None if then is None else _verdict(then, policy, day, None)


def _verdict(judged, policy: Policy, day: dt.date, valid_until: dt.date | None) -> Verdict:
    code, conditions, reasons = judged
    return Verdict(code=code, label=code.label, conditions=conditions, reasons=reasons,
                   policy_version=policy.version, evaluated_on=day, valid_until=valid_until)


class _Fixed:
    """What `_judge` finds the same on every day: the assessment that counts, whether a
    draft is open, and the reasons of the rules that do not look at the date. Worked out
    once per tool: `_changes_on` judges a tool again on each day it might change."""

    __slots__ = ("latest", "draft_open", "pseudonymisation", "residual_risk", "data_location")

    def __init__(self, tool, assessments, rules: Rules):
        kinds = set(rules.assessment.accepted_kinds)
        relevant = [a for a in assessments if a.kind in kinds]
        finals = [a for a in relevant if a.status == AssessmentStatus.final]
        self.latest = max(finals, key=lambda a: (a.assessed_on, a.id), default=None)
        self.draft_open = any(a.status == AssessmentStatus.draft for a in relevant)
        self.pseudonymisation = _pseudonymisation(tool, rules)
        self.residual_risk = _residual_risk(self.latest, rules)
        self.data_location = _data_location(tool, rules)


def _judge(tool, agreements, rules: Rules, today, fixed: _Fixed):
    latest = fixed.latest
    current = latest if latest and last_valid_day(latest, rules) >= today else None
    draft_open = fixed.draft_open
    checks = [
        _agreement(tool, agreements, rules, today),
        fixed.pseudonymisation,
        _assessment(tool, latest, draft_open, today),
        fixed.residual_risk,
        fixed.data_location,
        _conditions(current),
        _reassessment(latest, rules, today),
    ]
    weights = {weight for _, weight in checks}
    if FACT in weights or (latest is not None and MISSING in weights):
        code = VerdictCode.not_allowed
    elif current is None:
        code = VerdictCode.under_review if draft_open else VerdictCode.not_assessed
    elif current.outcome == Outcome.approved_with_conditions:
        code = VerdictCode.allowed_with_conditions
    else:
        code = VerdictCode.allowed
    conditions = list(current.conditions) if code == VerdictCode.allowed_with_conditions else []
    return code, conditions, [reason for reason, _ in checks]


def _changes_on(tool, agreements, assessments, rules: Rules, today, now, fixed: _Fixed
                ) -> tuple[dt.date | None, tuple | None]:
    """The first day after `today` on which `_judge` gives another answer than `now`, its
    answer on `today`, with that answer; or (None, None)."""
    candidates = {a.expires_on + dt.timedelta(days=1) for a in agreements if a.expires_on}
    for a in assessments:
        if a.valid_until:
            candidates.add(a.valid_until + dt.timedelta(days=1))
        candidates.add(add_months(a.assessed_on, rules.reassessment.interval_months))
    for day in sorted(d for d in candidates if d > today):
        if (then := _judge(tool, agreements, rules, day, fixed)) != now:
            return day, then
    return None, None


# Publishing 100,000 tools asks for the same few hundred days 600,000 times.
