"""The minimum standards as rules, one function each: what a verdict's reasons say.

Each rule looks at a tool's records (and the policy's parameters) and gives a `Reason`, in a
Dutch sentence a teacher understands, with how much its failing weighs. `registry.verdict`
combines them into the verdict. Pure: no database, no clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
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
from registry.models import (
    AgreementStatus,
    AssessmentIn,
    Base,
    Outcome,
    PseudonymisationStatus,
    Risk,
)

if TYPE_CHECKING:  # only for hints
    from registry.policy import Rules

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


# How much a failing rule weighs. A FACT (rejected, risk too high, data outside the EEA, not
# pseudonymised) forbids the tool whatever else is known. MISSING (no valid agreement,
# pseudonymisation or data location unknown) forbids it only once it has a final assessment:
# before that, the gap is part of a review that has not happened yet. STALE (no assessment,
# or an expired one) leaves the tool unassessed or under review.
FACT, MISSING, STALE = "fact", "missing", "stale"


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
