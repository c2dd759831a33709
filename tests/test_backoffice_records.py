"""The back office's record pages: lists, forms, the verdict and its preview, conflicts,
history, archive and restore (registry/backoffice/records.py), through the TestClient as a
signed-in procurement officer."""

from __future__ import annotations

import html
import re
from pathlib import Path

import msgspec
import pytest

from registry import labels, models
from registry.labels import records as record_labels
from registry.db import Registry
from registry.store.rows import to_builtins

pytestmark = pytest.mark.backoffice

M = record_labels.FORM_MESSAGES
VENDOR = models.VendorIn(id="rekenfabriek", name="Rekenfabriek B.V.", country="NL")
TOOL = models.ToolIn(id="rekenrijk", vendor_id="rekenfabriek", name="Rekenrijk",
                     category=models.Category.communication, levels=[models.Level.PO],
                     data_locations=["NL"],
                     domains=[models.ToolDomain(host="rekenrijk.nl")])
AGREEMENT = models.AgreementIn(id="rekenfabriek-po", vendor_id="rekenfabriek",
                               tool_ids=["rekenrijk"], model_version=models.ModelVersion.model_4,
                               status=models.AgreementStatus.signed,
                               signed_on="2026-01-01", expires_on="2028-12-31")
ASSESSMENT = models.AssessmentIn(id="rekenrijk-dpia", tool_id="rekenrijk",
                                 kind=models.AssessmentKind.dpia, assessor="Kennisnet",
                                 assessed_on="2026-02-01", status=models.AssessmentStatus.final,
                                 outcome=models.Outcome.approved, residual_risk=models.Risk.low)
ENGLISH = re.compile(r"\b(must be|is required|expected|invalid|not one of|there is no|"
                     r"belongs to)\b|`", re.I)
RAW_CODES = re.compile(r"\b(model_[234]|privacy_quickscan|approved_with_conditions|"
                       r"not_applicable|non_compliant|in_review|not_allowed|not_assessed|"
                       r"under_review|learning_material|pupil_administration|ai_assistant|"
                       r"content_creation)\b")


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


@pytest.fixture
def client(staff_client):
    return staff_client("procurement")


@pytest.fixture
def seeded(registry):
    """A vendor, a tool, its agreement and assessment: the tool is allowed."""
    for kind, record in (("vendors", VENDOR), ("tools", TOOL), ("agreements", AGREEMENT),
                         ("assessments", ASSESSMENT)):
        registry.create(kind, msgspec.convert(to_builtins(record), type(record)), "seed")
    return registry


def text_of(page: str) -> str:
    """What a person reads: no tags, no attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def form_values(page: str, form_action: str | None = None) -> dict[str, list[str]]:
    """The fields a browser would send from the record form on `page` (no button pressed)."""
    match = re.search(r'<form method="post" action="[^"]*" class="record-form".*?</form>', page,
                      re.S)
    form = match[0]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input\b[^>]*>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name or name == "_csrf_token":
            continue
        if kind == "checkbox" and " checked" not in tag:
            continue
        data.setdefault(name, []).append(html.unescape(attrs.get("value", "")))
    for name, body in re.findall(r'<textarea\b[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                 re.S):
        data[name] = [html.unescape(body)]
    for name, body in re.findall(r'<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = [html.unescape(chosen[1]) if chosen else ""]
    return data


def submit(client, path: str, data: dict, page: str | None = None):
    page_text = client.get(page or path).text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page_text)[1]
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


# --- lists ---------------------------------------------------------------------------------------


@pytest.fixture
def many_tools(registry):
    registry.create("vendors", VENDOR, "seed")
    registry.create("vendors", models.VendorIn(id="taalhuis", name="Taalhuis", country="BE"),
                    "seed")
    tools = [models.ToolIn(id=f"tool-{i:03d}", vendor_id="rekenfabriek" if i % 2 else "taalhuis",
                           name=f"{'Reken' if i < 30 else 'Taal'} {i:03d}",
                           category="practice" if i % 3 else "communication",
                           levels=["SO"] if i % 10 == 0 else ["PO"]) for i in range(120)]
    registry.create_many("tools", tools, "seed")
    return registry


def ids_on(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/beheer/tools/([^"]+)">', page)


def test_a_list_pages_by_fifty_with_a_count(client, many_tools):
    first = client.get("/beheer/tools")
    assert first.status_code == 200
    assert ids_on(first.text) == [f"tool-{i:03d}" for i in range(50)]
    assert "1–50 van 120" in text_of(first.text)
    assert 'href="/beheer/tools?pagina=2" rel="next">Volgende' in first.text
    assert 'rel="prev"' not in first.text
    last = client.get("/beheer/tools?pagina=3")
    assert ids_on(last.text) == [f"tool-{i:03d}" for i in range(100, 120)]
    assert "101–120 van 120" in text_of(last.text)
    assert 'href="/beheer/tools?pagina=2" rel="prev">Vorige' in last.text
    assert 'rel="next"' not in last.text
    assert "Niets op deze pagina. Er zijn er 120" in text_of(
        client.get("/beheer/tools?pagina=9").text)
    assert "Niets gevonden." in text_of(client.get("/beheer/tools?q=zzz").text)


@pytest.mark.parametrize(("query", "expected"), [
    ("q=reken", [f"tool-{i:03d}" for i in range(30)]),        # the start of a name, any case
    ("q=REKEN%2002", [f"tool-{i:03d}" for i in range(20, 30)]),
    ("q=tool-11", [f"tool-{i:03d}" for i in range(110, 120)]),  # the start of an id
    ("q=eken", []),
    ("q=%25", []),                                             # LIKE's wildcard is a character
    ("onderwijs=SO", [f"tool-{i:03d}" for i in range(0, 120, 10)]),
    ("soort=communication&leverancier=taalhuis", [f"tool-{i:03d}" for i in range(0, 120, 6)]),
    ("q=taal&soort=communication", [f"tool-{i:03d}" for i in range(30, 120, 3)]),
    ("soort=onzin", [f"tool-{i:03d}" for i in range(120)]),  # an unknown choice: ignored
])
def test_a_list_searches_and_filters(client, many_tools, query, expected):
    page = client.get(f"/beheer/tools?{query}").text
    assert ids_on(page)[:50] == expected[:50]
    assert (f"van {len(expected)}" in text_of(page)) == bool(expected)


def test_archived_records_are_listed_on_request(client, many_tools):
    many_tools.archive("tools", "tool-001", "seed", None)
    assert "tool-001" not in ids_on(client.get("/beheer/tools").text)
    assert "tool-001" in ids_on(client.get("/beheer/tools?archief=ook").text)
    assert ids_on(client.get("/beheer/tools?archief=alleen").text) == ["tool-001"]
    assert "(gearchiveerd)" in client.get("/beheer/tools?archief=alleen").text


def test_each_kind_has_its_list(client, seeded):
    for path, shown in [("/beheer/leveranciers", "Rekenfabriek B.V."),
                        ("/beheer/tools", "Rekenrijk"),
                        ("/beheer/overeenkomsten?status=signed", "rekenfabriek-po"),
                        ("/beheer/beoordelingen?tool=rekenrijk", "rekenrijk-dpia")]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert shown in text_of(page.text), path
        assert not RAW_CODES.search(text_of(page.text)), path


def test_a_tool_in_the_list_shows_its_live_verdict(client, seeded):
    page = client.get("/beheer/tools").text
    assert '<span class="verdict verdict-allowed">Toegestaan</span>' in page


def test_the_tools_of_one_verdict(client, seeded):
    seeded.create("tools", models.ToolIn(id="taalrijk", vendor_id="rekenfabriek",
                                         name="Taalrijk", category="practice", levels=["VO"]),
                  "seed")
    assert ids_on(client.get("/beheer/tools?oordeel=allowed").text) == ["rekenrijk"]
    assert ids_on(client.get("/beheer/tools?oordeel=not_assessed").text) == ["taalrijk"]
    assert ids_on(client.get("/beheer/tools?oordeel=not_assessed&q=reken").text) == []


def _plans(conn, statements: list[str]) -> list[str]:
    lines = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            lines += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    return lines


@pytest.mark.parametrize("query", [
    "", "?q=reken", "?q=Reken%20Rijk", "?q=tool-1", "?pagina=3", "?soort=practice",
    "?leverancier=taalhuis", "?q=taal&soort=communication", "?archief=alleen",
])
def test_a_list_reads_through_indexes(client, many_tools, query):
    """At 100,000 tools a list page must not read every row: no statement it runs scans a
    record table (the tools' `level` filter, which reads each row's JSON, is the exception)."""
    conn = many_tools.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        assert client.get(f"/beheer/tools{query}").status_code == 200
    finally:
        conn.set_trace_callback(None)
    plans = _plans(conn, statements)
    assert any("tools" in line for line in plans)
    # An index may be walked in order (a page of live records, stopping after it), a table never.
    scans = [line for line in plans if re.match(
        r"SCAN (tools|vendors|agreements|assessments)\b"
        r"(?! USING (COVERING INDEX|INDEX \w+_(live|archived)$))", line)]
    assert scans == []
    if "q=" in query:  # a search finds its rows, it walks nothing
        assert not [line for line in plans if line.startswith("SCAN tools")]


# --- forms: create, edit, errors, rows ----------------------------------------------------------


def test_create_a_vendor_and_land_on_its_page(client, registry):
    answer = submit(client, "/beheer/leveranciers/nieuw", {
        "id": "rekenfabriek", "name": "Rekenfabriek B.V.", "country": "NL",
        "kvk_number": "12345678", "covenant_status": "participant",
        "covenant_since": "01-09-2020", "certifications[0].name": "ISO 27001",
        "certifications[0].certified_on": "2024-05-01", "certifications[1].name": ""})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/leveranciers/rekenfabriek?melding=aangemaakt"
    vendor = registry.get("vendors", "rekenfabriek")
    assert (vendor.covenant_since.isoformat(), vendor.certifications[0].name) == (
        "2020-09-01", "ISO 27001")
    assert registry.audit.history("vendors", "rekenfabriek")[0].actor == client.account.email
    page = client.get(answer.headers["location"]).text
    assert "De leverancier is aangemaakt." in text_of(page)
    assert '<option value="participant" selected>Deelnemer</option>' in page


def test_create_a_tool_with_two_domains_and_a_sub_processor(client, registry):
    registry.create("vendors", VENDOR, "seed")
    new = client.get("/beheer/tools/nieuw").text
    assert 'name="processes_personal_data" aria-describedby' in new
    assert re.search(r'name="processes_personal_data"[^>]* checked', new)  # its default
    answer = submit(client, "/beheer/tools/nieuw", {
        "id": "rekenrijk", "vendor_id": "rekenfabriek", "name": "Rekenrijk",
        "category": "practice", "levels": ["PO", "VO"], "processes_personal_data": "ja",
        "domains[0].host": "https://app.rekenrijk.nl/inloggen", "domains[1].host": "",
        "domains[2].host": "login.rekenrijk.nl", "domains[2].include_subdomains": "ja",
        "sub_processors[0].name": "Wolk B.V.", "sub_processors[0].activity": "hosting",
        "sub_processors[0].country": "DE", "data_locations[0]": "NL"})
    assert answer.status_code == 303, text_of(answer.text)
    tool = registry.get("tools", "rekenrijk")
    assert [(d.host, d.include_subdomains) for d in tool.domains] == [
        ("app.rekenrijk.nl", False), ("login.rekenrijk.nl", True)]
    assert tool.sub_processors[0].country == "DE"


def test_a_vendor_typed_by_its_name(client, registry, staff_client):
    registry.create("vendors", VENDOR, "seed")
    # More vendors than a select holds: the reference is a text field that knows names.
    registry.create_many("vendors", [models.VendorIn(id=f"v-{i}", name=f"Vendor {i}",
                                                     country="NL") for i in range(200)], "seed")
    page = client.get("/beheer/tools/nieuw").text
    assert re.search(r'<input type="text" value="" id="veld-vendor-id" name="vendor_id"', page)
    answer = submit(client, "/beheer/tools/nieuw", {
        "id": "rekenrijk", "vendor_id": "Rekenfabriek B.V.", "name": "Rekenrijk",
        "category": "practice", "levels": ["PO"]})
    assert answer.status_code == 303
    assert registry.get("tools", "rekenrijk").vendor_id == "rekenfabriek"


def test_edit_saves_a_new_version_and_says_so(client, seeded):
    page = client.get("/beheer/tools/rekenrijk").text
    data = form_values(page)
    assert data["versie"] == ["1"] and data["name"] == ["Rekenrijk"]
    data["name"] = ["Rekenrijk 2"]
    answer = submit(client, "/beheer/tools/rekenrijk", data)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/tools/rekenrijk?melding=opgeslagen"
    tool = seeded.get("tools", "rekenrijk")
    assert (tool.name, tool.version, tool.domains) == ("Rekenrijk 2", 2, TOOL.domains)
    assert "De wijzigingen zijn opgeslagen." in text_of(client.get(answer.headers["location"]).text)


def test_an_unchanged_form_saves_nothing_new(client, seeded):
    data = form_values(client.get("/beheer/tools/rekenrijk").text)
    assert submit(client, "/beheer/tools/rekenrijk", data).status_code == 303
    assert seeded.get("tools", "rekenrijk").version == 1


def test_every_error_at_once_in_dutch_and_nothing_saved(client, seeded):
    events = len(seeded.audit.events())
    answer = submit(client, "/beheer/tools/nieuw", {
        "id": "Reken Rijk", "vendor_id": "", "name": "", "category": "practice",
        "levels": [], "minimum_age": "zes", "domains[0].host": "192.168.0.1",
        "data_locations[0]": "NL", "data_locations[1]": "NL",
        "pseudonymisation.checked_on": "31-02-2026"})
    assert answer.status_code == 422
    page = answer.text
    expected = {"id": M["slug"], "vendor-id": M["required"], "name": M["required"],
                "levels": M["choose_one"], "minimum-age": M["whole_number"],
                "domains-0-host": M["ip_host"], "data-locations-1": M["twice"],
                "pseudonymisation-checked-on": M["no_such_date"]}
    for name, message in expected.items():
        error_id = f"veld-{name}-fout"
        assert f'id="{error_id}"><span class="visually-hidden">Fout: </span>' \
               f'{html.escape(message, quote=False)}</p>' in page.replace("&#39;", "'"), name
        if name != "levels":  # a group of checkboxes: on the fieldset and each box
            assert re.search(rf'id="veld-{name}" name="[^"]+" aria-describedby="{error_id}'
                             rf'[^"]*" aria-invalid="true"', page), name
    assert "Er zijn 8 fouten in het formulier. Er is niets opgeslagen." in page
    assert len(re.findall(r'<li><a href="#veld-', page)) == 8
    assert 'value="Reken Rijk"' in page and 'value="192.168.0.1"' in page  # kept as typed
    assert not ENGLISH.search(text_of(page))
    assert seeded.records_by_id("tools", ["reken rijk", "Reken Rijk"]) == {}
    assert len(seeded.audit.events()) == events


def test_a_date_typed_the_dutch_way_is_a_date_or_a_dutch_error(client, seeded):
    data = form_values(client.get("/beheer/overeenkomsten/rekenfabriek-po").text)
    answer = submit(client, "/beheer/overeenkomsten/rekenfabriek-po",
                    {**data, "signed_on": "01-09-2026", "expires_on": "31-08-2026"})
    assert answer.status_code == 422
    assert M["after"].format(other="Getekend op", day="1 september 2026") in text_of(
        answer.text)
    assert not ENGLISH.search(text_of(answer.text))
    answer = submit(client, "/beheer/overeenkomsten/rekenfabriek-po",
                    {**data, "signed_on": "01-09-2026"})
    assert answer.status_code == 303
    assert seeded.get("agreements", "rekenfabriek-po").signed_on.isoformat() == "2026-09-01"


def test_references_are_checked_as_the_api_checks_them(client, seeded):
    seeded.create("vendors", models.VendorIn(id="taalhuis", name="Taalhuis", country="NL"),
                  "seed")
    seeded.create("tools", models.ToolIn(id="taalrijk", vendor_id="taalhuis", name="Taalrijk",
                                         category="practice", levels=["PO"]), "seed")
    answer = submit(client, "/beheer/overeenkomsten/nieuw", {
        "id": "nieuw-po", "vendor_id": "rekenfabriek", "tool_ids[0]": "rekenrijk",
        "tool_ids[1]": "taalrijk", "tool_ids[2]": "bestaat-niet", "model_version": "model_4",
        "status": "offered"})
    assert answer.status_code == 422
    assert M["other_owner"].format(record="tool", id="taalrijk", owner="taalhuis",
                                   own="rekenfabriek") in text_of(answer.text)
    assert M["not_found_name"].format(record="tool", text="bestaat-niet") in text_of(answer.text)
    assert seeded.records_by_id("agreements", ["nieuw-po"]) == {}
    taken = submit(client, "/beheer/leveranciers/nieuw",
                   {"id": "taalhuis", "name": "Ander Taalhuis", "country": "NL"})
    assert M["id_taken"].format(record="leverancier", id="taalhuis") in text_of(taken.text)
    assert seeded.get("vendors", "taalhuis").name == "Taalhuis"


def test_another_row_without_saving(client, seeded):
    data = form_values(client.get("/beheer/tools/rekenrijk").text)
    assert data["rijen.domains"] == ["3"]  # one filled, two empty
    data["domains[1].host"] = ["login.rekenrijk.nl"]
    data["name"] = ["Nog niet opgeslagen"]
    answer = submit(client, "/beheer/tools/rekenrijk", {**data, "actie": "regel:domains"})
    assert answer.status_code == 200
    page = answer.text
    # Two filled, the empty rows left (at least two) and one more.
    assert 'name="domains[4].host"' in page and 'name="domains[5].host"' not in page
    assert 'value="login.rekenrijk.nl"' in page and 'value="Nog niet opgeslagen"' in page
    assert 'class="field-error"' not in page  # a form being filled in is not judged yet
    assert seeded.get("tools", "rekenrijk").version == 1


# --- the verdict and its preview ------------------------------------------------------------------


def test_a_tool_page_shows_every_rule_passed_or_failed(client, seeded):
    page = client.get("/beheer/tools/rekenrijk").text
    box = page[page.index('aria-labelledby="oordeel-titel"'):]
    assert '<span class="verdict verdict-allowed">Toegestaan</span>' in box
    for rule in labels.RULE_LABELS.values():
        assert f'<th scope="row">{html.escape(rule)}</th>' in box
    assert box.count("✔ Voldoet") == 7


def test_the_preview_of_an_unsaved_form(client, seeded):
    data = form_values(client.get("/beheer/tools/rekenrijk").text)
    data["data_locations[0]"] = [""]
    answer = submit(client, "/beheer/tools/rekenrijk", {**data, "actie": "voorbeeld"})
    assert answer.status_code == 200
    page = answer.text
    preview = page[page.index('id="voorbeeld"'):page.index('class="record-form"')]
    assert '<span class="verdict verdict-not_allowed">Niet toegestaan</span>' in preview
    assert "Het is niet bekend waar de gegevens worden opgeslagen." in preview
    live = page[page.index('aria-labelledby="oordeel-titel"'):page.index('id="voorbeeld"')]
    assert "verdict-allowed" in live  # the saved tool is still allowed
    assert form_values(page)["data_locations[0]"] == [""]
    assert form_values(page)["name"] == ["Rekenrijk"]
    assert seeded.get("tools", "rekenrijk").data_locations == ["NL"]
    assert seeded.get("tools", "rekenrijk").version == 1


def test_the_preview_of_a_new_tool_and_of_a_form_with_errors(client, seeded):
    answer = submit(client, "/beheer/tools/nieuw", {
        "id": "taalrijk", "vendor_id": "rekenfabriek", "name": "Taalrijk", "category": "practice",
        "levels": ["PO"], "actie": "voorbeeld"})
    assert '<span class="verdict verdict-not_assessed">Niet beoordeeld</span>' in answer.text
    assert seeded.records_by_id("tools", ["taalrijk"]) == {}
    wrong = submit(client, "/beheer/tools/nieuw", {"id": "taalrijk", "actie": "voorbeeld"})
    assert wrong.status_code == 422
    assert "Het oordeel kan pas worden berekend als het formulier klopt." in wrong.text


# --- two officers at once ----------------------------------------------------------------------


def test_a_stale_save_shows_the_conflict_and_loses_nothing(staff_client, seeded):
    first, second = staff_client("procurement"), staff_client("procurement")
    mine = form_values(second.get("/beheer/tools/rekenrijk").text)
    theirs = form_values(first.get("/beheer/tools/rekenrijk").text)
    theirs["name"] = ["Rekenrijk Plus"]
    theirs["description"] = ["Door de eerste."]
    assert submit(first, "/beheer/tools/rekenrijk", theirs).status_code == 303

    mine["description"] = ["Door de tweede."]
    mine["data_locations[1]"] = ["DE"]
    answer = submit(second, "/beheer/tools/rekenrijk", mine, page="/beheer/leveranciers")
    assert answer.status_code == 409
    page = answer.text
    conflict = text_of(page[page.index('id="conflict"'):page.index("</table>")])
    assert "Iemand anders heeft de tool intussen gewijzigd" in conflict
    assert f"{first.account.email} wijzigde het op" in conflict
    assert "Naam Rekenrijk Plus niet door jou gewijzigd" in conflict
    assert "Omschrijving Door de eerste. Door de tweede." in conflict
    tool = seeded.get("tools", "rekenrijk")
    assert (tool.name, tool.description, tool.data_locations, tool.version) == (
        "Rekenrijk Plus", "Door de eerste.", ["NL"], 2)
    again = form_values(page)
    assert again["versie"] == ["2"]
    assert again["name"] == ["Rekenrijk Plus"]          # theirs, which the second left alone
    assert again["description"] == ["Door de tweede."]  # what the second typed
    assert again["data_locations[1]"] == ["DE"]

    assert submit(second, "/beheer/tools/rekenrijk", again,
                  page="/beheer/leveranciers").status_code == 303
    tool = seeded.get("tools", "rekenrijk")
    assert (tool.name, tool.description, tool.data_locations, tool.version) == (
        "Rekenrijk Plus", "Door de tweede.", ["NL", "DE"], 3)


# --- history, archive, restore ------------------------------------------------------------------


def test_the_history_says_who_changed_what_from_what_to_what(client, seeded):
    data = form_values(client.get("/beheer/overeenkomsten/rekenfabriek-po").text)
    data["model_version"] = ["model_3"]
    assert submit(client, "/beheer/overeenkomsten/rekenfabriek-po", data).status_code == 303
    page = client.get("/beheer/overeenkomsten/rekenfabriek-po/geschiedenis")
    assert page.status_code == 200
    words = text_of(page.text)
    changed = seeded.get("agreements", "rekenfabriek-po").updated_at
    # the moment as the Netherlands reads it: after 23:00 UTC that is already the next day
    assert f"Gewijzigd (versie 2) {labels.dutch_datetime(changed)}" in words
    assert f"door {client.account.email}" in words
    assert ("Model van de overeenkomst Model Verwerkersovereenkomst 4.0 "
            "Model Verwerkersovereenkomst 3.0") in words
    assert "Aangemaakt (versie 1)" in words and "door seed" in words
    assert words.index("versie 2") < words.index("versie 1")  # newest first
    assert not RAW_CODES.search(words)


def test_archive_and_restore(client, seeded):
    page = client.get("/beheer/tools/rekenrijk").text
    answer = submit(client, "/beheer/tools/rekenrijk/archiveren", {"versie": "1"},
                    page="/beheer/tools/rekenrijk")
    assert answer.headers["location"] == "/beheer/tools/rekenrijk?melding=gearchiveerd"
    assert seeded.get("tools", "rekenrijk").archived_at is not None
    archived = client.get("/beheer/tools/rekenrijk").text
    assert "Terugzetten uit het archief" in archived and 'class="record-form"' not in archived
    assert "<dt>Naam</dt><dd>Rekenrijk</dd>" in archived
    assert ids_on(client.get("/beheer/tools").text) == []
    # A save from a form read before the archiving changes nothing.
    stale = submit(client, "/beheer/tools/rekenrijk", form_values(page),
                   page="/beheer/tools/rekenrijk/geschiedenis")
    assert stale.headers["location"].endswith("melding=al-gearchiveerd")

    answer = submit(client, "/beheer/tools/rekenrijk/terugzetten", {"versie": "2"},
                    page="/beheer/tools/rekenrijk")
    assert answer.headers["location"] == "/beheer/tools/rekenrijk?melding=teruggezet"
    tool = seeded.get("tools", "rekenrijk")
    assert (tool.archived_at, tool.version) == (None, 3)
    actions = [(e.action, e.actor, e.changed) for e in seeded.audit.history("tools", "rekenrijk")]
    assert actions[1:] == [("archive", client.account.email, ["archived_at"]),
                           ("restore", client.account.email, ["archived_at"])]
    assert seeded.audit.verify_events() == [] and seeded.audit.verify_rows() == []
    words = text_of(client.get("/beheer/tools/rekenrijk/geschiedenis").text)
    assert "Teruggezet uit het archief (versie 3)" in words and "Gearchiveerd (versie 2)" in words


def test_archive_with_a_stale_version_changes_nothing(client, seeded):
    answer = submit(client, "/beheer/tools/rekenrijk/archiveren", {"versie": "7"},
                    page="/beheer/tools/rekenrijk")
    assert answer.headers["location"].endswith("melding=verouderd")
    assert seeded.get("tools", "rekenrijk").archived_at is None
    assert "Iemand anders heeft dit intussen gewijzigd" in text_of(
        client.get(answer.headers["location"]).text)


def test_the_history_api_reads_a_restore(seeded):
    seeded.archive("vendors", "rekenfabriek", "seed", None)
    seeded.restore("vendors", "rekenfabriek", "seed", None)
    assert [e.action for e in seeded.audit.history("vendors", "rekenfabriek")] == [
        "create", "archive", "restore"]


# --- what every page says, and to whom -----------------------------------------------------------


def test_no_page_shows_a_raw_code_or_english(client, seeded):
    paths = ["/beheer/leveranciers", "/beheer/tools", "/beheer/overeenkomsten",
             "/beheer/beoordelingen", "/beheer/leveranciers/rekenfabriek",
             "/beheer/tools/rekenrijk", "/beheer/overeenkomsten/rekenfabriek-po",
             "/beheer/beoordelingen/rekenrijk-dpia", "/beheer/tools/nieuw",
             "/beheer/overeenkomsten/nieuw", "/beheer/beoordelingen/nieuw",
             "/beheer/leveranciers/nieuw", "/beheer/tools/rekenrijk/geschiedenis",
             "/beheer/beoordelingen/rekenrijk-dpia/geschiedenis"]
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        assert not RAW_CODES.search(text_of(page.text)), path
        assert not ENGLISH.search(text_of(page.text)), path
    for kind_path in ("overeenkomsten", "beoordelingen"):
        wrong = submit(client, f"/beheer/{kind_path}/nieuw", {"id": "x", "status": "final"})
        assert wrong.status_code == 422
        assert not RAW_CODES.search(text_of(wrong.text))
        assert not ENGLISH.search(text_of(wrong.text))


def test_links_from_a_tool_fill_in_the_new_records_form(client, seeded):
    page = client.get("/beheer/beoordelingen/nieuw?tool=rekenrijk").text
    assert 'value="rekenrijk" id="veld-tool-id" name="tool_id"' in page
    page = client.get("/beheer/overeenkomsten/nieuw?leverancier=rekenfabriek&tool=rekenrijk").text
    assert '<option value="rekenfabriek" selected>' in page
    assert 'value="rekenrijk" id="veld-tool-ids-0" name="tool_ids[0]"' in page


def test_an_unknown_record_is_a_dutch_404(client):
    answer = client.get("/beheer/tools/bestaat-niet")
    assert answer.status_code == 404
    assert "Deze pagina bestaat niet" in answer.text


@pytest.mark.parametrize("role", ["procurement", "publisher", "admin"])
def test_every_staff_role_may_keep_records(staff_client, seeded, role):
    assert staff_client(role).get("/beheer/tools/rekenrijk").status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(backoffice_client, seeded):
    answer = backoffice_client.get("/beheer/tools/rekenrijk", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/beheer/inloggen?volgende=")
    refused = backoffice_client.post("/beheer/tools/rekenrijk/archiveren", data={"versie": "1"},
                                     follow_redirects=False)
    assert refused.status_code == 403
    assert seeded.get("tools", "rekenrijk").archived_at is None


def test_a_form_without_its_csrf_token_is_refused(client, seeded):
    answer = client.post("/beheer/tools/rekenrijk/archiveren", data={"versie": "1"},
                         follow_redirects=False)
    assert answer.status_code == 403
    assert seeded.get("tools", "rekenrijk").archived_at is None


# --- in Chromium: WCAG 2.1 AA, the script that adds rows, the keyboard ------------------------

PASSWORD = "een lang wachtwoord voor de browser"


@pytest.fixture
def officer(page, site):
    """The browser signed in as a procurement officer on the demo data."""
    db_path = Path(site.process.args[site.process.args.index("--db") + 1])
    registry = Registry(db_path)
    try:
        if registry.accounts.by_email("inkoop@school.example") is None:
            registry.accounts.create("inkoop@school.example", "Inkoop", models.Role.procurement,
                                     PASSWORD, "test")
    finally:
        registry.close()
    page.goto("/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("inkoop@school.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


@pytest.mark.browser
def test_record_pages_meet_wcag_21_aa(officer, axe_violations):
    page, found = officer, {}
    for path in ["/beheer/tools", "/beheer/tools?q=noorderlicht&archief=ook",
                 "/beheer/leveranciers", "/beheer/overeenkomsten", "/beheer/beoordelingen",
                 "/beheer/tools/nieuw", "/beheer/leveranciers/nieuw",
                 "/beheer/overeenkomsten/nieuw", "/beheer/beoordelingen/nieuw",
                 "/beheer/tools/noorderlicht-rekenen",
                 "/beheer/tools/noorderlicht-rekenen/geschiedenis"]:
        page.goto(path)
        found[path] = axe_violations(page)
    page.goto("/beheer/tools/noorderlicht-rekenen")
    page.get_by_label("Naam (verplicht)").fill("")
    page.get_by_label("Minimumleeftijd").fill("zes")
    page.get_by_role("button", name="Opslaan").click()
    assert page.locator("#fouten").is_visible()
    # records.js moves the focus once the page has loaded: wait for it, not for a time.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'fouten'")
    found["errors"] = axe_violations(page)
    page.goto("/beheer/tools/noorderlicht-rekenen")
    page.get_by_role("button", name="Oordeel bekijken").click()
    assert page.locator("#voorbeeld .verdict").is_visible()
    found["preview"] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


@pytest.mark.browser
def test_a_row_is_added_in_the_page_and_enter_saves(officer):
    page = officer
    page.goto("/beheer/tools/nieuw")
    domains = page.locator("fieldset#veld-domains")
    assert domains.locator("li.row").count() == 2
    page.evaluate("window.stayed = true")
    domains.get_by_role("button", name="Nog een regel").click()
    assert page.evaluate("window.stayed === true")  # no round trip: the page is the same
    assert domains.locator("li.row").count() == 3
    assert page.evaluate("document.activeElement.name") == "domains[2].host"
    page.keyboard.type("https://derde.rekenrijk-demo.nl/les")
    page.get_by_label("Id (verplicht)").fill("rekenrijk-browser")
    page.get_by_label("Leverancier (verplicht)").select_option("uitgeverij-noorderlicht")
    page.get_by_label("Naam (verplicht)").fill("Rekenrijk in de browser")
    page.get_by_label("Soort tool (verplicht)").select_option("practice")
    page.get_by_label("Primair onderwijs (PO)").check()
    page.get_by_label("Naam (verplicht)").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # saves; the first button of the form adds a row
    assert page.url.endswith("/beheer/tools/rekenrijk-browser?melding=aangemaakt")
    assert page.locator("#veld-domains-0-host").input_value() == "derde.rekenrijk-demo.nl"
