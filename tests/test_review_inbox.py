"""The review-request inbox under /beheer/aanvragen: who may open it, requests grouped with
every ask, "al op de lijst als", linking, closing with a reason, opening again, and the new
tool's form filled in from a request."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from registry import models
from registry.models import Role

pytestmark = pytest.mark.backoffice

DEMO_HOST = "de-regenboog.schoolplein-demo.nl"
"""A host of a published demo tool, Schoolplein LAS (demo)."""


@pytest.fixture
def backoffice_settings(backoffice_settings):
    """The demo data, published when the app starts: the whitelist the inbox compares with."""
    return dataclasses.replace(backoffice_settings, demo=True)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


@pytest.fixture
def client(staff_client):
    return staff_client(Role.procurement)


def ask(registry, *, url=None, tool_name=None, school=None, reason=None, counted=True):
    from registry.api.public import review_target  # what the API does with an ask

    data = models.ReviewRequestIn(url=url, tool_name=tool_name, school=school, reason=reason)
    return registry.reviews.request(data, *review_target(url, tool_name), counted=counted)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def version_on(page: str) -> str:
    return re.search(r'name="versie" value="(\d+)"', page)[1]


def test_anonymous_visitors_are_sent_to_sign_in_and_procurement_may_enter(backoffice_client,
                                                                          client, registry):
    receipt = ask(registry, tool_name="Plakbord")
    for path in ("/beheer/aanvragen", f"/beheer/aanvragen/{receipt.request.id}"):
        anonymous = backoffice_client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/beheer/inloggen?volgende=")
        assert client.get(path).status_code == 200


def test_asks_are_grouped_per_host_with_their_count_dates_schools_and_reasons(client, registry):
    first = ask(registry, url="https://plakbord.example/bord", school="OBS De Regenboog",
                reason="Voor spreekbeurten")
    ask(registry, url="HTTPS://PLAKBORD.EXAMPLE", school="Het Lyceum")
    ask(registry, tool_name="Woordweb")
    inbox = client.get("/beheer/aanvragen")
    assert inbox.status_code == 200 and 'aria-current="page">Aanvragen' in inbox.text
    row = next(r for r in re.findall(r"<tr>.*?</tr>", inbox.text, re.S) if "plakbord" in r)
    assert re.search(r'<td class="number">2</td>', row)
    assert len(re.findall(r"\d{1,2} \w+ \d{4}", text_of(row))) == 2  # first and last asked
    detail = client.get(f"/beheer/aanvragen/{first.request.id}")
    shown = text_of(detail.text)
    assert "OBS De Regenboog" in shown and "Voor spreekbeurten" in shown
    assert "Het Lyceum" in shown and "Het Lyceum — " in shown  # no reason: a dash
    assert first.code in shown


def test_a_request_for_a_tool_on_the_list_says_under_which_name(client, registry):
    by_host = ask(registry, url=f"https://{DEMO_HOST}/inloggen")
    ask(registry, tool_name="noorderlicht rekenen (DEMO)")
    unknown = ask(registry, tool_name="Nergensbord")
    inbox = text_of(client.get("/beheer/aanvragen").text)
    assert "al op de lijst als Schoolplein LAS (demo)" in inbox
    assert "al op de lijst als Noorderlicht Rekenen (demo)" in inbox
    page = client.get(f"/beheer/aanvragen/{by_host.request.id}").text
    assert "Koppelen aan Schoolplein LAS (demo)" in page
    assert 'name="tool" value="schoolplein-las"' in page
    assert "al op de lijst" not in client.get(f"/beheer/aanvragen/{unknown.request.id}").text


def test_linking_checks_the_tool_and_the_version(client, registry, post_form):
    receipt = ask(registry, tool_name="Plakbord")
    path = f"/beheer/aanvragen/{receipt.request.id}"
    refused = post_form(client, f"{path}/koppelen", {"tool": "bestaat-niet", "versie": "1"}, path)
    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="veld-tool-fout">Er is geen tool met het id '
                     r"‘bestaat-niet’", refused.text)
    assert 'aria-invalid="true"' in refused.text and 'value="bestaat-niet"' in refused.text
    empty = post_form(client, f"{path}/koppelen", {"tool": "", "versie": "1"}, path)
    assert empty.status_code == 422 and "Vul het id van een tool in" in empty.text
    assert registry.reviews.get(receipt.request.id).version == 1
    linked = post_form(client, f"{path}/koppelen", {"tool": "Noorderlicht-Rekenen",
                                                     "versie": "1"}, path)
    assert (linked.status_code, linked.headers["location"]) == (303, f"{path}?gedaan=gekoppeld")
    after = registry.reviews.get(receipt.request.id)
    assert (after.status, after.tool_id, after.version) == ("linked", "noorderlicht-rekenen", 2)
    events = [e for e in registry.audit.events() if e.record_id == receipt.request.id]
    assert [(e.action, e.actor) for e in events] == [("link", client.account.email)]
    stale = post_form(client, f"{path}/koppelen", {"tool": "schoolplein-las", "versie": "1"},
                      path)
    assert stale.status_code == 409 and "Iemand anders heeft deze aanvraag" in stale.text
    assert registry.reviews.get(receipt.request.id).tool_id == "noorderlicht-rekenen"
    shown = text_of(client.get(f"{path}?gedaan=gekoppeld").text)
    assert "De aanvraag is gekoppeld aan de tool." in shown
    assert "gekoppeld aan Noorderlicht Rekenen (demo)" in shown


def test_closing_needs_a_reason_and_opening_again_unlinks(client, registry, post_form):
    receipt = ask(registry, tool_name="Plakbord")
    path = f"/beheer/aanvragen/{receipt.request.id}"
    refused = post_form(client, f"{path}/afsluiten", {"reden": "", "toelichting": "Waarom?",
                                                      "versie": "1"}, path)
    assert refused.status_code == 422
    assert 'id="veld-reden-fout">Kies waarom je de aanvraag afsluit.' in refused.text
    assert ">Waarom?</textarea>" in refused.text  # what was typed stays
    too_long = post_form(client, f"{path}/afsluiten", {"reden": "duplicate",
                                                       "toelichting": "x" * 5001,
                                                       "versie": "1"}, path)
    assert too_long.status_code == 422 and "hoogstens 5000 tekens" in too_long.text
    assert registry.reviews.get(receipt.request.id).status == "open"
    closed = post_form(client, f"{path}/afsluiten", {"reden": "not_educational",
                                                     "toelichting": "Een spel.", "versie": "1"},
                       path)
    assert closed.status_code == 303
    after = registry.reviews.get(receipt.request.id)
    assert (after.status, after.closed_reason, after.closed_note) == (
        "closed", "not_educational", "Een spel.")
    shown = text_of(client.get(path).text)
    assert "Gesloten" in shown and "Geen onderwijstool" in shown and "Een spel." in shown
    public = client.get(f"/aanvraag/{receipt.code}")
    assert "Afgehandeld" in public.text and "Geen onderwijstool" in public.text
    page = client.get(path).text
    reopened = post_form(client, f"{path}/heropenen", {"versie": version_on(page)}, path)
    assert reopened.status_code == 303
    again = registry.reviews.get(receipt.request.id)
    assert (again.status, again.closed_reason, again.version) == ("open", None, 3)
    assert [e.action for e in registry.audit.events() if e.record_id == again.id] == [
        "close", "update"]


def test_a_change_without_the_csrf_token_is_refused(client, registry):
    receipt = ask(registry, tool_name="Plakbord")
    refused = client.post(f"/beheer/aanvragen/{receipt.request.id}/afsluiten",
                          data={"reden": "duplicate", "versie": "1"}, follow_redirects=False)
    assert refused.status_code == 403
    assert registry.reviews.get(receipt.request.id).status == "open"


def test_filters_search_and_pages(client, registry, post_form):
    for n in range(51):
        ask(registry, tool_name=f"Oefentool {n:02d}")
    linked = ask(registry, tool_name="Gekoppelde tool")
    registry.reviews.update(linked.request.id, models.ReviewRequestUpdate(
        status="linked", tool_id="schoolplein-las"), "test", None)
    first = client.get("/beheer/aanvragen").text
    assert "1–50 van 52" in text_of(first) and 'rel="next"' in first
    assert "Gekoppelde tool" not in first  # open ones first
    second = client.get("/beheer/aanvragen?pagina=2").text
    assert "51–52 van 52" in text_of(second) and "Gekoppelde tool" in second
    only_linked = text_of(client.get("/beheer/aanvragen?status=gekoppeld").text)
    assert "1–1 van 1" in only_linked and "Gekoppeld: Schoolplein LAS (demo)" in only_linked
    found = text_of(client.get("/beheer/aanvragen?q=tool%2007").text)
    assert "1–1 van 1" in found and "Oefentool 07" in found
    assert "Geen aanvragen gevonden" in client.get("/beheer/aanvragen?status=afgehandeld").text
    assert client.get("/beheer/aanvragen?status=nonsens&pagina=abc").status_code == 200
    assert client.get("/beheer/aanvragen/rr-bestaatniet").status_code == 404


def test_the_inbox_reads_tools_through_indexes_only(client, registry):
    ask(registry, tool_name="Plakbord")
    ask(registry, url="https://plakbord.example/")
    conn = registry.store.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert client.get("/beheer/aanvragen").status_code == 200
    finally:
        conn.set_trace_callback(None)
    plans = [row[3] for sql in statements if sql.lstrip().upper().startswith("SELECT")
             for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert any("tools" in line for line in plans)
    assert [line for line in plans if re.match(r"SCAN (tools|vendors)\b", line)] == []


def test_a_new_tool_starts_with_the_request_name_and_address(client, registry):
    receipt = ask(registry, tool_name="Plak Bord!", url="plakbord.example/les/3")
    page = client.get(f"/beheer/aanvragen/{receipt.request.id}").text
    link = html.unescape(re.search(r'href="(/beheer/tools/nieuw\?[^"]+)"', page)[1])
    assert link == "/beheer/tools/nieuw?naam=Plak+Bord%21&website=plakbord.example%2Fles%2F3"
    form = client.get(link).text
    for name, value in [("id", "plak-bord"), ("name", "Plak Bord!"),
                        ("website", "https://plakbord.example/les/3"),
                        ("domains[0].host", "plakbord.example")]:
        assert re.search(rf'name="{re.escape(name)}"[^>]*value="{re.escape(value)}"', form) or \
            re.search(rf'value="{re.escape(value)}"[^>]*name="{re.escape(name)}"', form), name
