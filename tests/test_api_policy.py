"""The policy API, live verdicts, what-if and the expiry radar, on the demo data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.models import Role

TODAY = dt.date(2026, 11, 28)
POLICY = json.loads((Path(__file__).parent.parent / "data" / "policy.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The app on the demo data, 28 November 2026, with a publisher and a procurement token."""
    path = tmp_path_factory.mktemp("demo") / "registry.db"
    with TestClient(create_app(Settings(db_path=path, today=lambda: TODAY, four_eyes=False))) as client:
        registry = client.app.state.registry
        _, publisher = registry.tokens.create("sector", Role.publisher)
        _, procurement = registry.tokens.create("inkoop", Role.procurement)
        client.headers_for = {"publisher": {"Authorization": f"Bearer {publisher}"},
                              "procurement": {"Authorization": f"Bearer {procurement}"}}
        yield client


def proposed(**rules) -> dict:
    policy = json.loads(json.dumps(POLICY))
    policy["version"] = "2027.1"
    for rule, params in rules.items():
        policy["rules"][rule].update(params)
    return policy


def test_the_policy_is_public(demo):
    response = demo.get("/api/policy")
    assert response.status_code == 200
    assert response.headers["etag"] == '"2026.1"'
    assert response.json()["rules"]["agreement"]["accepted_models"] == ["model_4", "model_3"]


def test_what_if_dropping_model_3_names_exactly_the_tools_that_change(demo):
    body = proposed(agreement={"accepted_models": ["model_4"]})
    response = demo.post("/api/policy/simulate", json=body, headers=demo.headers_for["publisher"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["current_version"], result["proposed_version"]) == ("2026.1", "2027.1")
    changes = {c["tool_id"]: (c["before"], c["after"]) for c in result["changes"]}
    assert changes == {
        "taaltuin-lezen": ("allowed_with_conditions", "not_allowed"),
        "taaltuin-spelling": ("allowed", "not_allowed"),
    }
    for change in result["changes"]:
        assert len(change["reasons"]) == 1
        assert "verwerkersovereenkomst" in change["reasons"][0].lower()


def test_what_if_needs_the_publisher_role(demo):
    body = proposed()
    assert demo.post("/api/policy/simulate", json=body).status_code == 401
    response = demo.post("/api/policy/simulate", json=body, headers=demo.headers_for["procurement"])
    assert response.status_code == 403


def test_what_if_with_an_invalid_policy_names_the_field(demo):
    body = proposed(residual_risk={"maximum": "very"})
    response = demo.post("/api/policy/simulate", json=body, headers=demo.headers_for["publisher"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "$.rules.residual_risk.maximum"


def test_live_verdict_of_a_tool(demo):
    response = demo.get("/api/tools/lernfabrik-toezicht/verdict",
                        headers=demo.headers_for["procurement"])
    assert response.status_code == 200
    verdict = response.json()
    assert (verdict["code"], verdict["label"]) == ("not_allowed", "Niet toegestaan")
    assert verdict["policy_version"] == "2026.1" and verdict["evaluated_on"] == "2026-11-28"
    failed = [r["rule"] for r in verdict["reasons"] if not r["passed"]]
    assert failed == ["residual_risk"]
    assert demo.get("/api/tools/lernfabrik-toezicht/verdict").status_code == 401
    assert demo.get("/api/tools/bestaat-niet/verdict",
                    headers=demo.headers_for["procurement"]).status_code == 404


@pytest.mark.parametrize(
    ("code", "ids"),
    [
        ("under_review", ["noorderlicht-wereld", "schoolplein-ouders"]),
        ("not_assessed", ["lernfabrik-scheikunde", "maakplaats-podcast"]),
    ],
)
def test_tool_list_filters_and_shows_verdicts(demo, code, ids):
    response = demo.get(f"/api/tools?verdict={code}", headers=demo.headers_for["procurement"])
    page = response.json()
    assert [t["id"] for t in page["items"]] == ids
    assert page["total"] == len(ids)
    assert {t["verdict"] for t in page["items"]} == {code}


def test_expiry_radar_lists_soonest_first(demo):
    response = demo.get("/api/expiring?within=60", headers=demo.headers_for["procurement"])
    assert response.status_code == 200
    items = response.json()
    assert items and items == sorted(items, key=lambda e: e["last_valid_day"])
    first = items[0]
    assert all(0 <= e["days_left"] <= 60 for e in items)
    assert {"kind", "id", "last_valid_day", "days_left"} <= set(first)
    soon = demo.get("/api/expiring?within=47", headers=demo.headers_for["procurement"]).json()
    assert "2027-01-15" in {e["last_valid_day"] for e in items}
    assert "2027-01-15" not in {e["last_valid_day"] for e in soon}
    assert demo.get("/api/expiring?within=-1",
                    headers=demo.headers_for["procurement"]).status_code == 400


def test_replacing_the_policy_is_versioned_audited_and_guarded(demo):
    publisher = demo.headers_for["publisher"]
    body = proposed(reassessment={"interval_months": 36})
    assert demo.put("/api/policy", json=body).status_code == 401
    assert demo.put("/api/policy", json=body,
                    headers=demo.headers_for["procurement"] | {"If-Match": '"2026.1"'}
                    ).status_code == 403
    assert demo.put("/api/policy", json=body, headers=publisher).status_code == 428
    assert demo.put("/api/policy", json=body,
                    headers=publisher | {"If-Match": '"2025.9"'}).status_code == 412

    response = demo.put("/api/policy", json=body, headers=publisher | {"If-Match": '"2026.1"'})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2027.1"'
    assert demo.get("/api/policy").json()["rules"]["reassessment"]["interval_months"] == 36

    again = demo.put("/api/policy", json=body, headers=publisher | {"If-Match": "*"})
    assert again.status_code == 409
    versions = demo.get("/api/policy/versions").json()
    # Public: who stored a version (a token's name) is for the audit log only.
    assert [v["version"] for v in versions] == ["2026.1", "2027.1"]
    assert all("actor" not in v for v in versions)
    assert "sector" not in demo.get("/api/policy/versions").text
    events = [e for e in demo.app.state.registry.audit.events() if e.kind == "policy"]
    assert [(e.record_id, e.actor) for e in events] == [("2026.1", "default"), ("2027.1", "sector")]
    assert events[1].changed == ["rules"]
    verdict = demo.get("/api/tools/noorderlicht-rekenen/verdict",
                       headers=demo.headers_for["procurement"]).json()
    assert verdict["policy_version"] == "2027.1"
