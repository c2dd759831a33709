"""A page per tool at /tools/{id}: the verdict valid today with its icon and text, school types
and age, conditions, reasons with failed rules first (and rules that do not count never shown
as passed), agreement, assessment, data, allowed alternatives and the verdict's history."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from registry.db import Registry
from registry.publish.builder import publish
from registry.whitelist.tools import reasons_in_order

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def published(demo_published):
    """The demo data published on TODAY: (the registry database, the whitelist file)."""
    return demo_published


@pytest.fixture(scope="module")
def on_day(replica_on):
    """`on_day(day, file=None)`: a replica's client on the published file, asked on `day`."""
    return replica_on


def text_of(html: str) -> str:
    main = html.split('<main', 1)[1].split("</main>", 1)[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))
    return text.replace("&#39;", "'").replace("&shy;", "")


def section(html: str, title_id: str) -> str:
    return text_of("<main>" + html.split(f'id="{title_id}"', 1)[1].split("</section>", 1)[0]
                   + "</main>")


def test_a_tool_page_says_what_a_teacher_needs(on_day):
    response = on_day(TODAY).get("/tools/denkvonk-assistent")
    assert response.status_code == 200
    html = response.text
    assert "<title>Denkvonk Schrijfassistent (demo): Toegestaan onder voorwaarden" in html
    assert re.search(r'class="verdict verdict-allowed_with_conditions"><span class="icon" '
                     r'aria-hidden="true">!</span> Toegestaan onder voorwaarden<', html)
    verdict = section(html, "oordeel-titel")
    assert "Onderwijs voortgezet onderwijs (VO)" in verdict
    assert "Leeftijd Vanaf 13 jaar" in verdict
    assert "Alleen gebruiken met een schoolaccount." in verdict
    assert "Wat doe je nu?" in verdict
    assert "Let op" not in verdict  # the change is 18 May 2028, far away
    agreement = section(html, "overeenkomst-titel")
    assert "Model Model Verwerkersovereenkomst 4.0" in agreement
    assert "Geldig tot en met 30 april 2030" in agreement
    assessment = section(html, "beoordeling-titel")
    assert "Door SIVON Demo" in assessment and "Op 18 mei 2026" in assessment
    assert "Samenvatting Toegestaan onder voorwaarden: invoer wordt niet gebruikt" in assessment
    assert 'href="https://privacytoets-demo.nl/rapporten/denkvonk-assistent-dpia-2026"' in html
    assert "Landen Nederland, Zweden" in section(html, "gegevens-titel")
    assert "Naam Denkvonk AI B.V. (demo)" in section(html, "leverancier-titel")
    assert 'href="/lijst/witte-lijst/tools/denkvonk-assistent"' in html


def test_failed_rules_come_first_and_rules_that_do_not_count_are_not_passed(on_day):
    html = on_day(TODAY).get("/tools/denkvonk-huiswerkhulp").text  # rejected by its DPIA
    items = re.findall(r'<li class="(ok|fail|na)"><span class="icon" aria-hidden="true">(.)'
                       r'</span><span class="visually-hidden">([^<]*)</span> (.*?)</li>',
                       html.split('id="waarom-titel"')[1], re.S)
    states = [state for state, *_ in items]
    assert states == sorted(states, key=["fail", "ok", "na"].index), states
    assert states[0] == "fail" and "na" in states
    conditions = next(item for item in items if "Voorwaarden." in item[3])
    assert conditions[:3] == ("na", "–", "Telt nu niet mee:")
    assert not any(state == "ok" and "stelt voorwaarden" in text for state, _, _, text in items)


@pytest.mark.parametrize(("reasons", "verdict", "agreement", "expected"), [
    ([{"rule": "conditions", "passed": True, "text": "a"},
      {"rule": "assessment", "passed": False, "text": "b"}], "not_allowed", "signed",
     ["fail", "na"]),
    ([{"rule": "conditions", "passed": True, "text": "a"}], "allowed", "signed", ["ok"]),
    ([{"rule": "agreement", "passed": True, "text": "a"}], "allowed", "not_needed", ["na"]),
    ([{"rule": "agreement", "passed": False, "text": "a"}], "not_allowed", "not_needed",
     ["fail"]),
    ([{"rule": "data_location", "passed": True, "text": "a", "applies": False},
      {"rule": "residual_risk", "passed": True, "text": "b"}], "allowed", "signed",
     ["ok", "na"]),
])
def test_which_reasons_count(reasons, verdict, agreement, expected):
    assert [r["state"] for r in reasons_in_order(reasons, verdict, agreement)] == expected


def test_the_page_shows_the_verdict_of_today_not_of_the_publication(on_day):
    # Sommenstad Oefenen: allowed when published, not allowed from 16 January 2027.
    before = text_of(on_day(dt.date(2026, 12, 20)).get("/tools/sommenstad-oefenen").text)
    assert "✔ Toegestaan" in before
    assert "Let op: dit oordeel verandert op 16 januari 2027." in before
    after = on_day(dt.date(2027, 2, 1)).get("/tools/sommenstad-oefenen").text
    assert "✖ Niet toegestaan" in text_of(after) and "Let op" not in text_of(after)
    assert "<title>Sommenstad Oefenen (demo): Niet toegestaan" in after


def test_alternatives_are_only_the_ones_allowed_today(on_day):
    page = on_day(TODAY).get("/tools/kaartenbak-topografie").text
    assert "Sommenstad Oefenen (demo) ✔ Toegestaan" in section(page, "alternatieven-titel")
    later = on_day(dt.date(2027, 2, 1)).get("/tools/kaartenbak-topografie").text
    alternatives = section(later, "alternatieven-titel")
    assert "Sommenstad Oefenen" not in alternatives  # not allowed from 16 January 2027
    assert "Taaltuin Spelling (demo) ✔ Toegestaan" in alternatives
    assert "Maakplaats Quiz (demo) ! Toegestaan onder voorwaarden" in alternatives
    assert 'href="/tools/taaltuin-spelling"' in later
    assert "alternatieven-titel" not in on_day(TODAY).get("/tools/denkvonk-assistent").text


def test_an_agreement_that_ran_out_since_publishing_says_so(on_day):
    page = on_day(dt.date(2027, 2, 1)).get("/tools/sommenstad-oefenen").text
    assert "Status Verlopen" in section(page, "overeenkomst-titel")
    assert "Status Getekend" in section(on_day(TODAY).get("/tools/sommenstad-oefenen").text,
                                        "overeenkomst-titel")


def test_the_history_spans_publications_and_an_older_file_has_none(published, on_day,
                                                                    tmp_path):
    db_path, file = published
    copy = tmp_path / "zonder-geschiedenis.db"
    shutil.copy(file, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE IF EXISTS changelog")
    old = on_day(TODAY, copy).get("/tools/sommenstad-oefenen")
    assert old.status_code == 200
    assert "Er is nog geen geschiedenis van deze tool bekend." in old.text

    client = on_day(dt.date(2027, 2, 1))
    first = section(client.get("/tools/sommenstad-oefenen").text, "geschiedenis-titel")
    assert re.search(r"Versie 1, \d+ \w+ \d{4}: Toegevoegd \(‘Toegestaan’\)", first), first
    registry = Registry(db_path)
    try:
        publish(registry, file, dt.date(2027, 2, 1), "test")
    finally:
        registry.close()
    history = section(client.get("/tools/sommenstad-oefenen").text, "geschiedenis-titel")
    assert re.search(r"Versie 2, .*?: Oordeel gewijzigd \(van ‘Toegestaan’ naar "
                     r"‘Niet toegestaan’\)\. .*Versie 1, ", history), history


def test_an_unknown_tool_is_404(on_day):
    assert on_day(TODAY).get("/tools/bestaat-niet").status_code == 404


# --- in a browser ----------------------------------------------------------------------------


def beside(page: Page, pair) -> bool:
    """Whether a label (dt) stands on the same line as its value (dd), left of it."""
    label, value = pair.locator("dt").bounding_box(), pair.locator("dd").bounding_box()
    return abs(label["y"] - value["y"]) < 4 and label["x"] + label["width"] <= value["x"]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_a_tool_page_reads_well_on_a_phone_and_a_desktop(browser, site, width):
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto("/tools/denkvonk-assistent")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Denkvonk Schrijfassistent (demo)")
        expect(page.locator("section.answer .verdict")).to_have_text(
            "! Toegestaan onder voorwaarden")
        pairs = page.locator("dl.facts > div")
        assert pairs.count() > 15
        assert all(beside(page, pairs.nth(i)) for i in range(pairs.count()))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_role("link", name="Alle tools").first.click()
        expect(page).to_have_url(re.compile(r"/tools$"))
    finally:
        context.close()


def test_agreement_details_and_sub_processors_show_once_published(published, on_day, tmp_path):
    copy = tmp_path / "met-bijsluiter.db"
    shutil.copy(published[1], copy)
    with sqlite3.connect(copy) as conn:
        for column in ("agreement_signed_on", "privacybijsluiter_url",
                       "privacybijsluiter_version", "sub_processors", "retention"):
            if column not in {r[1] for r in conn.execute("PRAGMA table_info(tools)")}:
                conn.execute(f"ALTER TABLE tools ADD COLUMN {column} TEXT")
        conn.execute(
            "UPDATE tools SET agreement_signed_on = '2026-02-01', privacybijsluiter_url = "
            "'https://denkvonk-demo.nl/bijsluiter', privacybijsluiter_version = '2.1', "
            "sub_processors = ?, retention = 'Tot het eind van het schooljaar' "
            "WHERE id = 'denkvonk-assistent'",
            ['[{"name": "Wolkdienst B.V.", "activity": "Opslag", "country": "Nederland"}]'])
    html = on_day(TODAY, copy).get("/tools/denkvonk-assistent").text
    agreement = section(html, "overeenkomst-titel")
    assert "Getekend op 1 februari 2026" in agreement
    assert "Lees de privacybijsluiter (versie 2.1)" in agreement
    assert 'href="https://denkvonk-demo.nl/bijsluiter"' in html
    data = section(html, "gegevens-titel")
    assert "Wolkdienst B.V.: Opslag (Nederland)" in data
    assert "Hoe lang bewaard Tot het eind van het schooljaar" in data
    with sqlite3.connect(f"file:{published[1]}?mode=ro", uri=True) as conn:
        published_columns = {r[1] for r in conn.execute("PRAGMA table_info(tools)")}
    if "agreement_signed_on" not in published_columns:  # what is not published is not shown
        plain = section(on_day(TODAY).get("/tools/denkvonk-assistent").text, "overeenkomst-titel")
        assert "Getekend op" not in plain and "privacybijsluiter" not in plain
