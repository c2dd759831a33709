"""Review requests: every ask kept with its own code, the asker's page at /aanvraag/{code}
(Post/Redirect/Get from the check page's form), and closing a request with a reason."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from litestar.testing import TestClient

from registry import models
from registry.app import Settings, create_app
from registry.models import Role
from registry.store.reviews import CODE_ALPHABET, normal_code

TODAY = dt.date(2026, 11, 28)
CODE = re.compile(rf"^[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}$")


PEERS = (f"198.51.100.{n}" for n in itertools.count(1))
"""A client address of its own for each ask: asks are limited per address (10 a minute)."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory, peer_from_header):
    """The app on the published demo data, reached from the address in X-Test-Peer, with a
    procurement token (`demo.token`) and its registry (`demo.registry`)."""
    app = create_app(Settings(db_path=tmp_path_factory.mktemp("aanvragen") / "registry.db",
                              today=lambda: TODAY))
    with TestClient(peer_from_header(app)) as client:
        client.registry = app.state.registry
        _, secret = client.registry.tokens.create("inkoop", Role.procurement)
        client.token = {"Authorization": f"Bearer {secret}"}
        yield client


def ask(client, peer: str | None = None, **body) -> str:
    response = client.post("/api/review-requests", json=body,
                           headers={"X-Test-Peer": peer or next(PEERS)})
    assert response.status_code == 202, response.text
    return response.json()["code"]


def put(client, request_id: str, body: dict, version: int):
    return client.put(f"/api/review-requests/{request_id}", json=body,
                      headers=client.token | {"If-Match": f'"{version}"'})


# --- the store --------------------------------------------------------------------------------


def test_every_ask_gets_its_own_code_and_keeps_its_school_and_reason(registry):
    first = registry.reviews.request(models.ReviewRequestIn(
        url="https://plakbord.example/bord", school="OBS De Regenboog", reason="Spreekbeurten"),
        "plakbord.example", None)
    second = registry.reviews.request(models.ReviewRequestIn(
        url="https://PLAKBORD.example", school="Het Lyceum", reason="Projectweek"),
        "plakbord.example", None)
    assert CODE.match(first.code) and CODE.match(second.code) and first.code != second.code
    assert second.request.id == first.request.id
    assert (second.request.count, second.request.school) == (2, "OBS De Regenboog")
    assert second.request.last_asked_at > first.request.last_asked_at
    asks = registry.reviews.asks(first.request.id)
    assert [(a.code, a.school, a.reason) for a in asks] == [
        (first.code, "OBS De Regenboog", "Spreekbeurten"), (second.code, "Het Lyceum", "Projectweek")]
    # The same client again today: a code of its own, the count as it was.
    third = registry.reviews.request(models.ReviewRequestIn(tool_name="Plakbord"),
                                     "plakbord.example", None, counted=False)
    assert third.request.count == 2 and len(registry.reviews.asks(first.request.id)) == 3


@pytest.mark.parametrize(("typed", "found"), [
    ("ABCD-EFGH", "ABCDEFGH"), ("abcd-efgh", "ABCDEFGH"), ("abcdefgh", "ABCDEFGH"),
    (" ABCD EFGH ", "ABCDEFGH"), ("ABCD-EFG", None), ("ABCD-EFG1", None),  # 1 is not used
    ("ABCD-EFGO", None), ("", None), ("ABCD-EFGH-J", None), ("../../etc", None),
])
def test_a_code_is_read_as_a_person_types_it(typed, found):
    assert normal_code(typed) == found


def test_the_asker_sees_the_request_not_the_other_askers(registry):
    mine = registry.reviews.request(models.ReviewRequestIn(tool_name="Woordweb", school="A-school",
                                                           reason="reden van A"), None, "woordweb")
    other = registry.reviews.request(models.ReviewRequestIn(tool_name="woordweb", school="B-school",
                                                            reason="reden van B"), None, "woordweb")
    seen = registry.reviews.by_code(other.code.lower().replace("-", ""))
    assert (seen.code, seen.tool_name, seen.status) == (other.code, "Woordweb", "open")
    assert not {"school", "reason"} & set(models.ReviewRequestForAsker.__struct_fields__)
    assert "A-school" not in repr(seen) and mine.code not in repr(seen)
    assert registry.reviews.by_code("ZZZZ-ZZZZ") is None and registry.reviews.by_code("x") is None


# --- the API ----------------------------------------------------------------------------------


def test_the_api_answers_with_a_code_that_opens_the_asker_page(demo):
    body = {"url": "https://nieuwe-tool.example/les", "school": "OBS De Regenboog"}
    code = ask(demo, **body)
    assert CODE.match(code)
    again = demo.post("/api/review-requests", json=body, headers={"X-Test-Peer": next(PEERS)})
    assert again.json()["code"] != code  # every ask its own; nothing else tells them apart
    assert {k: v for k, v in again.json().items() if k != "code"} == {
        "received": True, "message": "Bedankt. We hebben je vraag ontvangen en gaan de tool "
                                     "beoordelen."}
    page = demo.get(f"/aanvraag/{code.lower()}")
    assert page.status_code == 200 and "nieuwe-tool.example" in page.text and "Ontvangen" in page.text
    spec = demo.get("/api/docs/openapi.json").json()
    assert "code" in spec["components"]["schemas"]["ReviewReceipt"]["properties"]


def test_closing_needs_a_reason_and_keeps_the_linked_tool(demo):
    code = ask(demo, tool_name="Sluitbord")
    request = next(r for r in demo.get("/api/review-requests", headers=demo.token).json()["items"]
                   if r.get("tool_name") == "Sluitbord")
    refused = put(demo, request["id"], {"status": "closed"}, 1)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["$.closed_reason"]
    wrong = put(demo, request["id"], {"status": "closed", "closed_reason": "boring"}, 1)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "$.closed_reason"
    linked = put(demo, request["id"], {"status": "linked", "tool_id": "noorderlicht-rekenen"}, 1)
    assert linked.status_code == 200, linked.text
    closed = put(demo, request["id"], {"status": "closed", "closed_reason": "already_listed",
                                       "closed_note": "Staat erop als Noorderlicht Rekenen."}, 2)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["closed_reason"], closed.json()["tool_id"]) == (
        "already_listed", "noorderlicht-rekenen")
    page = demo.get(f"/aanvraag/{code}").text
    assert "Afgehandeld" in page and "Al op de lijst" in page
    assert "Staat erop als Noorderlicht Rekenen." in page
    assert "Toegestaan" in page and 'href="/tools/noorderlicht-rekenen"' in page
    events = [e for e in demo.registry.audit.events() if e.record_id == request["id"]]
    assert [(e.action, e.after.get("closed_reason")) for e in events] == [
        ("link", None), ("close", "already_listed")]
    reopened = put(demo, request["id"], {"status": "open"}, 3)
    assert reopened.status_code == 200
    assert "tool_id" not in reopened.json() and "closed_reason" not in reopened.json()
    assert demo.registry.audit.verify_rows() == []


# --- the form and the asker's page ------------------------------------------------------------


def test_the_form_redirects_to_the_confirmation_which_reloads(demo):
    answer = demo.post("/aanvragen", follow_redirects=False, headers={"X-Test-Peer": next(PEERS)},
                       data={"tool_name": "Klassenpuzzel", "url": "", "school": "", "reason": ""})
    assert answer.status_code == 303
    location = answer.headers["location"]
    code = re.fullmatch(r"/aanvraag/([A-Z0-9]{4}-[A-Z0-9]{4})\?nieuw=1", location)[1]
    for _ in range(2):  # a reload asks for the page again, it does not post again
        page = demo.get(location)
        assert page.status_code == 200
        assert "Je aanvraag is ontvangen" in page.text and "Klassenpuzzel" in page.text
        assert code in page.text and "bewaar deze code" in page.text
        assert "meestal binnen tien werkdagen" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-robots-tag"] == "noindex" and "noindex" in page.text
        assert "set-cookie" not in page.headers
    later = demo.get(f"/aanvraag/{code}")
    assert "Je aanvraag is ontvangen" not in later.text and "Ontvangen" in later.text
    queue = demo.get("/api/review-requests", headers=demo.token).json()["items"]
    assert sum(r.get("count", 1) for r in queue if r.get("tool_name") == "Klassenpuzzel") == 1


def test_a_linked_request_says_which_tool_and_shows_the_verdict_once_published(demo):
    code = ask(demo, tool_name="Rekenland", school="OBS Rekenland", reason="Voor groep 5")
    other = ask(demo, tool_name="rekenland", school="Geheime School",
                reason="Geheime reden")
    request = next(r for r in demo.get("/api/review-requests", headers=demo.token).json()["items"]
                   if r.get("tool_name") == "Rekenland")
    assert request["count"] == 2
    assert put(demo, request["id"], {"status": "linked", "tool_id": "sommenstad-tafels"},
               1).status_code == 200
    page = demo.get(f"/aanvraag/{code}").text
    assert "In behandeling" in page and "gekoppeld aan Sommenstad Tafeltrainer (demo)" in page
    assert "Niet toegestaan" in page and 'href="/tools/sommenstad-tafels"' in page
    # Neither asker sees the other's school, reason or code, nor their own school and reason.
    given = ("Geheime School", "Geheime reden", "OBS Rekenland", "Voor groep 5")
    for shown, hidden in ((page, other), (demo.get(f"/aanvraag/{other}").text, code)):
        assert hidden not in shown and [w for w in given if w in shown] == []


@pytest.mark.parametrize("code", ["ABCD-EFGH", "abcd", "ABCD-EFG1", "x" * 300, "%3Cscript%3E"])
def test_an_unknown_or_malformed_code_gets_the_same_dutch_404(demo, code):
    page = demo.get(f"/aanvraag/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert '<html lang="nl">' in page.text and "Deze aanvraagcode kennen we niet" in page.text
    assert page.headers["cache-control"] == "no-store" and "set-cookie" not in page.headers
    reference = demo.get("/aanvraag/ZZZZ-ZZZZ").text
    assert page.text == reference  # nothing tells a malformed code from an unknown one


def test_the_form_still_asks_for_a_name_or_an_address(demo):
    page = demo.post("/aanvragen", data={"school": "OBS"}, follow_redirects=False,
                     headers={"X-Test-Peer": next(PEERS)})
    assert page.status_code == 200
    assert "Vul de naam of het webadres van de tool in" in page.text
