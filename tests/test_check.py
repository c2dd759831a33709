"""The teacher check and review requests, answered from the published demo whitelist."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from registry.models import Role

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_client):
    """The app on the demo data, published on 28 November 2026 as `registry serve` does."""
    with demo_client(tmp_path_factory.mktemp("check"), Role.procurement, TODAY, "inkoop") as client:
        yield client


def check(client, q: str) -> dict:
    response = client.get("/api/check", params={"q": q})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("q", "status", "tool", "verdict"),
    [
        ("https://rekenen.noorderlicht-demo.nl/les/3?klas=5", "found", "noorderlicht-rekenen",
         "allowed"),
        ("REKENEN.Noorderlicht-Demo.NL.", "found", "noorderlicht-rekenen", "allowed"),
        ("login.noorderlicht-demo.nl:443", "found", "noorderlicht-rekenen", "allowed"),
        ("https://de-regenboog.schoolplein-demo.nl/rooster", "found", "schoolplein-las", "allowed"),
        ("https://brightboard-demo.com/class/123", "found", "brightboard-classroom", "not_allowed"),
        ("https://huiswerk.denkvonk-demo.nl", "found", "denkvonk-huiswerkhulp", "not_allowed"),
        ("https://wereld.noorderlicht-demo.nl", "found", "noorderlicht-wereld", "under_review"),
        ("scheikunde.lernfabrik-demo.de", "found", "lernfabrik-scheikunde", "not_assessed"),
        ("https://user:pw@assistent.denkvonk-demo.nl/", "found", "denkvonk-assistent",
         "allowed_with_conditions"),
    ],
)
def test_registered_hosts_and_subdomains(demo, q, status, tool, verdict):
    answer = check(demo, q)
    assert answer["status"] == status
    assert (answer["tool"]["id"], answer["tool"]["verdict"]) == (tool, verdict)


def test_an_answer_shows_badge_conditions_reasons_assessor_and_publication(demo):
    answer = check(demo, "https://assistent.denkvonk-demo.nl")
    tool = answer["tool"]
    assert tool["verdict_label"] == "Toegestaan onder voorwaarden"
    assert "Zet de chatgeschiedenis uit." in tool["conditions"]
    assert len(tool["reasons"]) == 7 and all(r["text"].endswith(".") for r in tool["reasons"])
    assert tool["assessor"] and tool["assessed_on"]
    assert answer["publication"]["version"] == 1
    assert answer["publication"]["policy_version"] == "2026.1"


def test_a_tool_that_is_not_allowed_offers_allowed_alternatives(demo):
    tool = check(demo, "topografie.kaartenbak-demo.nl")["tool"]
    assert tool["verdict"] == "not_allowed"
    assert tool["alternatives"], "a practice tool for PO has allowed alternatives"
    assert {a["verdict"] for a in tool["alternatives"]} <= {"allowed", "allowed_with_conditions"}
    allowed = check(demo, "rekenen.noorderlicht-demo.nl")["tool"]
    assert allowed["alternatives"] == []


@pytest.mark.parametrize(
    ("q", "host"),
    [
        ("https://quiz2.maakplaats-demo.nl/", "quiz2.maakplaats-demo.nl"),
        ("https://x.rekenen.noorderlicht-demo.nl", "x.rekenen.noorderlicht-demo.nl"),
        ("https://noorderlicht-demo.nl", "noorderlicht-demo.nl"),
    ],
)
def test_look_alikes_are_possibly_related_without_a_verdict(demo, q, host):
    answer = check(demo, q)
    assert answer["status"] == "possibly_related"
    assert answer["host"] == host
    assert "tool" not in answer
    assert answer["related"] and all("verdict" not in r for r in answer["related"])
    assert "Het oordeel over die tool geldt dus niet voor dit adres." in answer["message"]
    assert answer["review_request_possible"] is True


def test_userinfo_tricks_resolve_to_the_host_a_browser_visits(demo):
    answer = check(demo, r"https://evil.example\@rekenen.noorderlicht-demo.nl/")
    assert answer["host"] == "evil.example"
    assert answer["status"] == "not_found"


@pytest.mark.parametrize(
    ("q", "tool"),
    [
        ("noorderlicht taal", "noorderlicht-taal"),
        ("NOORDERLICHT TAAL (DEMO)", "noorderlicht-taal"),
        ("Nöórderlicht  Táál", "noorderlicht-taal"),
        ("klassenklok", "maakplaats-klassenklok"),
    ],
)
def test_names_match_case_and_accent_insensitively(demo, q, tool):
    answer = check(demo, q)
    assert answer["status"] == "found"
    assert answer["tool"]["id"] == tool


def test_a_name_shared_by_several_tools_asks_which(demo):
    answer = check(demo, "Noorderlicht")
    assert answer["status"] == "choose"
    assert [m["id"] for m in answer["matches"]] == [
        "noorderlicht-rekenen", "noorderlicht-taal", "noorderlicht-wereld"]


def test_an_unknown_tool_is_not_assessed_and_can_be_requested(demo):
    answer = check(demo, "https://onbekende-tool-voorbeeld.nl/start")
    assert answer["status"] == "not_found"
    assert answer["message"].startswith("Niet beoordeeld:")
    assert answer["review_request_possible"] is True

    body = {"url": "https://onbekende-tool-voorbeeld.nl/start", "school": "OBS De Regenboog",
            "reason": "Voor spreekbeurten"}
    first = demo.post("/api/review-requests", json=body)
    assert first.status_code == 202
    assert first.json() == {"received": True, "code": first.json()["code"], "message": (
        "Bedankt. We hebben je vraag ontvangen en gaan de tool beoordelen.")}
    # The same answer when asked before (but for this ask's own code): nobody learns what
    # others asked, or how often.
    second = demo.post("/api/review-requests", json={"url": "HTTPS://Onbekende-Tool-Voorbeeld.NL"})
    assert second.json()["code"] != first.json()["code"]
    assert (second.status_code, second.json() | {"code": ""}) == (
        first.status_code, first.json() | {"code": ""})

    queue = demo.get("/api/review-requests", headers=demo.token).json()
    mine = [r for r in queue["items"] if r.get("host") == "onbekende-tool-voorbeeld.nl"]
    # One address asking twice on one day counts once (a count of 1 is the default, left out).
    assert len(mine) == 1 and "count" not in mine[0] and mine[0]["school"] == "OBS De Regenboog"


def test_review_requests_need_a_name_or_url_and_no_personal_data(demo):
    response = demo.post("/api/review-requests", json={"school": "OBS De Regenboog"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "$.tool_name"
    unknown = demo.post("/api/review-requests", json={"tool_name": "X", "email": "juf@school.nl"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "$.email"


def test_procurement_links_and_closes_review_requests(demo):
    demo.post("/api/review-requests", json={"tool_name": "Tafelsom Turbo"})
    queue = demo.get("/api/review-requests?status=open", headers=demo.token).json()
    request = next(r for r in queue["items"] if r.get("tool_name") == "Tafelsom Turbo")
    path = f"/api/review-requests/{request['id']}"
    closing = {"status": "closed", "closed_reason": "assessed"}
    assert demo.put(path, json=closing).status_code == 401
    assert demo.put(path, json=closing, headers=demo.token).status_code == 428
    linked = demo.put(path, json={"status": "linked", "tool_id": "sommenstad-tafels"},
                      headers=demo.token | {"If-Match": '"1"'})
    assert linked.status_code == 200, linked.text
    assert (linked.json()["status"], linked.json()["tool_id"]) == ("linked", "sommenstad-tafels")
    stale = demo.put(path, json=closing, headers=demo.token | {"If-Match": '"1"'})
    assert stale.status_code == 412
    events = [e for e in demo.app.state.registry.audit.events() if e.record_id == request["id"]]
    assert [(e.action, e.actor) for e in events] == [("link", "inkoop")]


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("javascript:alert(1)", "geen webadres"),
        ("data:text/html,<b>x</b>", "geen webadres"),
        ("x" * 2500, "te lang"),
    ],
)
def test_input_that_is_not_a_tool_gets_a_dutch_explanation(demo, q, words):
    answer = check(demo, q)
    assert answer["status"] == "invalid"
    assert words in answer["message"].lower()


def test_check_parameter_problems(demo):
    assert demo.get("/api/check").status_code == 400
    assert demo.get("/api/check", params={"q": "x" * 5000}).status_code == 400


def test_check_page_answers_in_dutch(demo):
    page = demo.get("/", params={"q": "https://de-regenboog.schoolplein-demo.nl"})
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "Schoolplein LAS (demo)" in page.text and "Toegestaan" in page.text
    assert "set-cookie" not in page.headers
    unknown = demo.get("/", params={"q": "https://onbekend-voorbeeld.nl"})
    assert "Niet beoordeeld" in unknown.text and 'action="/aanvragen"' in unknown.text
    thanks = demo.post("/aanvragen", data={"url": "https://onbekend-voorbeeld.nl", "school": ""})
    assert thanks.status_code == 200 and "Bedankt voor je aanvraag" in thanks.text
    empty = demo.post("/aanvragen", data={"school": "X"})
    assert "Vul de naam of het webadres van de tool in" in empty.text


# --- answers kept per publication -------------------------------------------------------------


def test_kept_answers_equal_worked_out_ones_and_go_with_their_publication(tmp_path, demo):
    import msgspec

    from registry.whitelist.reader import PublishedWhitelist
    from registry.publish import publish

    path = tmp_path / "witte-lijst.db"
    path.write_bytes(demo.app.state.whitelist_path.read_bytes())
    whitelist = PublishedWhitelist(path)
    questions = ["rekenen.noorderlicht-demo.nl", "Klassenklok", "onbekend-voorbeeld.nl", "x y"]
    first = [whitelist.check_json(q) for q in questions]
    assert first == [(a.status, msgspec.json.encode(a)) for a in map(whitelist.check, questions)]
    assert len(whitelist._answers) == len(questions)
    assert [whitelist.check_json(q) for q in questions] == first  # the same, from memory
    assert len(whitelist._answers) == len(questions)

    publish(demo.app.state.registry, path, TODAY, "test")
    again = msgspec.json.decode(whitelist.check_json(questions[0])[1])
    assert again["publication"]["version"] == msgspec.json.decode(first[0][1])[
        "publication"]["version"] + 1
    assert len(whitelist._answers) == 1  # the earlier publication's answers are gone


def test_no_answer_is_kept_without_a_budget(demo):
    from registry.whitelist.reader import PublishedWhitelist

    nothing = PublishedWhitelist(demo.app.state.whitelist_path, cache_bytes=0)
    assert nothing.check_json("a.nl")[0] == "not_found"
    assert len(nothing._answers) == 0


# --- every query shape uses an index (issue 12, M3) -------------------------------------


def _plans(conn, statements) -> list[str]:
    """The query plan of each traced statement, one line per step."""
    lines = []
    for sql in statements:
        # FTS5's own reads of its shadow tables (its one-row config) are not our queries.
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "tools_fts_" not in sql:
            lines += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return lines


@pytest.mark.parametrize("q", [
    "中文写作", "中", "Ωmega", "Ëxamen", "rekenen", "noorderlicht rek", "reken", "zzz onbekend",
    "ДЕМО", "https://onbekend-demo.example/pad", "rekenen.noorderlicht-demo.nl", "12",
])
def test_every_shape_of_question_is_answered_through_an_index(tmp_path, q):
    """A name in another script scanned every tool's name (0.2 s at 47,500 tools); no
    question may make the check read a whole table."""
    from registry.whitelist.reader import PublishedWhitelist
    from registry.db import Registry
    from registry.importer import load_demo
    from registry.publish import publish

    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    publish(registry, tmp_path / "witte-lijst.db", TODAY, "sector")
    registry.close()
    whitelist = PublishedWhitelist(tmp_path / "witte-lijst.db")
    conn = whitelist.connection()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        whitelist.check(q)
    finally:
        conn.set_trace_callback(None)
    plans = _plans(conn, statements)
    whitelist.close()
    assert plans
    # A full-text MATCH shows as a SCAN of the virtual table with its index ("0:M…"); a
    # statement's own rows (the words walked, the full-text hits, a part of a UNION) as a
    # SCAN of them.
    full_scans = [line for line in plans if line.startswith("SCAN")
                  and not re.search(r"VIRTUAL TABLE INDEX \d+:M|^SCAN \(subquery-\d+\)$"
                                    r"|^SCAN (walk|hits|CONSTANT ROW)$", line)]
    assert not full_scans, plans


def test_a_name_in_another_script_is_found_by_a_word_of_it(tmp_path):
    from registry import models
    from registry.whitelist.reader import PublishedWhitelist
    from registry.db import Registry
    from registry.importer import load_demo
    from registry.publish import publish

    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    vendor = registry.all("vendors")[0]
    for tool_id, name in [("schrijven-zh", "中文 写作 Pro"), ("omega", "Ωmega Rekenen")]:
        registry.create("tools", models.ToolIn(id=tool_id, vendor_id=vendor.id, name=name,
                                               category="practice", levels=["PO"]), "inkoop")
    publish(registry, tmp_path / "witte-lijst.db", TODAY, "sector")
    registry.close()
    whitelist = PublishedWhitelist(tmp_path / "witte-lijst.db")
    try:
        assert whitelist.check("写作").tool.id == "schrijven-zh"
        assert whitelist.check("中文 写").tool.id == "schrijven-zh"
        assert whitelist.check("ωmeg").tool.id == "omega"
        assert whitelist.check("rekenen ωmega").status == "not_found"
    finally:
        whitelist.close()
