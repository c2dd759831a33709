"""Issue 12, "Hardening II": each finding of the security probe, tested at its cause."""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry import db as storage
from registry import verdicts
from registry.api import imports as imports_api
from registry.api.askers import Askers
from registry.app import Settings, create_app
from registry.errors import MAX_DEPTH, too_deep
from registry.models import Role
from registry.verdicts import Records, current_policy

RECORDS = json.loads((Path(__file__).parent / "records.json").read_text())  # as `seeded` has them
TOOL, AGREEMENT = RECORDS["tools"], RECORDS["agreements"]

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).parent.parent
BUNDLE = (ROOT / "data" / "demo.json").read_bytes()
POLICY = json.loads((ROOT / "data" / "policy.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_client):
    """The app on the demo data, 28 November 2026, with a publisher token (`demo.token`)."""
    with demo_client(tmp_path_factory.mktemp("hardening"), Role.publisher, TODAY) as client:
        yield client


def loop_thread(client: TestClient) -> int:
    """The thread that runs the app's event loop."""

    async def ident() -> int:
        return threading.get_ident()

    return client.blocking_portal.call(ident)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


# --- 5: staff requests do not stall the event loop; a page computes only its verdicts -----------


def test_a_page_of_tools_computes_only_its_own_verdicts(demo, monkeypatch):
    evaluated = []
    evaluate = verdicts.evaluate_with_following

    def counting(tool, *args):
        evaluated.append(tool.id)
        return evaluate(tool, *args)

    monkeypatch.setattr(verdicts, "evaluate_with_following", counting)
    page = demo.get("/api/tools?limit=1", headers=demo.token).json()
    assert page["total"] == 26
    assert evaluated == [page["items"][0]["id"]]


def test_the_verdicts_of_a_page_are_those_of_the_whole_registry(tmp_path, demo_client):
    with demo_client(tmp_path, Role.publisher, TODAY) as client:
        registry = client.app.state.registry

        def old_way() -> dict[str, str]:
            records = Records.load(registry, include_archived_tools=True)
            policy = current_policy(registry)
            return {t.id: records.verdict(t, policy, TODAY).code
                    for t in registry.all("tools", include_archived=True)}

        before = old_way()
        # Archived records of every kind, whose rules `Records.load` has: archived vendors
        # still count, archived agreements and assessments do not, archived tools are listed.
        for kind, record_id in [("agreements", "sommenstad-2025"),
                                ("assessments", "noorderlicht-rekenen-dpia-2026"),
                                ("vendors", "taaltuin-educatief"), ("tools", "sommenstad-tafels")]:
            registry.archive(kind, record_id, "test", None)
        expected = old_way()
        assert expected != before  # the archiving changed verdicts, so they are tested
        for archived in ("exclude", "include", "only"):
            for limit in (1, 4, 200):
                listed = {}
                for offset in range(0, 26, limit):
                    page = client.get(f"/api/tools?archived={archived}&limit={limit}"
                                      f"&offset={offset}", headers=client.token).json()
                    listed |= {t["id"]: t["verdict"] for t in page["items"]}
                assert listed == {i: expected[i] for i in listed}, (archived, limit)
                assert len(listed) == page["total"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/tools?verdict=allowed&limit=2", None),
    ("GET", "/api/expiring?within=365", None),
    ("POST", "/api/policy/simulate", POLICY),
])
def test_whole_registry_work_runs_off_the_event_loop(demo, monkeypatch, method, path, body):
    threads = []
    load = Records.load.__func__

    def recording(cls, *args, **kwargs):
        threads.append(threading.get_ident())
        return load(cls, *args, **kwargs)

    monkeypatch.setattr(Records, "load", classmethod(recording))
    response = demo.request(method, path, json=body, headers=demo.token)
    assert response.status_code == 200, response.text
    assert threads and loop_thread(demo) not in threads


def test_filtering_on_verdicts_still_pages_and_counts(demo):
    page = demo.get("/api/tools?verdict=not_assessed&limit=1&offset=1", headers=demo.token).json()
    assert ([t["id"] for t in page["items"]], page["total"]) == (["maakplaats-podcast"], 2)
    assert page["items"][0]["verdict"] == "not_assessed"


def test_an_import_runs_off_the_event_loop(client, auth, monkeypatch):
    threads = []
    import_source = imports_api.import_source

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return import_source(*args, **kwargs)

    monkeypatch.setattr(imports_api, "import_source", recording)
    response = client.post("/api/imports", content=BUNDLE, headers=auth)
    assert response.status_code == 200, response.text
    assert threads and loop_thread(client) not in threads
    assert client.get("/api/tools?limit=1", headers=auth).json()["total"] == 26


def test_an_import_on_a_full_disk_is_still_a_507_that_changes_nothing(client, auth, registry,
                                                                     monkeypatch, snapshot):
    connect = storage.connect

    def full_disk(path):  # the import's own connection may grow by two pages only
        database = connect(path)
        pages = database.conn.execute("PRAGMA page_count").fetchone()[0]
        database.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return database

    before = snapshot(registry)
    monkeypatch.setattr(storage, "connect", full_disk)
    body = problem(client.post("/api/imports", content=BUNDLE, headers=auth), 507)
    assert body["detail"].startswith("The database is full")
    assert snapshot(registry) == before


def test_an_invalid_import_is_still_a_422_that_changes_nothing(client, auth, registry,
                                                                snapshot):
    bundle = json.loads(BUNDLE)
    bundle["tools"][0]["vendor_id"] = "bestaat-niet"
    before = snapshot(registry)
    body = problem(client.post("/api/imports", json=bundle, headers=auth), 422)
    assert body["errors"][0]["field"] == "$.tools[0].vendor_id"
    assert snapshot(registry) == before


# --- 7: JSON nested too deeply is a 400 at the decoding step, on every JSON endpoint ------------


def nested(depth: int, shape: str) -> bytes:
    if shape == "arrays":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.matrix
@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize("shape", ["arrays", "objects"])
@pytest.mark.parametrize(("method", "path", "who"), [
    ("POST", "/api/tools", "procurement"),
    ("PUT", "/api/tools/rekenrijk", "procurement"),
    ("POST", "/api/review-requests", None),
    ("PUT", "/api/policy", "publisher"),
    ("POST", "/api/imports", "procurement"),
])
def test_json_nested_too_deeply_is_a_400_naming_the_body(client, tokens, method, path, who,
                                                         shape, depth):
    headers = {"Content-Type": "application/json", "If-Match": "*"}
    if who:
        headers["Authorization"] = tokens[who]
    body = problem(client.request(method, path, content=nested(depth, shape), headers=headers),
                   400)
    assert body["detail"] == (f"The body is nested too deeply: arrays and objects may nest at "
                              f"most {MAX_DEPTH} levels.")


def test_every_operation_with_a_json_body_refuses_deep_nesting(client, tokens):
    spec = client.get("/api/docs/openapi.json").json()
    operations = [(method.upper(), path) for path, ops in spec["paths"].items()
                  for method, op in ops.items()
                  if "application/json" in op.get("requestBody", {}).get("content", {})]
    assert len(operations) >= 13
    headers = {"Authorization": tokens["publisher"], "Content-Type": "application/json",
               "If-Match": "*"}
    for method, path in operations:
        url = path.replace("{record_id}", "rekenrijk")
        response = client.request(method, url, content=nested(1000, "arrays"), headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(("text", "deep"), [
    (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, False),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), True),
    (json.dumps({"a": "[" * 5000, "b": "{" * 5000}).encode(), False),  # in strings: text
    (json.dumps({"a": '\\"' + "[" * 5000}).encode(), False),  # escaped quotes stay in the string
    (json.dumps([["x"] * 3000]).encode(), False),  # many, not deep
    (b'[' * 70 + b'"]]]]"', True),  # unbalanced and deep
])
def test_depth_is_counted_outside_strings(text, deep):
    assert too_deep(text) is deep


# --- 8c: an offset SQLite cannot hold is a 400, not a 500 ---------------------------------------


@pytest.mark.parametrize(("offset", "status"), [
    ("9223372036854775808", 400), ("10000001", 400), ("-1", 400), ("10000000", 200),
])
def test_the_review_request_queue_bounds_its_offset(client, auth, offset, status):
    response = client.get(f"/api/review-requests?offset={offset}", headers=auth)
    assert response.status_code == status, response.text


# --- 11: a review request reveals nothing of others, counts once a day, comes from our site ----


def from_peer(app):
    """The app as reached from the address in X-Test-Peer (the test client has only one)."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http" and (peer := dict(scope["headers"]).get(b"x-test-peer")):
            scope = {**scope, "client": (peer.decode(), 50000)}
        await app(scope, receive, send)

    return asgi


@pytest.fixture
def peers(db_path):
    """A client whose requests come from the address in X-Test-Peer, and its registry."""
    app = create_app(Settings(db_path=db_path, demo=False))
    with TestClient(from_peer(app)) as client:
        client.registry = app.state.registry
        yield client


def counts(registry) -> dict[str, int]:
    items, _ = registry.reviews.list(None, 50, 0)
    return {r.tool_name or r.host: r.count for r in items}


def test_the_answer_to_a_review_request_is_the_same_first_or_not(peers):
    answers = [peers.post("/api/review-requests", json={"tool_name": "Plakbord"},
                          headers={"X-Test-Peer": peer})
               for peer in ("192.0.2.1", "192.0.2.2", "192.0.2.2")]
    # Only each ask's own code differs.
    assert len({a.json().pop("code") for a in answers}) == 3
    assert {(a.status_code, json.dumps({k: v for k, v in a.json().items() if k != "code"}))
            for a in answers} == {(202, json.dumps(
                {"received": True, "message": "Bedankt. We hebben je vraag ontvangen en gaan de "
                                              "tool beoordelen."}))}


def test_one_address_counts_once_per_tool_per_day(peers):
    def ask(peer: str, **body) -> None:
        response = peers.post("/api/review-requests", json=body, headers={"X-Test-Peer": peer})
        assert response.status_code == 202, response.text

    for _ in range(3):
        ask("192.0.2.1", tool_name="Plakbord")
        ask("192.0.2.1", url="https://plakbord.example/bord")
    ask("192.0.2.2", tool_name="plakbord")  # the same name, another address
    ask("192.0.2.2", url="HTTPS://PLAKBORD.EXAMPLE")
    assert counts(peers.registry) == {"Plakbord": 2, "plakbord.example": 2}


def test_askers_forget_after_a_day_and_keep_no_address():
    now = [dt.datetime(2026, 11, 28, 23, 59, tzinfo=dt.UTC).timestamp()]
    askers = Askers(clock=lambda: now[0])
    assert askers.first_today("192.0.2.7", "host:plakbord.example")
    assert not askers.first_today("192.0.2.7", "host:plakbord.example")
    assert askers.first_today("192.0.2.8", "host:plakbord.example")
    assert askers.first_today("192.0.2.7", "name:plakbord")
    kept = repr(vars(askers)) + repr(askers)
    assert "192.0.2.7" not in kept and "plakbord" not in kept
    now[0] += 120  # the next day (UTC)
    assert askers.first_today("192.0.2.7", "host:plakbord.example")


def test_the_request_form_does_not_reveal_the_count(peers):
    answers = [peers.post("/aanvragen", data={"tool_name": "Plakbord"},
                          headers={"X-Test-Peer": peer}) for peer in ("192.0.2.1", "192.0.2.2")]
    codes = [a.url.path.removeprefix("/aanvraag/") for a in answers]
    pages = [a.text.replace(code, "CODE") for a, code in zip(answers, codes, strict=True)]
    assert codes[0] != codes[1] and pages[0] == pages[1]  # only each ask's own code differs
    assert "Je aanvraag is ontvangen" in pages[0] and "keer" not in pages[0]
    assert counts(peers.registry) == {"Plakbord": 2}


@pytest.mark.parametrize(("headers", "allowed"), [
    ({}, True),
    ({"Origin": "http://testserver.local"}, True),
    ({"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver.local"}, True),
    ({"Sec-Fetch-Site": "cross-site"}, False),
    ({"Origin": "https://andere-site.example"}, False),
    ({"Origin": "http://testserver.local.andere-site.example"}, False),
    ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, True),  # our form: no referrer
    ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, False),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver.local"}, False),
])
def test_the_request_form_refuses_posts_from_other_websites(client, registry, headers, allowed,
                                                            snapshot):
    before = snapshot(registry)
    response = client.post("/aanvragen", data={"tool_name": "Plakbord"}, headers=headers)
    if allowed:
        assert response.status_code == 200
        assert counts(registry) == {"Plakbord": 1}
        return
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Deze aanvraag nemen we niet aan" in response.text
    assert 'lang="nl"' in response.text
    assert snapshot(registry) == before


def test_the_document_promises_one_answer_to_a_review_request(client):
    spec = client.get("/api/docs/openapi.json").json()
    operation = spec["paths"]["/api/review-requests"]["post"]
    assert {s for s in operation["responses"] if s.startswith("2")} == {"202"}
    assert set(spec["components"]["schemas"]["ReviewReceipt"]["properties"]) == {
        "received", "message", "code"}


# --- 12: the public list of policy versions names no token ---------------------------------------


def test_policy_versions_name_no_actor(demo):
    publisher = demo.token | {"If-Match": '"2026.1"'}
    assert demo.put("/api/policy", json=POLICY | {"version": "2026.2"},
                    headers=publisher).status_code == 200
    versions = demo.get("/api/policy/versions").json()
    assert [v["version"] for v in versions] == ["2026.1", "2026.2"]
    assert all("actor" not in v for v in versions)
    assert "publisher" not in json.dumps(versions)  # the token's name (demo_client)
    events = [e for e in demo.app.state.registry.audit.events() if e.kind == "policy"]
    assert [e.actor for e in events] == ["default", "publisher"]  # the audit log keeps them


# --- 15: JSON bodies are decoded strictly ----------------------------------------------------


def tool(**changes) -> dict:
    return {**TOOL, "id": "nieuwe-tool", **changes}


def assessment(**changes) -> dict:
    return {"id": "nieuwe-dpia", "tool_id": "rekenrijk", "kind": "dpia", "assessor": "X",
            "assessed_on": "2026-02-01", "status": "draft", **changes}


def policy(**reassessment) -> dict:
    document = copy.deepcopy(POLICY)
    document["rules"]["reassessment"].update(reassessment)
    return document


def bundle_with(**changes) -> dict:
    bundle = json.loads(BUNDLE)
    bundle["tools"][0].update(changes)
    return bundle


# (method, path, body, field)
LAX = [
    ("POST", "/api/tools", tool(free_of_charge="true"), "$.free_of_charge"),
    ("POST", "/api/tools", tool(free_of_charge=1), "$.free_of_charge"),
    ("POST", "/api/tools", tool(minimum_age="12"), "$.minimum_age"),
    ("POST", "/api/tools", tool(domains=[{"host": "a.nl", "include_subdomains": "false"}]),
     "$.domains[0].include_subdomains"),
    ("PUT", "/api/tools/rekenrijk", tool(id="rekenrijk", no_ads=0), "$.no_ads"),
    ("POST", "/api/assessments", assessment(risk_counts={"high": "2"}), "$.risk_counts.high"),
    ("PUT", "/api/agreements/rekenfabriek-vo", {**AGREEMENT, "deviations": "false"},
     "$.deviations"),
    ("POST", "/api/policy/simulate", policy(interval_months="36"),
     "$.rules.reassessment.interval_months"),
    ("PUT", "/api/policy", policy(interval_months="36"), "$.rules.reassessment.interval_months"),
    # The import decodes its bundle itself, strictly already; these keep it so.
    ("POST", "/api/imports", bundle_with(free_of_charge="true"), "$.tools[0].free_of_charge"),
    ("POST", "/api/imports", bundle_with(minimum_age="12"), "$.tools[0].minimum_age"),
]


@pytest.mark.matrix
@pytest.mark.parametrize(("method", "path", "body", "field"), LAX,
                         ids=[f"{m} {p} {f}" for m, p, _, f in LAX])
def test_bodies_are_decoded_strictly(client, tokens, seeded, registry, method, path, body,
                                     field, snapshot):
    before = snapshot(registry)
    headers = {"Authorization": tokens["publisher"], "If-Match": "*"}
    found = problem(client.request(method, path, json=body, headers=headers), 422)
    assert found["errors"][0]["field"] == field
    if path != "/api/imports":  # whose detail counts the problems
        assert found["detail"].startswith(f"{field}: expected `")
    assert snapshot(registry) == before


def test_a_whole_number_written_with_a_fraction_is_still_a_number(client, auth, seeded):
    # JSON (and JSON Schema) do not tell 12.0 from 12: strict is about types, not spelling.
    response = client.post("/api/tools", json=tool(minimum_age=12.0), headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["minimum_age"] == 12


# --- 16: an unknown token and a revoked one get the same answer --------------------------------


def test_unknown_and_revoked_tokens_get_one_answer(client, tokens):
    answers = [client.get("/api/tools", headers={"Authorization": token}) for token in
               (tokens["revoked"], "Bearer wlr_" + "x" * 43)]
    assert [a.status_code for a in answers] == [401, 401]
    assert answers[0].json() == answers[1].json()
    assert "revoked" not in answers[0].json()["detail"].split(":")[0]


# --- 17: the OpenAPI document says what the API does ---------------------------------------------


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/docs/openapi.json").json()


def operations(spec: dict) -> dict[str, dict]:
    """Every operation by its id and by "METHOD path"."""
    found = {}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            found[op["operationId"]] = found[f"{method.upper()} {path}"] = op
    return found


def test_if_match_is_documented_as_required_with_its_428(spec):
    guarded = [op for op in {id(op): op for op in operations(spec).values()}.values()
               if any(p["name"] == "If-Match" for p in op.get("parameters", []))]
    assert len(guarded) == 14  # update and archive of six kinds, the policy, review requests
    for op in guarded:
        header = next(p for p in op["parameters"] if p["name"] == "If-Match")
        assert (header["in"], header["required"], header["schema"]["type"]) == (
            "header", True, "string"), op["operationId"]
        assert {"412", "428"} <= set(op["responses"]), op["operationId"]


def test_request_bodies_are_the_published_json_schemas(spec, client):
    ops = operations(spec)

    def body(op_id: str) -> dict:
        return ops[op_id]["requestBody"]["content"]["application/json"]["schema"]

    for op_id in ("create_tool", "update_agreement", "create_vendor", "create_assessment",
                  "POST /api/review-requests", "PUT /api/review-requests/{record_id}"):
        assert body(op_id)["additionalProperties"] is False, op_id
    slug = client.get("/api/schemas/agreement").json()["$defs"]["AgreementIn"]["properties"]["id"]
    assert body("create_agreement")["properties"]["tool_ids"]["items"]["pattern"] == slug["pattern"]
    assert body("create_agreement")["properties"]["tool_ids"]["uniqueItems"] is True
    assert body("create_vendor")["allOf"][0]["if"]  # covenant_since needs a covenant status
    assert "must be after" in body("create_assessment")["description"]
    assert body("POST /api/review-requests")["anyOf"] == [
        {"required": ["tool_name"], "properties": {"tool_name": {"type": "string"}}},
        {"required": ["url"], "properties": {"url": {"type": "string"}}}]
    assert body("import_bundle")["properties"]["tools"]["items"]["additionalProperties"] is False
    assert body("PUT /api/policy")["properties"]["rules"]["additionalProperties"] is False


def test_an_unknown_field_in_a_review_request_is_refused(client):
    response = client.post("/api/review-requests", json={"tool_name": "X", "naam": "Juf"})
    assert problem(response, 422)["errors"][0]["field"] == "$.naam"


@pytest.mark.parametrize(("op_id", "filters"), [
    ("list_vendors", {"q"}),
    ("list_tools", {"vendor", "category", "level", "q", "verdict"}),
    ("list_agreements", {"vendor", "tool", "status", "party", "q"}),
    ("list_assessments", {"tool", "status", "q"}),
])
def test_list_operations_document_only_their_own_filters(spec, op_id, filters):
    params = {p["name"]: p for p in operations(spec)[op_id]["parameters"]}
    assert set(params) == {"limit", "offset", "archived"} | filters
    if "status" in params:
        assert params["status"]["schema"]["enum"]


@pytest.mark.parametrize(("op_id", "rule"), [
    ("create_tool", "`vendor_id` names no vendor"),
    ("update_agreement", "differs from the one in the URL"),
    ("create_assessment", "`valid_until` must be after `assessed_on`"),
    ("PUT /api/review-requests/{record_id}", "a `tool_id` that names no tool"),
    ("import_bundle", "a reference to a record neither in the file nor in the registry"),
])
def test_each_422_names_the_rules_json_schema_cannot_state(spec, op_id, rule):
    assert rule in operations(spec)[op_id]["responses"]["422"]["description"]
