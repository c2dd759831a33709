"""The verdict: a pure function of a tool's records, the policy and a date.

It never reads the database or the clock; the caller passes `today`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from registry.labels import (
    AGREEMENT_STATUS_SENTENCES,
    COUNTRY_NAMES,
    KIND_PHRASES,
    MODEL_PHRASES,
    OTHER_COUNTRY,
    RISK_LABELS,
    dutch_date,
)
from registry.labels import VERDICT_LABELS as LABELS
from registry.models import (
    AgreementIn,
    AgreementStatus,
    AssessmentIn,
    AssessmentStatus,
    Base,
    Outcome,
    PseudonymisationStatus,
    Risk,
    ToolIn,
    VendorIn,
)

if TYPE_CHECKING:  # only for hints
    from registry.policy import Policy, Rules

# Membership of the European Economic Area is law, not a choice sector staff make, so it is a
# constant; the countries with an adequacy decision that count are a policy parameter.
EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"
    .split()
)

RuleId = Literal[
    "agreement",
    "pseudonymisation",
    "assessment",
    "residual_risk",
    "data_location",
    "conditions",
    "reassessment",
]
RULE_IDS: tuple[str, ...] = RuleId.__args__
"""The stable rule ids, in the order a verdict lists its reasons."""


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


class RecordRef(Base, kw_only=True):
    """The record a reason is based on."""

    kind: Literal["agreement", "assessment", "tool", "vendor"]
    id: str


class Reason(Base, kw_only=True):
    """The outcome of one rule, in a Dutch sentence a teacher understands."""

    rule: RuleId
    passed: bool
    text: str
    record: RecordRef | None


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

# How much a failing rule weighs. A FACT (rejected, risk too high, data outside the EEA, not
# pseudonymised) forbids the tool whatever else is known. MISSING (no valid agreement,
# pseudonymisation or data location unknown) forbids it only once it has a final assessment:
# before that, the gap is part of a review that has not happened yet. STALE (no assessment,
# or an expired one) leaves the tool unassessed or under review.
FACT, MISSING, STALE = "fact", "missing", "stale"


def evaluate(
    tool: ToolIn,
    vendor: VendorIn | None,
    agreements: list[AgreementIn],
    assessments: list[AssessmentIn],
    policy: Policy,
    today: dt.date,
) -> Verdict:
    """The verdict on `tool` under `policy` on `today`, with one reason per rule.

    `agreements` are those covering the tool, `assessments` those of the tool. `vendor` is
    only checked for consistency: no default rule is about the vendor.

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
    if vendor is not None and vendor.id != tool.vendor_id:
        raise ValueError(f"vendor {vendor.id!r} is not the vendor of tool {tool.id!r}")
    if any(tool.id not in a.tool_ids for a in agreements):
        raise ValueError(f"an agreement passed for tool {tool.id!r} does not cover it")
    if any(a.tool_id != tool.id for a in assessments):
        raise ValueError(f"an assessment passed for tool {tool.id!r} is about another tool")
    fixed = _Fixed(tool, assessments, policy.rules)
    judged = _judge(tool, agreements, policy.rules, today, fixed)
    code, conditions, reasons = judged
    return Verdict(
        code=code,
        label=code.label,
        conditions=conditions,
        reasons=reasons,
        policy_version=policy.version,
        evaluated_on=today,
        valid_until=_changes_on(tool, agreements, assessments, policy.rules, today, judged,
                                fixed),
    )


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
                ) -> dt.date | None:
    """The first day after `today` on which `_judge` gives another answer than `now`, its
    answer on `today`, or None."""
    candidates = {a.expires_on + dt.timedelta(days=1) for a in agreements if a.expires_on}
    for a in assessments:
        if a.valid_until:
            candidates.add(a.valid_until + dt.timedelta(days=1))
        candidates.add(add_months(a.assessed_on, rules.reassessment.interval_months))
    for day in sorted(d for d in candidates if d > today):
        if _judge(tool, agreements, rules, day, fixed) != now:
            return day
    return None


# Publishing 100,000 tools asks for the same few hundred days 600,000 times.
@functools.lru_cache(maxsize=4096)
def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the last day of a shorter month (31 jan → 28 feb)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_valid_day(assessment: AssessmentIn, rules: Rules) -> dt.date:
    """The last day on which an assessment counts: its own end, or the reassessment interval."""
    by_age = add_months(assessment.assessed_on, rules.reassessment.interval_months)
    last = by_age - dt.timedelta(days=1)
    return min(last, assessment.valid_until) if assessment.valid_until else last


def _ref(kind, record) -> RecordRef | None:
    return RecordRef(kind=kind, id=record.id) if record is not None else None


def _reason(rule, text, record, weight=None):
    return Reason(rule=rule, passed=weight is None, text=text, record=record), weight


# --- the rules, one function each; the Dutch text is what a teacher reads ----------------

NO_PERSONAL_DATA = "Deze tool verwerkt geen persoonsgegevens."


def _agreement(tool, agreements, rules: Rules, today):
    accepted = rules.agreement.accepted_models
    if not tool.processes_personal_data:
        text = f"{NO_PERSONAL_DATA} Een verwerkersovereenkomst is dan niet nodig."
        return _reason("agreement", text, _ref("tool", tool))

    def valid(a):
        unexpired = a.expires_on is None or a.expires_on >= today
        return a.status == AgreementStatus.signed and a.model_version in accepted and unexpired

    if good := [a for a in agreements if valid(a)]:
        best = max(good, key=lambda a: (a.expires_on or dt.date.max, a.id))
        until = f"tot en met {_day(best.expires_on)}" if best.expires_on else "zonder einddatum"
        model = MODEL_PHRASES[best.model_version]
        text = f"Er is een getekende verwerkersovereenkomst volgens {model}, geldig {until}."
        return _reason("agreement", text, _ref("agreement", best))
    if not agreements:
        text = "Deze tool verwerkt persoonsgegevens, maar er is geen verwerkersovereenkomst."
        return _reason("agreement", text, _ref("tool", tool), MISSING)
    # Describe the agreement closest to counting: signed before pending before terminated.
    best = max(
        agreements,
        key=lambda a: (
            STATUS_RANK[a.status], a.model_version in accepted, a.expires_on or dt.date.max, a.id
        ),
    )
    if best.status != AgreementStatus.signed:
        text = AGREEMENT_STATUS_SENTENCES[best.status]
    elif best.model_version not in accepted:
        model = MODEL_PHRASES[best.model_version]
        text = f"De verwerkersovereenkomst volgt {model}. Dat model is niet goedgekeurd."
    else:
        until = _day(best.expires_on)
        text = f"De verwerkersovereenkomst was geldig tot en met {until} en is verlopen."
    return _reason("agreement", text, _ref("agreement", best), MISSING)


def _pseudonymisation(tool, rules: Rules):
    ref, law = _ref("tool", tool), "de Wet pseudonimisering leerlinggegevens"
    status = tool.pseudonymisation.status
    if not tool.processes_personal_data:
        text = f"{NO_PERSONAL_DATA} Pseudonimisering is dan niet nodig."
        return _reason("pseudonymisation", text, ref)
    if tool.category not in rules.pseudonymisation.receives_pupil_identities:
        text = (
            "Dit soort tool krijgt geen leerlinggegevens uit de systemen van school. "
            "Pseudonimisering is daarom niet nodig."
        )
        return _reason("pseudonymisation", text, ref)
    if status == PseudonymisationStatus.compliant:
        return _reason("pseudonymisation", f"De tool voldoet aan {law}.", ref)
    if status == PseudonymisationStatus.not_applicable:
        text = f"De tool krijgt geen leerlinggegevens van school, dus {law} geldt niet."
        return _reason("pseudonymisation", text, ref)
    if status == PseudonymisationStatus.non_compliant:
        text = f"De tool krijgt leerlinggegevens van school, maar voldoet niet aan {law}."
        return _reason("pseudonymisation", text, ref, FACT)
    text = f"Het is niet bekend of de tool voldoet aan {law}. Voor dit soort tool is dat verplicht."
    return _reason("pseudonymisation", text, ref, MISSING)


def _assessment(tool, latest, draft_open, today):
    if latest is None:
        text = "Deze tool is nog niet beoordeeld op privacy."
        if draft_open:
            text += " Er loopt nu een beoordeling."
        return _reason("assessment", text, _ref("tool", tool), STALE)
    ref = _ref("assessment", latest)
    who = f"{latest.assessor} heeft de tool op {_day(latest.assessed_on)}"
    if latest.outcome == Outcome.rejected:
        return _reason("assessment", f"{who} afgekeurd in {KIND_PHRASES[latest.kind]}.", ref, FACT)
    if latest.valid_until and latest.valid_until < today:
        until = _day(latest.valid_until)
        text = f"De beoordeling was geldig tot en met {until}. Er is een nieuwe beoordeling nodig."
        return _reason("assessment", text, ref, STALE)
    with_conditions = latest.outcome == Outcome.approved_with_conditions
    how = "onder voorwaarden goedgekeurd" if with_conditions else "goedgekeurd"
    text = f"{who} {how} in {KIND_PHRASES[latest.kind]}."
    if latest.valid_until:
        text += f" De beoordeling is geldig tot en met {_day(latest.valid_until)}."
    return _reason("assessment", text, ref)


def _residual_risk(latest, rules: Rules):
    if latest is None:
        text = "Het restrisico is nog niet bekend, omdat de tool nog niet is beoordeeld."
        return _reason("residual_risk", text, None, STALE)
    risk, maximum = latest.residual_risk, rules.residual_risk.maximum
    text = (f"Het restrisico is {RISK_LABELS[risk]}. "
            f"Het mag niet hoger zijn dan {RISK_LABELS[maximum]}.")
    too_high = RISK_RANK[risk] > RISK_RANK[maximum]
    return _reason("residual_risk", text, _ref("assessment", latest), FACT if too_high else None)


def _data_location(tool, rules: Rules):
    ref = _ref("tool", tool)
    if not tool.processes_personal_data:
        text = f"{NO_PERSONAL_DATA} Waar de gegevens staan, maakt dan niet uit."
        return _reason("data_location", text, ref)
    safe = _safe_countries(tuple(rules.data_location.adequacy))
    outside = [c for c in tool.data_locations if c not in safe]
    via_others = [
        s.country for s in tool.sub_processors if s.country not in safe and s.country not in outside
    ]
    if outside or via_others:
        where = _countries(outside + via_others)
        text = (
            f"Gegevens worden opgeslagen of verwerkt buiten de EER, in {where}. "
            "Volgens de minimumeisen zijn persoonsgegevens daar niet goed genoeg beschermd."
        )
        if via_others:
            text += " Dat gebeurt via een ander bedrijf dat voor de leverancier werkt."
        return _reason("data_location", text, ref, FACT)
    if not tool.data_locations:
        text = "Het is niet bekend waar de gegevens worden opgeslagen."
        return _reason("data_location", text, ref, MISSING)
    places = tool.data_locations + [s.country for s in tool.sub_processors]
    text = f"De gegevens worden opgeslagen en verwerkt in {_countries(places)}. " + (
        "Dat is binnen de Europese Economische Ruimte (EER)."
        if set(places) <= EEA
        else "Dat is binnen de EER of in een land dat persoonsgegevens goed genoeg beschermt."
    )
    return _reason("data_location", text, ref)


@functools.lru_cache(maxsize=16)
def _safe_countries(adequacy: tuple[str, ...]) -> frozenset[str]:
    return EEA | frozenset(adequacy)


def _conditions(current):
    # This rule never fails: it only turns an approval into an approval with conditions.
    if current is None:
        text = "Er zijn nog geen voorwaarden bekend, omdat er geen geldige beoordeling is."
    elif current.outcome == Outcome.approved_with_conditions:
        text = "De beoordeling stelt voorwaarden. Gebruik de tool alleen als je je daaraan houdt."
    else:
        text = "De beoordeling stelt geen extra voorwaarden."
    return _reason("conditions", text, _ref("assessment", current))


def _reassessment(latest, rules: Rules, today):
    months = rules.reassessment.interval_months
    period = f"{months} maanden" if months != 1 else "1 maand"
    if latest is None:
        text = f"Er is nog geen beoordeling. Een tool moet elke {period} opnieuw worden beoordeeld."
        return _reason("reassessment", text, None, STALE)
    due = add_months(latest.assessed_on, months)
    ref = _ref("assessment", latest)
    if due <= today:
        text = (
            f"De laatste beoordeling is van {_day(latest.assessed_on)} en is ouder dan {period}. "
            "Er is een nieuwe beoordeling nodig."
        )
        return _reason("reassessment", text, ref, STALE)
    text = (
        f"De laatste beoordeling is van {_day(latest.assessed_on)}. "
        f"Vanaf {_day(due)} is een nieuwe beoordeling nodig."
    )
    return _reason("reassessment", text, ref)


# --- how values rank (their Dutch words are in registry.labels) ------------------------------

RISK_RANK = {risk: rank for rank, risk in enumerate(Risk)}
STATUS_RANK = {
    AgreementStatus.terminated: 0,
    AgreementStatus.offered: 1,
    AgreementStatus.in_review: 2,
    AgreementStatus.signed: 3,
}


def _countries(codes) -> str:
    names = list(dict.fromkeys(COUNTRY_NAMES.get(code, OTHER_COUNTRY) for code in codes))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def _day(day: dt.date) -> str:
    return dutch_date(day)
