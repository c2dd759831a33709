"""The policy document, its schema, and the pure verdict it gives a tool on a given day."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from msgspec.structs import replace

from registry.models import (
    AgreementIn,
    AgreementStatus,
    AssessmentIn,
    AssessmentKind,
    Category,
    ModelVersion,
    Outcome,
    Pseudonymisation,
    PseudonymisationStatus,
    Risk,
    Tool,
    ToolIn,
    VendorIn,
)
from registry.policy import (
    DEFAULT_POLICY_PATH,
    Policy,
    PolicyError,
    decode_policy,
    load_policy,
    policy_schema,
)
from registry.verdict import (
    LABELS,
    ORDER,
    RULE_IDS,
    RecordRef,
    Verdict,
    VerdictCode,
    evaluate,
)
from registry.verdict import add_months

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "schemas" / "policy.schema.json"
POLICY_PATH = ROOT / "data" / "policy.json"

POLICY = load_policy()
TODAY = dt.date(2026, 9, 1)
DAY = dt.timedelta(days=1)

TOOL = {
    "id": "rekenrijk",
    "vendor_id": "rekenfabriek",
    "name": "Rekenrijk",
    "category": "practice",
    "levels": ["PO"],
    "data_locations": ["NL"],
    "pseudonymisation": {"status": "compliant", "uses_eck_id": True},
}
AGREEMENT = {
    "id": "rekenfabriek-2026",
    "vendor_id": "rekenfabriek",
    "tool_ids": ["rekenrijk"],
    "model_version": "model_4",
    "status": "signed",
    "signed_on": dt.date(2026, 1, 5),
    "expires_on": dt.date(2028, 12, 31),
}
ASSESSMENT = {
    "id": "rekenrijk-dpia-2026",
    "tool_id": "rekenrijk",
    "kind": "dpia",
    "assessor": "Kennisnet",
    "assessed_on": dt.date(2026, 3, 12),
    "status": "final",
    "outcome": "approved",
    "residual_risk": "low",
}
CONDITIONS = ["Alleen met een schoolaccount.", "Geen bijzondere persoonsgegevens invoeren."]


def tool(**changes) -> ToolIn:
    return msgspec.convert({**TOOL, **changes}, ToolIn)


def agreement(**changes) -> AgreementIn:
    return msgspec.convert({**AGREEMENT, **changes}, AgreementIn)


def assessment(**changes) -> AssessmentIn:
    return msgspec.convert({**ASSESSMENT, **changes}, AssessmentIn)


def verdict(tool_=None, agreements=None, assessments=None, policy=POLICY, today=TODAY) -> Verdict:
    """The verdict on the standard tool, agreement and assessment, with the given ones instead."""
    return evaluate(
        tool_ or tool(),
        None,
        [agreement()] if agreements is None else agreements,
        [assessment()] if assessments is None else assessments,
        policy,
        today,
    )


def failing(v: Verdict) -> set[str]:
    return {r.rule for r in v.reasons if not r.passed}


def reason(v: Verdict, rule: str):
    return next(r for r in v.reasons if r.rule == rule)


def with_rule(rule: str, **changes) -> Policy:
    """The default policy with parameters of one rule changed."""
    rules = replace(POLICY.rules, **{rule: replace(getattr(POLICY.rules, rule), **changes)})
    return replace(POLICY, rules=rules)


OLD = {"assessed_on": dt.date(2024, 9, 1)}  # exactly 24 months before TODAY: expired today
DRAFT = {"id": "rekenrijk-dpia-nieuw", "status": "draft", "outcome": None, "residual_risk": None}
NO_RECORDS = {"agreements": [], "assessments": []}

# (id, tool changes, agreements, assessments, code, failing rules); None means the standard one.
CASES = [
    ("all-rules-pass", {}, None, None, "allowed", set()),
    ("approved-with-conditions", {}, None,
     [assessment(outcome="approved_with_conditions", conditions=CONDITIONS)],
     "allowed_with_conditions", set()),
    # agreement
    ("no-personal-data-needs-no-agreement", {"processes_personal_data": False}, [], None,
     "allowed", set()),
    ("no-agreement", {}, [], None, "not_allowed", {"agreement"}),
    ("agreement-expired-yesterday", {}, [agreement(expires_on=TODAY - DAY)], None,
     "not_allowed", {"agreement"}),
    ("agreement-valid-on-its-last-day", {}, [agreement(expires_on=TODAY)], None, "allowed", set()),
    ("agreement-without-end-date", {}, [agreement(expires_on=None)], None, "allowed", set()),
    ("agreement-model-3", {}, [agreement(model_version="model_3")], None, "allowed", set()),
    ("agreement-model-2", {}, [agreement(model_version="model_2")], None,
     "not_allowed", {"agreement"}),
    ("agreement-general-model", {}, [agreement(model_version="general")], None,
     "not_allowed", {"agreement"}),
    ("agreement-own-text", {}, [agreement(model_version="own")], None,
     "not_allowed", {"agreement"}),
    ("agreement-offered", {}, [agreement(status="offered", signed_on=None)], None,
     "not_allowed", {"agreement"}),
    ("agreement-in-review", {}, [agreement(status="in_review", signed_on=None)], None,
     "not_allowed", {"agreement"}),
    ("agreement-terminated", {}, [agreement(status="terminated")], None,
     "not_allowed", {"agreement"}),
    ("expired-agreement-next-to-valid-one", {},
     [agreement(id="rekenfabriek-2023", expires_on=TODAY - DAY), agreement()], None,
     "allowed", set()),
    # assessment and reassessment
    ("assessment-exactly-interval-old", {}, None, [assessment(**OLD)],
     "not_assessed", {"reassessment"}),
    ("assessment-a-day-younger-than-interval", {}, None,
     [assessment(assessed_on=dt.date(2024, 9, 2))], "allowed", set()),
    ("assessment-valid-until-yesterday", {}, None, [assessment(valid_until=TODAY - DAY)],
     "not_assessed", {"assessment"}),
    ("assessment-valid-on-its-last-day", {}, None, [assessment(valid_until=TODAY)],
     "allowed", set()),
    ("expired-assessment-with-open-draft", {}, None, [assessment(**OLD), assessment(**DRAFT)],
     "under_review", {"reassessment"}),
    ("only-a-draft", {}, None, [assessment(**DRAFT)],
     "under_review", {"assessment", "residual_risk", "reassessment"}),
    ("only-withdrawn", {}, None, [assessment(status="withdrawn")],
     "not_assessed", {"assessment", "residual_risk", "reassessment"}),
    ("draft-and-withdrawn-ignored-next-to-final", {}, None, [
        assessment(),
        assessment(**{**DRAFT, "assessed_on": dt.date(2026, 8, 1)}),
        assessment(id="rekenrijk-scan", kind="privacy_quickscan", status="withdrawn",
                   assessed_on=dt.date(2026, 8, 2), outcome="rejected", residual_risk="high"),
    ], "allowed", set()),
    ("nothing-known", {}, [], [],
     "not_assessed", {"agreement", "assessment", "residual_risk", "reassessment"}),
    ("rejected", {}, None, [assessment(outcome="rejected")], "not_allowed", {"assessment"}),
    ("rejected-expired-with-open-draft", {}, None,
     [assessment(outcome="rejected", **OLD), assessment(**DRAFT)],
     "not_allowed", {"assessment", "reassessment"}),
    ("expired-assessment-and-no-agreement", {}, [], [assessment(**OLD)],
     "not_allowed", {"agreement", "reassessment"}),
    # several final assessments: the latest counts
    ("newer-approval-replaces-rejection", {}, None,
     [assessment(id="rekenrijk-dpia-2025", assessed_on=dt.date(2025, 5, 1), outcome="rejected"),
      assessment()], "allowed", set()),
    ("newer-rejection-replaces-approval", {}, None,
     [assessment(), assessment(id="rekenrijk-dpia-2026b", assessed_on=dt.date(2026, 6, 1),
                               outcome="rejected")], "not_allowed", {"assessment"}),
    ("same-day-the-higher-id-counts", {}, None,
     [assessment(id="rekenrijk-b", outcome="rejected"), assessment(id="rekenrijk-c")],
     "allowed", set()),
    ("newer-conditions-replace-approval", {}, None,
     [assessment(id="rekenrijk-dpia-2025", assessed_on=dt.date(2025, 5, 1)),
      assessment(outcome="approved_with_conditions", conditions=CONDITIONS)],
     "allowed_with_conditions", set()),
    # residual risk
    ("residual-risk-medium-is-the-maximum", {}, None, [assessment(residual_risk="medium")],
     "allowed", set()),
    ("residual-risk-high", {}, None, [assessment(residual_risk="high")],
     "not_allowed", {"residual_risk"}),
    # data location
    ("data-in-nl-and-de", {"data_locations": ["NL", "DE"]}, None, None, "allowed", set()),
    ("data-in-ch-adequacy", {"data_locations": ["CH"]}, None, None, "allowed", set()),
    ("data-in-us", {"data_locations": ["NL", "US"]}, None, None,
     "not_allowed", {"data_location"}),
    ("sub-processor-in-us", {"sub_processors": [
        {"name": "Wolkopslag", "activity": "Opslag", "country": "US"}]}, None, None,
     "not_allowed", {"data_location"}),
    ("sub-processor-in-gb", {"sub_processors": [
        {"name": "Wolkopslag", "activity": "Opslag", "country": "GB"}]}, None, None,
     "allowed", set()),
    ("data-location-unknown", {"data_locations": []}, None, None,
     "not_allowed", {"data_location"}),
    ("data-location-unknown-before-assessment", {"data_locations": []}, None, [],
     "not_assessed", {"data_location", "assessment", "residual_risk", "reassessment"}),
    ("data-in-us-before-assessment", {"data_locations": ["US"]}, None, [],
     "not_allowed", {"data_location", "assessment", "residual_risk", "reassessment"}),
    ("no-personal-data-anywhere", {"processes_personal_data": False, "data_locations": ["US"]},
     [], None, "allowed", set()),
    # pseudonymisation
    ("pseudonymisation-non-compliant-where-required",
     {"pseudonymisation": {"status": "non_compliant"}}, None, None,
     "not_allowed", {"pseudonymisation"}),
    ("pseudonymisation-non-compliant-not-checked-for-communication",
     {"category": "communication", "pseudonymisation": {"status": "non_compliant"}}, None, None,
     "allowed", set()),
    ("pseudonymisation-unknown-where-required", {"pseudonymisation": {"status": "unknown"}},
     None, None, "not_allowed", {"pseudonymisation"}),
    ("pseudonymisation-unknown-before-assessment", {"pseudonymisation": {"status": "unknown"}},
     None, [], "not_assessed", {"pseudonymisation", "assessment", "residual_risk", "reassessment"}),
    ("pseudonymisation-not-applicable", {"pseudonymisation": {"status": "not_applicable"}},
     None, None, "allowed", set()),
    ("pseudonymisation-non-compliant-before-assessment",
     {"pseudonymisation": {"status": "non_compliant"}}, None, [],
     "not_allowed", {"pseudonymisation", "assessment", "residual_risk", "reassessment"}),
]


def case_verdict(tool_changes, agreements, assessments) -> Verdict:
    return verdict(tool(**tool_changes), agreements, assessments)


@pytest.mark.parametrize(
    ("tool_changes", "agreements", "assessments", "code", "failing_rules"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_verdict(tool_changes, agreements, assessments, code, failing_rules):
    v = case_verdict(tool_changes, agreements, assessments)
    assert (v.code, failing(v)) == (code, failing_rules)
    assert v.label == LABELS[VerdictCode(code)]
    assert [r.rule for r in v.reasons] == list(RULE_IDS)
    assert (v.policy_version, v.evaluated_on) == ("2026.1", TODAY)


def test_every_verdict_code_is_covered():
    assert {case[4] for case in CASES} == set(VerdictCode)


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("allowed", "Toegestaan"),
        ("allowed_with_conditions", "Toegestaan onder voorwaarden"),
        ("not_allowed", "Niet toegestaan"),
        ("under_review", "In beoordeling"),
        ("not_assessed", "Niet beoordeeld"),
    ],
)
def test_labels(code, label):
    assert VerdictCode(code).label == LABELS[VerdictCode(code)] == label


def test_order_runs_from_worst_to_best():
    assert [c.value for c in ORDER] == [
        "not_allowed", "not_assessed", "under_review", "allowed_with_conditions", "allowed"
    ]
    assert VerdictCode.not_allowed.rank < VerdictCode.allowed.rank


def test_conditions_are_carried_over_only_when_approved_with_conditions():
    with_conditions = assessment(outcome="approved_with_conditions", conditions=CONDITIONS)
    assert verdict(assessments=[with_conditions]).conditions == CONDITIONS
    assert verdict(agreements=[], assessments=[with_conditions]).conditions == []
    assert verdict(assessments=[assessment(conditions=["Alleen in de klas."])]).conditions == []


MODEL_4 = "het Model Verwerkersovereenkomst 4.0"
US_TEXT = (
    "Gegevens worden opgeslagen of verwerkt buiten de EER, in de Verenigde Staten. Volgens de "
    "minimumeisen zijn persoonsgegevens daar niet goed genoeg beschermd."
)

# (case id, rule, passed, text, record): the exact sentence a teacher reads.
TEXTS = [
    ("all-rules-pass", "agreement", True,
     f"Er is een getekende verwerkersovereenkomst volgens {MODEL_4}, geldig tot en met "
     "31 december 2028.", ("agreement", "rekenfabriek-2026")),
    ("agreement-without-end-date", "agreement", True,
     f"Er is een getekende verwerkersovereenkomst volgens {MODEL_4}, geldig zonder einddatum.",
     ("agreement", "rekenfabriek-2026")),
    ("no-personal-data-needs-no-agreement", "agreement", True,
     "Deze tool verwerkt geen persoonsgegevens. Een verwerkersovereenkomst is dan niet nodig.",
     ("tool", "rekenrijk")),
    ("no-agreement", "agreement", False,
     "Deze tool verwerkt persoonsgegevens, maar er is geen verwerkersovereenkomst.",
     ("tool", "rekenrijk")),
    ("agreement-expired-yesterday", "agreement", False,
     "De verwerkersovereenkomst was geldig tot en met 31 augustus 2026 en is verlopen.",
     ("agreement", "rekenfabriek-2026")),
    ("agreement-own-text", "agreement", False,
     "De verwerkersovereenkomst volgt een eigen tekst van de leverancier. Dat model is niet "
     "goedgekeurd.", ("agreement", "rekenfabriek-2026")),
    ("agreement-offered", "agreement", False,
     "De verwerkersovereenkomst is aangeboden, maar nog niet getekend.",
     ("agreement", "rekenfabriek-2026")),
    ("agreement-terminated", "agreement", False, "De verwerkersovereenkomst is beëindigd.",
     ("agreement", "rekenfabriek-2026")),
    ("all-rules-pass", "pseudonymisation", True,
     "De tool voldoet aan de Wet pseudonimisering leerlinggegevens.", ("tool", "rekenrijk")),
    ("pseudonymisation-non-compliant-where-required", "pseudonymisation", False,
     "De tool krijgt leerlinggegevens van school, maar voldoet niet aan de Wet pseudonimisering "
     "leerlinggegevens.", ("tool", "rekenrijk")),
    ("pseudonymisation-unknown-where-required", "pseudonymisation", False,
     "Het is niet bekend of de tool voldoet aan de Wet pseudonimisering leerlinggegevens. "
     "Voor dit soort tool is dat verplicht.", ("tool", "rekenrijk")),
    ("pseudonymisation-non-compliant-not-checked-for-communication", "pseudonymisation", True,
     "Dit soort tool krijgt geen leerlinggegevens uit de systemen van school. "
     "Pseudonimisering is daarom niet nodig.", ("tool", "rekenrijk")),
    ("all-rules-pass", "assessment", True,
     "Kennisnet heeft de tool op 12 maart 2026 goedgekeurd in een DPIA.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("approved-with-conditions", "assessment", True,
     "Kennisnet heeft de tool op 12 maart 2026 onder voorwaarden goedgekeurd in een DPIA.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("rejected", "assessment", False,
     "Kennisnet heeft de tool op 12 maart 2026 afgekeurd in een DPIA.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("assessment-valid-until-yesterday", "assessment", False,
     "De beoordeling was geldig tot en met 31 augustus 2026. Er is een nieuwe beoordeling nodig.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("only-a-draft", "assessment", False,
     "Deze tool is nog niet beoordeeld op privacy. Er loopt nu een beoordeling.",
     ("tool", "rekenrijk")),
    ("nothing-known", "assessment", False, "Deze tool is nog niet beoordeeld op privacy.",
     ("tool", "rekenrijk")),
    ("all-rules-pass", "residual_risk", True,
     "Het restrisico is laag. Het mag niet hoger zijn dan gemiddeld.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("residual-risk-high", "residual_risk", False,
     "Het restrisico is hoog. Het mag niet hoger zijn dan gemiddeld.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("nothing-known", "residual_risk", False,
     "Het restrisico is nog niet bekend, omdat de tool nog niet is beoordeeld.", None),
    ("data-in-nl-and-de", "data_location", True,
     "De gegevens worden opgeslagen en verwerkt in Nederland en Duitsland. "
     "Dat is binnen de Europese Economische Ruimte (EER).", ("tool", "rekenrijk")),
    ("data-in-ch-adequacy", "data_location", True,
     "De gegevens worden opgeslagen en verwerkt in Zwitserland. Dat is binnen de EER of in een "
     "land dat persoonsgegevens goed genoeg beschermt.", ("tool", "rekenrijk")),
    ("data-in-us", "data_location", False, US_TEXT, ("tool", "rekenrijk")),
    ("sub-processor-in-us", "data_location", False,
     US_TEXT + " Dat gebeurt via een ander bedrijf dat voor de leverancier werkt.",
     ("tool", "rekenrijk")),
    ("data-location-unknown", "data_location", False,
     "Het is niet bekend waar de gegevens worden opgeslagen.", ("tool", "rekenrijk")),
    ("all-rules-pass", "conditions", True, "De beoordeling stelt geen extra voorwaarden.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("approved-with-conditions", "conditions", True,
     "De beoordeling stelt voorwaarden. Gebruik de tool alleen als je je daaraan houdt.",
     ("assessment", "rekenrijk-dpia-2026")),
    ("nothing-known", "conditions", True,
     "Er zijn nog geen voorwaarden bekend, omdat er geen geldige beoordeling is.", None),
    ("all-rules-pass", "reassessment", True,
     "De laatste beoordeling is van 12 maart 2026. Vanaf 12 maart 2028 is een nieuwe "
     "beoordeling nodig.", ("assessment", "rekenrijk-dpia-2026")),
    ("assessment-exactly-interval-old", "reassessment", False,
     "De laatste beoordeling is van 1 september 2024 en is ouder dan 24 maanden. "
     "Er is een nieuwe beoordeling nodig.", ("assessment", "rekenrijk-dpia-2026")),
    ("nothing-known", "reassessment", False,
     "Er is nog geen beoordeling. Een tool moet elke 24 maanden opnieuw worden beoordeeld.",
     None),
]
CASE_INPUTS = {case[0]: case[1:4] for case in CASES}


@pytest.mark.parametrize(
    ("case", "rule", "passed", "text", "record"),
    [pytest.param(*t, id=f"{t[1]}-{t[0]}") for t in TEXTS],
)
def test_reason_text(case, rule, passed, text, record):
    r = reason(case_verdict(*CASE_INPUTS[case]), rule)
    assert (r.passed, r.text) == (passed, text)
    assert r.record == (RecordRef(kind=record[0], id=record[1]) if record else None)


# English words a teacher should never meet, and the shapes of codes and field names.
ENGLISH = re.compile(
    r"\b(agreement|assessment|allowed|approved|rejected|compliant|risk|policy|vendor|expired|"
    r"draft|final|withdrawn|signed|unknown|none|null|true|false|the|and|with|must)\b",
    re.IGNORECASE,
)
CODE_LIKE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[A-Z]{2}\b|`")


def assert_dutch(text: str):
    assert text[0].isupper() and text.endswith("."), text
    assert not ENGLISH.search(text), text
    assert not CODE_LIKE.search(text), text
    assert not any(rule in text for rule in RULE_IDS), text


@pytest.mark.parametrize("case", [pytest.param(c[1:4], id=c[0]) for c in CASES])
def test_reason_texts_are_dutch(case):
    for r in case_verdict(*case).reasons:
        assert_dutch(r.text)


def test_labels_and_explanations_are_dutch():
    for label in LABELS.values():
        assert not ENGLISH.search(label) and not CODE_LIKE.search(label), label
    for rule_id in RULE_IDS:
        assert_dutch(getattr(POLICY.rules, rule_id).explanation)


# (id, agreements, assessments, tool changes, first day the verdict changes)
VALID_UNTIL = [
    ("agreement-expires-first", [agreement(expires_on=dt.date(2027, 6, 30))], None, {},
     dt.date(2027, 7, 1)),
    ("assessment-reaches-interval-first", [agreement(expires_on=None)], None, {},
     dt.date(2028, 3, 12)),
    ("assessment-valid-until-first", None, [assessment(valid_until=dt.date(2027, 1, 31))], {},
     dt.date(2027, 2, 1)),
    ("earlier-agreement-covered-by-later-one",
     [agreement(id="rekenfabriek-oud", expires_on=dt.date(2026, 12, 31)),
      agreement(expires_on=None)], None, {}, dt.date(2028, 3, 12)),
    ("no-personal-data-ignores-agreement-end", [agreement(expires_on=dt.date(2026, 12, 31))],
     None, {"processes_personal_data": False}, dt.date(2028, 3, 12)),
    ("nothing-expires", [], [], {}, None),
    ("only-a-draft-never-expires", [], [assessment(**DRAFT)], {}, None),
    ("reason-changes-though-code-stays", [agreement(expires_on=dt.date(2027, 6, 30))],
     [], {}, dt.date(2027, 7, 1)),
    ("already-expired-records-do-not-count",
     [agreement(expires_on=TODAY - DAY)], [assessment(**OLD)], {}, None),
]


@pytest.mark.parametrize(
    ("agreements", "assessments", "tool_changes", "expected"),
    [pytest.param(*c[1:], id=c[0]) for c in VALID_UNTIL],
)
def test_valid_until_is_the_first_day_the_verdict_changes(
    agreements, assessments, tool_changes, expected
):
    v = verdict(tool(**tool_changes), agreements, assessments)
    assert v.valid_until == expected
    if expected:
        before = verdict(tool(**tool_changes), agreements, assessments, today=expected - DAY)
        after = verdict(tool(**tool_changes), agreements, assessments, today=expected)
        assert (before.code, before.reasons) == (v.code, v.reasons)
        assert (after.code, after.reasons) != (v.code, v.reasons)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 3, 12), 24, dt.date(2028, 3, 12)),
        (dt.date(2024, 2, 29), 24, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2026, 11, 30), 15, dt.date(2028, 2, 29)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


# (id, policy, tool changes, agreements, assessments, code)
POLICY_VARIANTS = [
    ("maximum-low-rejects-medium", with_rule("residual_risk", maximum=Risk.low), {}, None,
     [assessment(residual_risk="medium")], "not_allowed"),
    ("maximum-high-accepts-high", with_rule("residual_risk", maximum=Risk.high), {}, None,
     [assessment(residual_risk="high")], "allowed"),
    ("general-model-accepted",
     with_rule("agreement", accepted_models=[ModelVersion.model_4, ModelVersion.general]), {},
     [agreement(model_version="general")], None, "allowed"),
    ("model-3-no-longer-accepted", with_rule("agreement", accepted_models=[ModelVersion.model_4]),
     {}, [agreement(model_version="model_3")], None, "not_allowed"),
    ("ch-not-listed", with_rule("data_location", adequacy=[]), {"data_locations": ["CH"]}, None,
     None, "not_allowed"),
    ("us-listed", with_rule("data_location", adequacy=["US"]), {"data_locations": ["US"]}, None,
     None, "allowed"),
    ("interval-12-months", with_rule("reassessment", interval_months=12), {}, None,
     [assessment(assessed_on=dt.date(2025, 9, 1))], "not_assessed"),
    ("quickscan-not-accepted", with_rule("assessment", accepted_kinds=[AssessmentKind.dpia]), {},
     None, [assessment(kind="privacy_quickscan")], "not_assessed"),
    ("communication-requires-pseudonymisation",
     with_rule("pseudonymisation", receives_pupil_identities=[Category.communication]),
     {"category": "communication", "pseudonymisation": {"status": "non_compliant"}}, None, None,
     "not_allowed"),
]


@pytest.mark.parametrize(
    ("policy", "tool_changes", "agreements", "assessments", "code"),
    [pytest.param(*c[1:], id=c[0]) for c in POLICY_VARIANTS],
)
def test_policy_parameters_change_the_verdict(policy, tool_changes, agreements, assessments, code):
    assert verdict(tool(**tool_changes), agreements, assessments, policy=policy).code == code


def test_stored_records_are_evaluated_like_input_records():
    stamps = {"version": 3, "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
              "updated_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC)}
    stored = msgspec.convert({**TOOL, **stamps}, Tool)
    assert verdict(stored) == verdict(tool())


@pytest.mark.parametrize(
    ("vendor", "agreements", "assessments", "message"),
    [
        pytest.param(VendorIn(id="ander-bedrijf", name="Ander", country="NL"), None, None,
                     "not the vendor of tool 'rekenrijk'", id="other-vendor"),
        pytest.param(None, [agreement(tool_ids=["andere-tool"])], None,
                     "does not cover it", id="agreement-for-other-tool"),
        pytest.param(None, None, [assessment(tool_id="andere-tool")],
                     "is about another tool", id="assessment-of-other-tool"),
    ],
)
def test_records_of_another_tool_are_refused(vendor, agreements, assessments, message):
    with pytest.raises(ValueError, match=message):
        evaluate(tool(), vendor, agreements or [agreement()], assessments or [assessment()],
                 POLICY, TODAY)


# --- the policy document and its schema -----------------------------------------------------


def test_default_policy():
    assert (POLICY.version, POLICY.effective_on) == ("2026.1", dt.date(2026, 8, 1))
    rules = POLICY.rules
    assert [getattr(rules, rule_id).id for rule_id in RULE_IDS] == list(RULE_IDS)
    assert rules.agreement.accepted_models == ["model_4", "model_3"]
    assert rules.pseudonymisation.receives_pupil_identities == [
        "learning_material", "practice", "assessment", "pupil_administration"
    ]
    assert rules.residual_risk.maximum == "medium"
    assert set(rules.data_location.adequacy) == set(
        "CH GB JP CA NZ KR IL UY AR AD FO GG IM JE".split()
    )
    assert rules.reassessment.interval_months == 24


def test_packaged_policy_is_the_one_in_data():
    assert DEFAULT_POLICY_PATH.read_bytes() == POLICY_PATH.read_bytes(), (
        "registry/data/policy.json must be byte-identical to data/policy.json"
    )


def test_schema_file_is_generated_from_the_struct():
    expected = json.dumps(policy_schema(), indent=2, ensure_ascii=False) + "\n"
    assert SCHEMA_PATH.read_text(encoding="utf-8") == expected, (
        "schemas/policy.schema.json is stale: "
        "run `python -m registry.policy > schemas/policy.schema.json`"
    )


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_schema_header():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://schemas.witte-lijst.nl/policy.schema.json"


def test_default_policy_is_valid_against_the_schema():
    errors = [e.message for e in validator().iter_errors(json.loads(POLICY_PATH.read_bytes()))]
    assert errors == []


REMOVE = object()


def changed(path: str, value) -> bytes:
    """The default policy document with the value at a dotted path replaced (or removed)."""
    doc = json.loads(POLICY_PATH.read_bytes())
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[key]
    if value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return json.dumps(doc).encode()


# (path in the document, new value, msgspec's message)
BAD_POLICIES = [
    ("version", "26.1", "Expected `str` matching regex '^[0-9]{4}\\\\.[0-9]+(?!\\\\n)$' - at `$.version`"),
    ("effective_on", "2026-13-01", "Invalid RFC3339 encoded date - at `$.effective_on`"),
    ("rules.assessment", REMOVE, "Object missing required field `assessment` - at `$.rules`"),
    ("rules.agreement.id", "overeenkomst",
     "Invalid enum value 'overeenkomst' - at `$.rules.agreement.id`"),
    ("rules.agreement.accepted_models", [],
     "Expected `array` of length >= 1 - at `$.rules.agreement.accepted_models`"),
    ("rules.agreement.accepted_models", ["model_4", "model_4"],
     "`accepted_models` lists the same value twice - at `$.rules.agreement`"),
    ("rules.agreement.accepted_models", ["model_5"],
     "Invalid enum value 'model_5' - at `$.rules.agreement.accepted_models[0]`"),
    ("rules.residual_risk.maximum", "extreme",
     "Invalid enum value 'extreme' - at `$.rules.residual_risk.maximum`"),
    ("rules.data_location.adequacy", ["CH", "XX"],
     "Invalid enum value 'XX' - at `$.rules.data_location.adequacy[1]`"),
    ("rules.reassessment.interval_months", 0,
     "Expected `int` >= 1 - at `$.rules.reassessment.interval_months`"),
    ("rules.conditions.explanation", "Kort.",
     "Expected `str` of length >= 20 - at `$.rules.conditions.explanation`"),
    ("rules.conditions.colour", "blauw",
     "Object contains unknown field `colour` - at `$.rules.conditions`"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [pytest.param(*bad, id=f"{bad[0]}={bad[1] if bad[1] is not REMOVE else 'removed'}")
     for bad in BAD_POLICIES],
)
def test_invalid_policy_is_refused_by_struct_and_schema(path, value, message):
    document = changed(path, value)
    with pytest.raises(PolicyError) as raised:
        decode_policy(document, source="beleid.json")
    assert str(raised.value) == f"beleid.json is not a valid policy: {message}"
    assert list(validator().iter_errors(json.loads(document))) != []


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "beleid.json"
    path.write_text('{\n  "version": "2026.1",\n}\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"beleid\.json is not valid JSON: .* line 3 column 1"):
        load_policy(path)


# --- properties -------------------------------------------------------------------------------

# Weighted towards records that pass, so that most examples fail one or two rules, not all.
dates_before_today = st.integers(2, 1200).map(lambda n: TODAY - n * DAY)
locations = st.sampled_from([["NL"], ["NL"], ["NL", "DE"], ["CH"], ["NL", "US"], ["CN"], []])
sub_processor_countries = st.sampled_from([[], [], ["DE"], ["GB"], ["US"]])


def mostly(value, *others):
    return st.sampled_from([value, value, value, *others])


@st.composite
def tools(draw) -> ToolIn:
    subs = draw(sub_processor_countries)
    return tool(
        category=draw(st.sampled_from(Category)),
        processes_personal_data=draw(mostly(True, False)),
        data_locations=draw(locations),
        sub_processors=[{"name": "Wolkopslag", "activity": "Opslag", "country": c} for c in subs],
        pseudonymisation={"status": draw(mostly("compliant", *PseudonymisationStatus))},
    )


@st.composite
def agreements_(draw, number: int) -> AgreementIn:
    status = draw(mostly("signed", *AgreementStatus))
    signed_on = draw(dates_before_today) if status == "signed" or draw(st.booleans()) else None
    start = signed_on or TODAY - 1500 * DAY
    expires_on = draw(st.none() | st.integers(1, 2500).map(lambda n: start + n * DAY))
    return agreement(id=f"overeenkomst-{number}", status=status, signed_on=signed_on,
                     expires_on=expires_on, model_version=draw(mostly("model_4", *ModelVersion)))


@st.composite
def assessments_(draw, number: int) -> AssessmentIn:
    status = draw(mostly("final", "draft", "withdrawn"))
    final = status == "final"
    outcome = draw(mostly("approved", *Outcome) if final else st.none() | st.sampled_from(Outcome))
    risk = draw(mostly("low", *Risk) if final else st.none() | st.sampled_from(Risk))
    assessed_on = draw(dates_before_today)
    return assessment(
        id=f"beoordeling-{number}",
        kind=draw(st.sampled_from(AssessmentKind)),
        status=status,
        outcome=outcome,
        residual_risk=risk,
        assessed_on=assessed_on,
        valid_until=draw(st.none() | st.integers(1, 1200).map(lambda n: assessed_on + n * DAY)),
        conditions=CONDITIONS if outcome == "approved_with_conditions" else [],
    )


@st.composite
def situations(draw):
    n_agreements, n_assessments = draw(st.integers(0, 2)), draw(st.integers(0, 3))
    return (
        draw(tools()),
        [draw(agreements_(i)) for i in range(n_agreements)],
        [draw(assessments_(i)) for i in range(n_assessments)],
    )


def fix(rule: str, record: RecordRef | None, tool_, agreements, assessments):
    """The situation with the cause of a failing rule removed; None when no record is to blame."""
    if rule == "agreement":
        valid = agreement(id="nieuwe-overeenkomst", expires_on=None)
        return tool_, [*agreements, valid], assessments
    if rule == "pseudonymisation":
        compliant = Pseudonymisation(status=PseudonymisationStatus.compliant)
        return replace(tool_, pseudonymisation=compliant), agreements, assessments
    if rule == "data_location":
        subs = [replace(s, country="NL") for s in tool_.sub_processors]
        return replace(tool_, data_locations=["NL"], sub_processors=subs), agreements, assessments
    if record is None or record.kind != "assessment":
        return None  # no final assessment yet: adding one is new information, not a fix

    def fixed(a: AssessmentIn) -> AssessmentIn:
        if a.id != record.id:
            return a
        if rule == "residual_risk":
            return replace(a, residual_risk=Risk.low)
        if rule == "assessment":
            outcome = Outcome.approved if a.outcome == Outcome.rejected else a.outcome
            return replace(a, outcome=outcome, valid_until=None)
        # reassessment: assessed yesterday, which keeps it the latest (the others are older)
        return replace(a, assessed_on=TODAY - DAY, valid_until=None)

    return tool_, agreements, [fixed(a) for a in assessments]


PROPERTY_SETTINGS = settings(derandomize=True, max_examples=200, database=None, deadline=None)


@PROPERTY_SETTINGS
@given(situations())
def test_verdict_is_deterministic_consistent_and_dutch(situation):
    tool_, agreements, assessments = situation
    v = evaluate(tool_, None, agreements, assessments, POLICY, TODAY)
    assert v == evaluate(tool_, None, agreements, assessments, POLICY, TODAY)
    assert v == evaluate(tool_, None, agreements[::-1], assessments[::-1], POLICY, TODAY)
    assert [r.rule for r in v.reasons] == list(RULE_IDS)
    assert v.label == LABELS[v.code]
    if v.code in ("allowed", "allowed_with_conditions"):
        assert failing(v) == set()
    if v.code == "not_allowed":
        assert failing(v) != set()
    assert bool(v.conditions) == (v.code == "allowed_with_conditions")
    for r in v.reasons:
        assert_dutch(r.text)


@PROPERTY_SETTINGS
@given(situations())
def test_fixing_a_failing_rule_never_makes_the_verdict_worse(situation):
    before = evaluate(situation[0], None, *situation[1:], POLICY, TODAY)
    for r in before.reasons:
        if r.passed or (fixed := fix(r.rule, r.record, *situation)) is None:
            continue
        after = evaluate(fixed[0], None, *fixed[1:], POLICY, TODAY)
        assert reason(after, r.rule).passed, (r.rule, reason(after, r.rule).text)
        assert after.code.rank >= before.code.rank, (r.rule, before.code, after.code)


@PROPERTY_SETTINGS
@given(situations(), st.data())
def test_verdict_holds_until_valid_until(situation, data):
    v = evaluate(situation[0], None, *situation[1:], POLICY, TODAY)
    last = (v.valid_until - DAY) if v.valid_until else TODAY + 3650 * DAY
    day = data.draw(st.integers(0, (last - TODAY).days).map(lambda n: TODAY + n * DAY))
    later = evaluate(situation[0], None, *situation[1:], POLICY, day)
    assert (later.code, later.conditions, later.reasons) == (v.code, v.conditions, v.reasons)
    if v.valid_until:
        changed_ = evaluate(situation[0], None, *situation[1:], POLICY, v.valid_until)
        assert (changed_.code, changed_.conditions, changed_.reasons) != (
            v.code, v.conditions, v.reasons
        )
