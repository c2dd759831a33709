"""The published JSON Schemas: generated from the models, committed, served, and strict enough."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import msgspec
import pytest
from jsonschema import Draft202012Validator

from registry import jsonschemas, models
from registry.errors import field_errors

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
DEMO = json.loads((ROOT / "data" / "demo.json").read_text(encoding="utf-8"))


def committed(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    """A validator built from the committed file, the way a user of the schemas would."""
    return Draft202012Validator(committed(name), format_checker=Draft202012Validator.FORMAT_CHECKER)



# --- generated, committed, well-formed ----------------------------------------------------------


def test_the_schema_folder_holds_exactly_the_published_schemas():
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == [
        "agreement.schema.json", "assessment.schema.json", "board.schema.json",
        "board_decision.schema.json", "bundle.schema.json",
        "policy.schema.json", "tool.schema.json", "vendor.schema.json",
    ]


@pytest.mark.parametrize("name", jsonschemas.NAMES)
def test_committed_file_is_what_the_models_generate(name):
    assert (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8") == jsonschemas.render(
        name
    ), f"schemas/{name}.schema.json is stale: run `python -m registry.jsonschemas`"


def test_check_mode_reports_drift(tmp_path, monkeypatch, capsys):
    assert jsonschemas.main(["--check"]) == 0
    jsonschemas.write_all(tmp_path)
    (tmp_path / "tool.schema.json").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(jsonschemas, "SCHEMA_DIR", tmp_path)
    assert jsonschemas.main(["--check"]) == 1
    assert capsys.readouterr().err == "schemas/tool.schema.json is out of date\n"


@pytest.mark.parametrize("name", jsonschemas.NAMES)
def test_header_of_every_schema(name):
    schema = committed(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.witte-lijst.nl/{name}.schema.json"
    assert schema["title"] and schema["description"]


def test_bundle_embeds_and_references_the_record_schemas():
    bundle = committed("bundle")
    for name, kind in (("vendor", "vendors"), ("tool", "tools"), ("agreement", "agreements"),
                       ("assessment", "assessments")):
        assert bundle["$defs"]["Bundle"]["properties"][kind]["items"] == {
            "$ref": f"https://schemas.witte-lijst.nl/{name}.schema.json"
        }
        embedded = dict(bundle["$defs"][name])
        assert embedded == {k: v for k, v in committed(name).items() if k != "$schema"}


# --- the demo data and the schemas agree ------------------------------------------------------


def test_demo_bundle_is_valid_against_the_committed_bundle_schema():
    assert list(validator("bundle").iter_errors(DEMO)) == []


@pytest.mark.parametrize("name", ["vendor", "tool", "agreement", "assessment"])
def test_every_demo_record_is_valid_against_its_record_schema(name):
    records = DEMO[name + "s"]
    assert records
    assert [(r["id"], e.message) for r in records for e in validator(name).iter_errors(r)] == []


# --- bad input: the schema says what msgspec says, at the same field ---------------------------

TOOL = DEMO["tools"][0]
AGREEMENT = DEMO["agreements"][0]
ASSESSMENT = DEMO["assessments"][2]
VENDOR = DEMO["vendors"][0]

BAD = [
    # (schema, record, change, field, message)
    ("vendor", VENDOR, {"kvk_number": "1234"}, "$.kvk_number",
     "must be a KvK number of exactly 8 digits (for example '12345678')"),
    ("vendor", VENDOR, {"website": "www.example.nl"}, "$.website",
     "must be an absolute http:// or https:// URL"),
    ("vendor", VENDOR, {"covenant_status": "none"}, "$.covenant_since",
     "`covenant_since` is only meaningful with a covenant status"),
    ("vendor", VENDOR, {"colour": "blue"}, "$.colour",
     "is not a known field; remove it or check its spelling"),
    ("tool", TOOL, {"category": "games"}, "$.category",
     "'games' is not one of: ai_assistant, assessment, communication, content_creation, "
     "learning_material, other, practice, productivity, pupil_administration"),
    ("tool", TOOL, {"minimum_age": "twelve"}, "$.minimum_age", "must be a whole number"),
    ("tool", TOOL, {"minimum_age": 120}, "$.minimum_age", "must be 99 or less"),
    ("tool", TOOL, {"levels": []}, "$.levels", "must list at least one value"),
    ("tool", TOOL, {"levels": ["PO", "PO"]}, "$.levels", "lists the same value twice"),
    ("tool", TOOL, {"name": ""}, "$.name", "must not be empty"),
    ("tool", TOOL, {"domains": [{"host": "Rekenen.NL"}]}, "$.domains[0].host",
     "must be a host name in lower case such as 'app.example.nl' (internationalised names in "
     "punycode, no scheme, port or path)"),
    ("tool", TOOL, {"data_locations": ["Nederland"]}, "$.data_locations[0]",
     "'Nederland' is not one of the allowed values (ISO 3166-1 alpha-2 country code, upper "
     "case (NL, DE, US))"),
    ("agreement", AGREEMENT, {"signed_on": None}, "$.signed_on",
     "`signed_on` is required when the status is `signed`"),
    ("agreement", AGREEMENT, {"deviations": True}, "$.deviations_summary",
     "`deviations_summary` is required when `deviations` is true"),
    ("agreement", AGREEMENT, {"tool_ids": ["a", "a"]}, "$.tool_ids", "lists the same value twice"),
    ("assessment", ASSESSMENT, {"assessed_on": "2026-02-30"}, "$.assessed_on",
     "'2026-02-30' is not a date written as YYYY-MM-DD, for example '2026-02-01'"),
    ("assessment", ASSESSMENT, {"assessed_on": "1-2-2026"}, "$.assessed_on",
     "'1-2-2026' is not a date written as YYYY-MM-DD, for example '2026-02-01'"),
    ("assessment", ASSESSMENT, {"outcome": None}, "$.outcome",
     "`outcome` is required when the status is `final`"),
    ("assessment", ASSESSMENT, {"residual_risk": None}, "$.residual_risk",
     "`residual_risk` is required when the status is `final`"),
    ("assessment", ASSESSMENT, {"outcome": "approved_with_conditions", "conditions": []},
     "$.conditions", "`conditions` must list at least one condition when the outcome is "
     "`approved_with_conditions`"),
    ("assessment", ASSESSMENT, {"kind": None}, "$.kind", "is required"),
]


def changed(record: dict, change: dict) -> dict:
    out = copy.deepcopy(record)
    for key, value in change.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("name", "record", "change", "field", "message"), BAD,
                         ids=[f"{b[0]}-{next(iter(b[2]))}" for b in BAD])
def test_schema_reports_bad_input_where_msgspec_does(name, record, change, field, message):
    bad = changed(record, change)
    errors = jsonschemas.schema_errors(name, bad)
    assert [(e.field, e.message) for e in errors] == [(field, message)]
    in_type = models.RECORD_TYPES[name + "s"][0]
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(bad, in_type)
    assert field_errors(refused.value).field == field


def test_formats_are_really_checked():
    # Without a format checker, "format": "date" is only an annotation and this passes.
    bad = changed(ASSESSMENT, {"assessed_on": "2027-13-01"})
    assert list(Draft202012Validator(committed("assessment")).iter_errors(bad)) == []
    assert [e.message for e in validator("assessment").iter_errors(bad)] == [
        "'2027-13-01' is not a 'date'"
    ]


def test_rules_json_schema_cannot_say_are_named_in_the_description():
    assert "`expires_on` must be after `signed_on`" in committed("agreement")["description"]
    assert "`valid_until` must be after `assessed_on`" in committed("assessment")["description"]


# --- served by the API ---------------------------------------------------------------------------


def test_list_of_schemas_is_public(client):
    response = client.get("/api/schemas")
    assert response.status_code == 200
    assert [(s["name"], s["url"]) for s in response.json()] == [
        ("vendor", "/api/schemas/vendor"), ("tool", "/api/schemas/tool"),
        ("board", "/api/schemas/board"),
        ("agreement", "/api/schemas/agreement"), ("assessment", "/api/schemas/assessment"),
        ("board_decision", "/api/schemas/board_decision"),
        ("bundle", "/api/schemas/bundle"), ("policy", "/api/schemas/policy"),
    ]
    assert response.json()[6]["id"] == "https://schemas.witte-lijst.nl/bundle.schema.json"


@pytest.mark.parametrize("path", ["/api/schemas/tool", "/api/schemas/tool.schema.json"])
def test_a_schema_is_served_as_committed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.content == (SCHEMAS / "tool.schema.json").read_bytes()


def test_unknown_schema_is_a_problem(client):
    response = client.get("/api/schemas/teacher")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == "No schema with id 'teacher'."
