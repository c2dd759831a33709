"""API tokens scoped to a school board, through the API on the demo data: the authorisation
matrix (a board's token × every write: its own board's records, another board's, the
sector's, and every other write), what it reads, and that sector tokens keep their roles."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.models import Role

TODAY = dt.date(2026, 11, 28)
OWN, OTHER = "99002", "99001"
POLICY = json.loads((Path(__file__).parent.parent / "data" / "policy.json").read_text())
# Tools on which no demo board decided anything, one per case that stores a decision, so the
# cases of one app never share a live (board, tool).
FREE_TOOLS = itertools.cycle([
    "noorderlicht-rekenen", "noorderlicht-taal", "noorderlicht-wereld", "sommenstad-oefenen",
    "taaltuin-lezen", "taaltuin-spelling", "schoolplein-las", "schoolplein-ouders",
    "toetsmeester-toetsen", "toetsmeester-examentrainer", "lernfabrik-wiskunde",
    "lernfabrik-toezicht", "lernfabrik-woordjes", "bordwerk-whiteboard", "schoolbel-app",
    "brightboard-classroom", "denkvonk-assistent", "denkvonk-huiswerkhulp",
    "maakplaats-klassenklok", "maakplaats-quiz", "maakplaats-podcast"])
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The app on the demo data (28 November 2026) with sector tokens and board B's tokens."""
    path = tmp_path_factory.mktemp("boards") / "registry.db"
    with TestClient(create_app(Settings(db_path=path, today=lambda: TODAY,
                                        four_eyes=False))) as client:
        registry = client.app.state.registry
        registry.today = lambda: TODAY
        tokens = {"sector": registry.tokens.create("sector", Role.procurement)[1],
                  "sector-publisher": registry.tokens.create("redactie", Role.publisher)[1],
                  "board": registry.tokens.create("bestuur-b", Role.procurement, OWN)[1],
                  "board-publisher": registry.tokens.create("bestuur-b-publicatie",
                                                            Role.publisher, OWN)[1]}
        client.auth_for = {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}
        yield client


def owner_value(owner: str) -> str:
    return {"own": OWN, "other": OTHER, "sector": "sector"}[owner]


def decision(owner: str, tool: str | None = None, record_id: str | None = None) -> dict:
    board = owner_value(owner)
    return {"id": record_id or f"test-{next(_numbers)}", "board_id": board,
            "tool_id": tool or next(FREE_TOOLS), "decision": "stricter", "not_allowed": True,
            "reason": "Niet op onze scholen.", "decided_on": "2026-11-01",
            "decided_by": "College van bestuur"}


def agreement(owner: str, record_id: str | None = None) -> dict:
    return {"id": record_id or f"test-{next(_numbers)}", "vendor_id": "schoolbel",
            "tool_ids": ["schoolbel-app"], "model_version": "model_4", "status": "signed",
            "signed_on": "2026-01-15", "party": owner_value(owner)}


BODIES = {"board_decisions": decision, "agreements": agreement}
FIELDS = {"board_decisions": "board_id", "agreements": "party"}


def stored(api, kind: str, owner: str) -> dict:
    """A record of `owner` ("own", "other", "sector"), created with the sector's token."""
    response = api.post(f"/api/{kind}", json=BODIES[kind](owner), headers=api.auth_for["sector"])
    assert response.status_code == 201, response.text
    return response.json()


def as_input(record: dict) -> dict:
    return {k: v for k, v in record.items()
            if k not in ("version", "created_at", "updated_at", "archived_at")}


# --- the matrix: a board's token × the writes of agreements and board decisions -------------

KINDS = ["board_decisions", "agreements"]
OWNERS = {"board_decisions": ["own", "other"], "agreements": ["own", "other", "sector"]}


@pytest.mark.parametrize(("kind", "owner"), [(k, o) for k in KINDS for o in OWNERS[k]])
def test_a_board_token_creates_only_its_own_boards_records(api, kind, owner):
    body = BODIES[kind](owner)
    response = api.post(f"/api/{kind}", json=body, headers=api.auth_for["board"])
    if owner == "own":
        assert response.status_code == 201, response.text
        assert response.json()[FIELDS[kind]] == OWN
        return
    assert response.status_code == 403, response.text
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [f"$.{FIELDS[kind]}"]
    assert OWN in problem["detail"]
    assert api.get(f"/api/{kind}/{body['id']}", headers=api.auth_for["sector"]).status_code == 404


UPDATES = [(kind, before, after, status)
           for kind in KINDS
           for before, after, status in [
               ("own", "own", 200), ("own", "other", 403),
               ("other", "other", 404), ("other", "own", 404)]] + [
    ("agreements", "own", "sector", 403), ("agreements", "sector", "sector", 403),
    ("agreements", "sector", "own", 403)]


@pytest.mark.parametrize(("kind", "before", "after", "status"), UPDATES)
def test_a_board_token_updates_only_its_own_boards_records(api, kind, before, after, status):
    record = stored(api, kind, before)
    body = as_input(record) | {FIELDS[kind]: owner_value(after), "reason": "Gewijzigd."}
    if kind == "agreements":
        body = as_input(record) | {FIELDS[kind]: owner_value(after), "expires_on": "2029-12-31"}
    response = api.put(f"/api/{kind}/{record['id']}", json=body,
                       headers=api.auth_for["board"] | {"If-Match": '"1"'})
    assert response.status_code == status, response.text
    now = api.get(f"/api/{kind}/{record['id']}", headers=api.auth_for["sector"]).json()
    assert now["version"] == (2 if status == 200 else 1)  # nothing written when refused
    if status == 403:
        assert OWN in response.json()["detail"]


@pytest.mark.parametrize(("kind", "owner", "status"), [
    ("board_decisions", "own", 200), ("board_decisions", "other", 404),
    ("agreements", "own", 200), ("agreements", "other", 404), ("agreements", "sector", 403)])
def test_a_board_token_archives_only_its_own_boards_records(api, kind, owner, status):
    record = stored(api, kind, owner)
    response = api.delete(f"/api/{kind}/{record['id']}",
                          headers=api.auth_for["board"] | {"If-Match": "*"})
    assert response.status_code == status, response.text
    now = api.get(f"/api/{kind}/{record['id']}", headers=api.auth_for["sector"]).json()
    assert (now.get("archived_at") is not None) == (status == 200)


# --- every other write is refused, naming the board --------------------------------------

OTHER_WRITES = [
    ("board", "POST", "/api/vendors", {}),
    ("board", "POST", "/api/tools", {}),
    ("board", "PUT", "/api/tools/schoolbel-app", {}),
    ("board", "DELETE", "/api/tools/schoolbel-app", None),
    ("board", "POST", "/api/assessments", {}),
    ("board", "POST", "/api/boards", {}),
    ("board", "PUT", f"/api/boards/{OWN}", {}),
    ("board", "DELETE", f"/api/boards/{OWN}", None),
    ("board", "POST", "/api/imports", {}),
    ("board", "PUT", "/api/review-requests/x", {}),
    ("board-publisher", "POST", "/api/publications", None),
    ("board-publisher", "POST", "/api/publications/prepared", None),
    ("board-publisher", "POST", "/api/publications/prepared/x/approve", None),
    ("board-publisher", "POST", "/api/publications/1/restore", None),
    ("board-publisher", "PUT", "/api/policy", POLICY),
    ("board-publisher", "POST", "/api/policy/simulate", POLICY),
    ("board-publisher", "POST", "/api/policy/prepared/x/approve", None),
]


@pytest.mark.parametrize(("token", "method", "path", "body"), OTHER_WRITES,
                         ids=[f"{m} {p}" for _, m, p, _ in OTHER_WRITES])
def test_every_other_write_refuses_a_board_token_naming_its_board(api, token, method, path,
                                                                   body):
    response = api.request(method, path, json=body,
                           headers=api.auth_for[token] | {"If-Match": "*"})
    assert response.status_code == 403, response.text
    assert response.json()["detail"].startswith(f"This API token is scoped to board {OWN}")


def test_the_sector_publisher_still_publishes_and_sector_procurement_still_writes(api):
    response = api.post("/api/publications", headers=api.auth_for["sector-publisher"])
    assert response.status_code in (200, 201), response.text
    for owner in ("own", "other"):
        assert api.post("/api/board_decisions", json=decision(owner),
                        headers=api.auth_for["sector"]).status_code == 201
    assert api.post("/api/boards", json={"id": "99999", "name": "Testbestuur",
                                         "school_types": ["PO"]},
                    headers=api.auth_for["sector"]).status_code == 201


# --- what a board's token reads -----------------------------------------------------------

def test_a_board_token_lists_only_the_sectors_and_its_own_boards_agreements(api):
    listed = api.get("/api/agreements", params={"limit": 200}, headers=api.auth_for["board"])
    assert listed.status_code == 200
    parties = {a["party"] for a in listed.json()["items"]}
    assert parties <= {"sector", OWN} and "sector" in parties
    ids = {a["id"] for a in listed.json()["items"]}
    assert "bordwerk-avv" not in ids  # board A's own agreement
    assert listed.json()["total"] == len(ids)
    everything = api.get("/api/agreements", params={"limit": 200},
                         headers=api.auth_for["sector"]).json()
    assert "bordwerk-avv" in {a["id"] for a in everything["items"]}
    filtered = api.get("/api/agreements", params={"party": OTHER}, headers=api.auth_for["board"])
    assert filtered.json()["items"] == []


def test_a_board_token_lists_only_its_own_boards_decisions(api):
    listed = api.get("/api/board_decisions", params={"limit": 200},
                     headers=api.auth_for["board"]).json()
    assert {d["board_id"] for d in listed["items"]} == {OWN}
    assert {"99002-lernfabrik-scheikunde", "99002-maakplaats-studio"} <= {
        d["id"] for d in listed["items"]}
    by_tool = api.get("/api/board_decisions", params={"tool": "lernfabrik-scheikunde"},
                      headers=api.auth_for["board"]).json()
    assert [d["id"] for d in by_tool["items"]] == ["99002-lernfabrik-scheikunde"]


@pytest.mark.parametrize("path", [
    "/api/agreements/bordwerk-avv", "/api/agreements/bordwerk-avv/history",
    "/api/board_decisions/99003-lernfabrik-scheikunde",
    "/api/board_decisions/99003-lernfabrik-scheikunde/history"])
def test_another_boards_records_are_not_found_for_a_board_token(api, path):
    assert api.get(path, headers=api.auth_for["board"]).status_code == 404
    assert api.get(path, headers=api.auth_for["sector"]).status_code == 200


@pytest.mark.parametrize("path", [
    "/api/vendors", "/api/tools", "/api/tools/schoolbel-app", "/api/assessments",
    "/api/boards", f"/api/boards/{OTHER}", "/api/agreements/schoolbel-2024",
    "/api/board_decisions/99002-lernfabrik-scheikunde", "/api/tools/schoolbel-app/history"])
def test_a_board_token_reads_records(api, path):
    assert api.get(path, headers=api.auth_for["board"]).status_code == 200


def test_reads_beyond_the_records_refuse_a_board_token(api):
    for path in ("/api/publications", "/api/review-requests", "/api/expiring"):
        response = api.get(path, headers=api.auth_for["board-publisher"])
        assert response.status_code == 403, path
        assert OWN in response.json()["detail"]


def test_the_list_filters_of_boards_and_decisions_work(api):
    sector = api.auth_for["sector"]
    assert [b["id"] for b in api.get("/api/boards", params={"school_type": "VO"},
                                     headers=sector).json()["items"]] == [OWN]
    assert [b["id"] for b in api.get("/api/boards", params={"school": "99AA"},
                                     headers=sector).json()["items"]] == [OTHER]
    own = api.get("/api/board_decisions", params={"decision": "own_approval"},
                  headers=sector).json()["items"]
    assert [d["id"] for d in own] == ["99003-lernfabrik-scheikunde"]
    party = api.get("/api/agreements", params={"party": OTHER}, headers=sector).json()["items"]
    assert "bordwerk-avv" in {a["id"] for a in party}
    assert {a["party"] for a in party} == {OTHER}
    refused = api.get("/api/tools", params={"party": OTHER}, headers=sector)
    assert refused.status_code == 400 and "party" in refused.json()["detail"]


@pytest.mark.parametrize(("op_id", "filters"), [
    ("list_boards", {"school_type", "school", "q"}),
    ("list_agreements", {"vendor", "tool", "status", "party", "q"}),
    ("list_board_decisions", {"board", "tool", "decision", "q"}),
])
def test_the_board_filters_are_documented_for_their_own_kinds_only(api, op_id, filters):
    spec = api.get("/api/docs/openapi.json").json()
    ops = {op["operationId"]: op for ops in spec["paths"].values() for op in ops.values()}
    assert {p["name"] for p in ops[op_id]["parameters"]} == {"limit", "offset", "archived"} | filters
    tools = {p["name"] for p in ops["list_tools"]["parameters"]}
    assert not tools & {"party", "board", "decision", "school_type", "school"}
