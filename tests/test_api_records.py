"""The records API: bad input, authorisation, optimistic concurrency, archive and history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

RECORDS = json.loads((Path(__file__).parent / "records.json").read_text())  # as `seeded` has them
VENDOR, TOOL, AGREEMENT, ASSESSMENT = (RECORDS[kind] for kind in
                                       ("vendors", "tools", "agreements", "assessments"))

NEW_IDS = {"vendors": "nieuw-bedrijf", "tools": "nieuwe-tool", "agreements": "nieuwe-ovk",
           "assessments": "nieuwe-dpia"}


def fresh(kind: str, **changes) -> dict:
    """A valid new record of `kind` (next to the seeded ones), with `changes` applied."""
    return {**RECORDS[kind], "id": NEW_IDS[kind], **changes}


# (kind, body, status, field, words in the message)
BAD_INPUT = [
    ("vendors", b'{"id": "x", "name": ', 400, None, "not valid JSON"),
    ("vendors", fresh("vendors", name=42), 422, "$.name", "expected `str`, got `int`"),
    ("vendors", fresh("vendors", colour="blue"), 422, "$.colour", "not a known field"),
    ("vendors", fresh("vendors", covenant_status="maybe"), 422, "$.covenant_status",
     "'maybe' is not one of the allowed values"),
    ("vendors", fresh("vendors", kvk_number="1234567"), 422, "$.kvk_number", "exactly 8 digits"),
    ("vendors", fresh("vendors", country="XX"), 422, "$.country", "'XX' is not one of"),
    ("vendors", fresh("vendors", website="ftp://example.nl"), 422, "$.website", "http:// or https://"),
    ("vendors", fresh("vendors", id="Nieuw Bedrijf"), 422, "$.id", "must be a slug"),
    ("vendors", fresh("vendors", id="rekenfabriek"), 409, None, "exists already"),
    ("vendors", {k: v for k, v in fresh("vendors").items() if k != "name"}, 422, "$.name",
     "is required"),
    ("tools", fresh("tools", levels="PO"), 422, "$.levels", "expected `array`, got `str`"),
    ("tools", fresh("tools", category="game"), 422, "$.category", "'game' is not one of"),
    ("tools", fresh("tools", levels=[]), 422, "$.levels", "length >= 1"),
    ("tools", fresh("tools", domains=[{"host": "https://x.nl/"}]), 422, "$.domains[0].host",
     "host name in lower case"),
    ("tools", fresh("tools", website="javascript:alert(1)"), 422, "$.website", "http:// or https://"),
    ("tools", fresh("tools", vendor_id="onbekend"), 422, "$.vendor_id", "no vendor with id 'onbekend'"),
    ("tools", fresh("tools", minimum_age=-1), 422, "$.minimum_age", ">= 0"),
    ("tools", fresh("tools", id="rekenrijk"), 409, None, "exists already"),
    ("agreements", fresh("agreements", signed_on="2026-05-01", expires_on="2026-04-30"), 422,
     "$.expires_on", "must be after `signed_on`"),
    ("agreements", fresh("agreements", model_version="model_9"), 422, "$.model_version",
     "'model_9' is not one of"),
    ("agreements", fresh("agreements", vendor_id="onbekend"), 422, "$.vendor_id",
     "no vendor with id 'onbekend'"),
    ("agreements", fresh("agreements", tool_ids=["onbekend"]), 422, "$.tool_ids[0]",
     "no tool with id 'onbekend'"),
    ("agreements", fresh("agreements", signed_on="31-12-2026"), 422, "$.signed_on", "date"),
    ("agreements", fresh("agreements", privacybijsluiter_url="www.example.nl"), 422,
     "$.privacybijsluiter_url", "http:// or https://"),
    ("agreements", fresh("agreements", status="signed", signed_on=None), 422, "$.signed_on",
     "required when the status is `signed`"),
    ("assessments", fresh("assessments", valid_until="2026-01-31"), 422, "$.valid_until",
     "must be after `assessed_on`"),
    ("assessments", fresh("assessments", outcome="approved_with_conditions"), 422,
     "$.conditions", "at least one condition"),
    ("assessments", fresh("assessments", residual_risk="extreme"), 422, "$.residual_risk",
     "'extreme' is not one of"),
    ("assessments", fresh("assessments", tool_id="onbekend"), 422, "$.tool_id",
     "no tool with id 'onbekend'"),
    ("assessments", fresh("assessments", risk_counts={"high": "twee"}), 422,
     "$.risk_counts.high", "expected `int`, got `str`"),
    ("assessments", fresh("assessments", id="rekenrijk-dpia"), 409, None, "exists already"),
    ("assessments", fresh("assessments", source_url="https://" + "a" * 3000 + ".nl"), 422,
     "$.source_url", "length <= 2000"),
    ("assessments", fresh("assessments", public_summary="x" * 2_000_000), 413, None,
     "larger than this endpoint accepts"),
]


@pytest.mark.matrix
@pytest.mark.parametrize(
    ("kind", "body", "status", "field", "words"),
    BAD_INPUT,
    ids=[f"{k}-{s}-{f or w}" for k, _, s, f, w in BAD_INPUT],
)
def test_bad_input_is_refused_with_the_field_and_changes_nothing(
    client, auth, seeded, registry, snapshot, kind, body, status, field, words
):
    before = snapshot(registry)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post(
        f"/api/{kind}", content=content, headers=auth | {"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert words.lower() in problem["detail"].lower()
    if field:
        assert [e["field"] for e in problem["errors"]] == [field]
        assert problem["detail"].startswith(field)
    assert snapshot(registry) == before


def test_update_with_bad_input_is_refused_and_changes_nothing(client, auth, seeded, registry,
                                                               snapshot):
    before = snapshot(registry)
    body = {**TOOL, "vendor_id": "onbekend"}
    response = client.put("/api/tools/rekenrijk", json=body, headers=auth | {"If-Match": '"1"'})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/vendor_id"
    assert snapshot(registry) == before


def test_an_update_cannot_change_the_id(client, auth, seeded):
    body = {**VENDOR, "id": "ander-id"}
    response = client.put("/api/vendors/rekenfabriek", json=body, headers=auth | {"If-Match": "*"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "$.id"


def test_agreement_tools_must_belong_to_its_vendor(client, auth, seeded):
    client.post("/api/vendors", json={**VENDOR, "id": "ander-bedrijf"}, headers=auth)
    response = client.post(
        "/api/agreements", json=fresh("agreements", vendor_id="ander-bedrijf"), headers=auth
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "$.tool_ids[0]: tool 'rekenrijk' belongs to vendor 'rekenfabriek', not to 'ander-bedrijf'."
    )


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("limit=201", "limit", "<= 200"),
        ("limit=0", "limit", ">= 1"),
        ("offset=-1", "offset", ">= 0"),
        ("archived=maybe", "archived", "matching regex"),
    ],
)
def test_list_parameters_out_of_range_give_400(client, auth, query, field, words):
    response = client.get(f"/api/tools?{query}", headers=auth)
    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["location"] == "query"
    assert words in problem["detail"]


@pytest.mark.parametrize(
    ("kind", "query", "detail"),
    [
        ("vendors", "category=practice", "The filter 'category' does not apply to vendors."),
        ("agreements", "status=final", "status: 'final' is not one of: offered, in_review, "
         "signed, terminated."),
    ],
)
def test_filters_that_do_not_apply_give_400(client, auth, kind, query, detail):
    response = client.get(f"/api/{kind}?{query}", headers=auth)
    assert response.status_code == 400
    assert response.json()["detail"] == detail


# --- authorisation ----------------------------------------------------------------------

WRITES = [
    ("POST", "/api/vendors", fresh("vendors"), 201),
    ("PUT", "/api/vendors/rekenfabriek", {**VENDOR, "name": "Rekenfabriek"}, 200),
    ("DELETE", "/api/vendors/rekenfabriek", None, 200),
    ("POST", "/api/tools", fresh("tools"), 201),
    ("PUT", "/api/tools/rekenrijk", {**TOOL, "name": "Rekenrijk 2"}, 200),
    ("DELETE", "/api/tools/rekenrijk", None, 200),
    ("POST", "/api/agreements", fresh("agreements"), 201),
    ("PUT", "/api/agreements/rekenfabriek-vo", {**AGREEMENT, "deviations": True, "deviations_summary": "Andere bewaartermijn"}, 200),
    ("DELETE", "/api/agreements/rekenfabriek-vo", None, 200),
    ("POST", "/api/assessments", fresh("assessments"), 201),
    ("PUT", "/api/assessments/rekenrijk-dpia", {**ASSESSMENT, "assessor": "SIVON Demo"}, 200),
    ("DELETE", "/api/assessments/rekenrijk-dpia", None, 200),
]
CALLERS = {"none": 401, "revoked": 401, "garbage": 401, "procurement": None, "publisher": None}


@pytest.mark.matrix
@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize(("method", "path", "body", "ok"), WRITES, ids=[f"{m} {p}" for m, p, *_ in WRITES])
def test_authorisation_matrix(client, seeded, tokens, registry, snapshot, caller, method, path,
                              body, ok):
    headers = {"If-Match": '"1"'}
    if caller in tokens:
        headers["Authorization"] = tokens[caller]
    elif caller == "garbage":
        headers["Authorization"] = "Bearer wlr_not-a-token"
    before = snapshot(registry)
    response = client.request(method, path, json=body, headers=headers)
    expected = CALLERS[caller] or ok
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["www-authenticate"] == 'Bearer realm="registry"'
        assert snapshot(registry) == before


def test_reads_need_a_token_too(client, seeded, tokens):
    assert client.get("/api/tools").status_code == 401
    assert client.get("/api/tools/rekenrijk").status_code == 401
    assert client.get("/api/tools/rekenrijk/history").status_code == 401
    headers = {"Authorization": tokens["revoked"]}
    assert client.get("/api/tools", headers=headers).status_code == 401


# --- optimistic concurrency -------------------------------------------------------------


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        (None, 428),
        ("", 428),
        ('"1"', 200),
        ('"2"', 412),
        ('W/"1"', 412),  # weak tags never match in If-Match
        ("1", 412),  # not a quoted entity tag
        ('"7", "1"', 200),
        ("*", 200),
    ],
)
def test_if_match(client, auth, seeded, if_match, status):
    headers = dict(auth)
    if if_match is not None:
        headers["If-Match"] = if_match
    response = client.put("/api/vendors/rekenfabriek", json={**VENDOR, "name": "Nieuw"}, headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["etag"] == '"2"'
        assert response.json()["version"] == 2


def test_if_match_star_needs_an_existing_record(client, auth, seeded):
    response = client.put("/api/vendors/bestaat-niet", json={**VENDOR, "id": "bestaat-niet"},
                          headers=auth | {"If-Match": "*"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No vendor with id 'bestaat-niet'."


def test_read_gives_etag_and_server_owned_fields(client, auth, seeded):
    response = client.get("/api/tools/rekenrijk", headers=auth)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    tool = response.json()
    assert tool["version"] == 1 and tool["created_at"] == tool["updated_at"]
    assert "archived_at" not in tool


def test_client_cannot_set_server_owned_fields(client, auth, seeded):
    response = client.post("/api/vendors", json=fresh("vendors", version=9), headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "$.version"


def test_an_unchanged_update_makes_no_new_version_or_event(client, auth, seeded, registry):
    events = len(registry.audit.events())
    response = client.put("/api/vendors/rekenfabriek", json=VENDOR, headers=auth | {"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert len(registry.audit.events()) == events


# --- archive and history ----------------------------------------------------------------


def test_archive_keeps_the_record_and_its_history_readable(client, auth, seeded):
    client.put("/api/tools/rekenrijk", json={**TOOL, "name": "Rekenrijk Plus"},
               headers=auth | {"If-Match": '"1"'})
    response = client.delete("/api/tools/rekenrijk", headers=auth | {"If-Match": '"2"'})
    assert response.status_code == 200
    assert response.json()["version"] == 3
    archived_at = response.json()["archived_at"]

    record = client.get("/api/tools/rekenrijk", headers=auth).json()
    assert record["name"] == "Rekenrijk Plus" and record["archived_at"] == archived_at

    history = client.get("/api/tools/rekenrijk/history", headers=auth).json()
    assert [(e["action"], e["version"], e["actor"]) for e in history] == [
        ("create", 1, "inkoop"), ("update", 2, "inkoop"), ("archive", 3, "inkoop"),
    ]
    assert history[1]["changed"] == ["name"]
    assert history[1]["before"]["name"] == "Rekenrijk" and history[1]["after"]["name"] == "Rekenrijk Plus"
    assert history[2]["changed"] == ["archived_at"]

    listed = client.get("/api/tools", headers=auth).json()
    assert listed["total"] == 0
    listed = client.get("/api/tools?archived=only", headers=auth).json()
    assert [t["id"] for t in listed["items"]] == ["rekenrijk"]

    again = client.put("/api/tools/rekenrijk", json=TOOL, headers=auth | {"If-Match": "*"})
    assert again.status_code == 409
    assert again.json()["detail"] == "The tool 'rekenrijk' is archived and can no longer change."


def test_the_database_refuses_deletes(registry, seeded):
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError, match="archived, never deleted"):
        registry.db.execute("DELETE FROM tools WHERE id = 'rekenrijk'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        registry.db.execute("UPDATE events SET actor = 'someone else'")


def test_history_of_unknown_record_is_404(client, auth):
    response = client.get("/api/vendors/nope/history", headers=auth)
    assert response.status_code == 404
    assert response.json()["detail"] == "No vendor with id 'nope'."


# --- lists ------------------------------------------------------------------------------


def test_list_filters_and_pagination(client, auth, seeded):
    for i in range(5):
        body = fresh("tools", id=f"tool-{i}", name=f"Tool {i}",
                     category="communication" if i % 2 else "practice",
                     levels=["VO"] if i < 2 else ["PO", "VO"])
        assert client.post("/api/tools", json=body, headers=auth).status_code == 201

    def ids(query: str) -> list[str]:
        return [t["id"] for t in client.get(f"/api/tools?{query}", headers=auth).json()["items"]]

    assert ids("category=communication") == ["tool-1", "tool-3"]
    assert ids("level=PO") == ["rekenrijk", "tool-2", "tool-3", "tool-4"]
    assert ids("vendor=rekenfabriek&limit=2&offset=1") == ["tool-0", "tool-1"]
    assert ids("q=tool 3") == ["tool-3"]
    assert ids("q=%25") == []  # a literal percent sign, not a wildcard
    page = client.get("/api/tools?limit=2", headers=auth).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (6, 2, 0, 2)
    assert [a["id"] for a in client.get("/api/assessments?tool=rekenrijk", headers=auth).json()["items"]] == ["rekenrijk-dpia"]
    assert [a["id"] for a in client.get("/api/agreements?tool=rekenrijk&status=signed", headers=auth).json()["items"]] == ["rekenfabriek-vo"]
