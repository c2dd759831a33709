"""The expiry overview at /beheer/verloopt: agreements and assessments that run out within 30,
60 and 90 days, and the verdicts that change by themselves, per day or on one day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from registry.models import Role
from registry.verdicts import Records, current_policy
from registry.verdicts import expiring as expiring_from_records

pytestmark = pytest.mark.backoffice

TODAY = dt.date(2026, 11, 28)
PAGE = "/beheer/verloopt"


@pytest.fixture
def backoffice_settings(backoffice_settings):
    """The demo data, published once on `TODAY` as `registry serve` does."""
    return dataclasses.replace(backoffice_settings, demo=True)


@pytest.fixture
def officer(staff_client):
    return staff_client(Role.procurement)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


def words(html: str) -> str:
    """The page's main content as text, one space between words."""
    main = html.split('id="inhoud"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).strip()


def bands(html: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(
        r'<h3 id="band-\d+">(.*?)\s*\((\d+)\)</h3>', html, re.S)}


def listed_records(html: str) -> list[str]:
    return re.findall(r'href="/beheer/(?:overeenkomsten|beoordelingen)/([\w-]+)"', html)


def changes(html: str) -> dict[str, list[tuple[str, str]]]:
    """Per day heading, (tool id, the verdict cell's text) of each row."""
    out = {}
    section = html.split('id="veranderen"', 1)[1]
    for part in re.split(r'<h3 id="dag-', section)[1:]:
        day = part[:10]
        out[day] = [(tool, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", now + " → " + then)).strip())
                    for tool, now, then in re.findall(
                        r'href="/beheer/tools/([\w-]+)">.*?</a></td>\s*<td>(.*?)</td>\s*'
                        r'<td>(.*?)</td>', part, re.S)]
    return out


def test_the_bands_list_what_runs_out_as_a_full_evaluation_finds_it(officer, registry):
    page = officer.get(PAGE)
    assert page.status_code == 200
    assert 'aria-current="page">Verloopt' in page.text
    assert bands(page.text) == {"Binnen 30 dagen": 0, "Over 31 tot en met 60 dagen": 1,
                                "Over 61 tot en met 90 dagen": 0}
    records = Records.load(registry)
    expected = [e.id for e in expiring_from_records(records, current_policy(registry), TODAY, 90)]
    assert listed_records(page.text) == expected == ["sommenstad-2025"]
    text = words(page.text)
    assert ("Verwerkersovereenkomst sommenstad-2025 Sommenstad B.V. (demo): Sommenstad Oefenen "
            "(demo), Sommenstad Tafeltrainer (demo) 15 januari 2027 48 dagen") in text
    assert 'href="/beheer/overeenkomsten/sommenstad-2025"' in page.text


@pytest.mark.parametrize(("within", "shown"), [
    ("30", {"Binnen 30 dagen": 0}),
    ("60", {"Binnen 30 dagen": 0, "Over 31 tot en met 60 dagen": 1}),
])
def test_a_shorter_window_shows_fewer_bands(officer, within, shown):
    page = officer.get(f"{PAGE}?binnen={within}")
    assert page.status_code == 200
    assert bands(page.text) == shown
    assert f'<option value="{within}" selected>' in page.text


def test_a_window_on_another_day_has_items_in_the_first_band(backoffice_app, staff_client):
    """On 1 January 2027 the Sommenstad agreement is 14 days from its last day."""
    backoffice_app.state.today = lambda: dt.date(2027, 1, 1)
    page = staff_client(Role.procurement).get(f"{PAGE}?binnen=30")
    assert bands(page.text) == {"Binnen 30 dagen": 1}
    assert "15 januari 2027 14 dagen" in words(page.text)


def test_verdicts_that_change_are_grouped_by_day_with_now_and_then(officer, registry):
    page = officer.get(PAGE)
    assert changes(page.text) == {"2027-01-16": [
        ("sommenstad-oefenen", "Toegestaan → Niet toegestaan"),
        ("sommenstad-tafels", "Niet toegestaan → blijft Niet toegestaan, met een andere reden"),
    ]}
    assert "16 januari 2027 (2 tools)" in words(page.text)
    # As a full evaluation has it: every tool whose verdict changes within 90 days.
    records, policy = Records.load(registry), current_policy(registry)
    horizon = TODAY + dt.timedelta(days=90)
    expected = {t for t, v in records.verdicts(policy, TODAY).items()
                if v.valid_until and v.valid_until <= horizon}
    assert {tool for rows in changes(page.text).values() for tool, _ in rows} == expected
    assert changes(officer.get(f"{PAGE}?binnen=30").text) == {}
    assert "Binnen 30 dagen verandert geen oordeel vanzelf." in words(
        officer.get(f"{PAGE}?binnen=30").text)


def test_one_day_lists_the_changes_of_that_day_even_beyond_the_window(officer):
    page = officer.get(f"{PAGE}?dag=2027-12-01")
    assert page.status_code == 200
    assert changes(page.text) == {"2027-12-01": [
        ("bordwerk-whiteboard", "Toegestaan → Niet beoordeeld"),
        ("maakplaats-klassenklok", "Toegestaan → Niet beoordeeld"),
    ]}
    assert 'value="2027-12-01"' in page.text
    quiet = officer.get(f"{PAGE}?dag=2027-12-02")
    assert quiet.status_code == 200
    assert "Op 2 december 2027 verandert geen oordeel vanzelf." in words(quiet.text)


def test_a_change_to_the_records_shows_at_once(officer, registry):
    """Extending the agreement moves its tools' change day: the live verdicts follow."""
    agreement = registry.get("agreements", "sommenstad-2025")
    from registry import models

    fields = {f: getattr(agreement, f) for f in models.AgreementIn.__struct_fields__}
    registry.update("agreements", "sommenstad-2025",
                    models.AgreementIn(**fields | {"expires_on": dt.date(2027, 3, 31)}),
                    "test", [agreement.version])
    page = officer.get(PAGE)
    assert bands(page.text)["Over 61 tot en met 90 dagen"] == 0
    assert bands(page.text)["Over 31 tot en met 60 dagen"] == 0
    assert changes(page.text) == {}


@pytest.mark.parametrize(("query", "field", "message"), [
    ("dag=16-01-2027", "dag", "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31."),
    ("dag=2027-02-30", "dag", "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31."),
    ("dag=morgen", "dag", "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31."),
    ("dag=20270116", "dag", "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31."),
    ("dag=%22%3E%3Cb%3Ex", "dag", "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31."),
    ("binnen=45", "binnen", "Kies 30, 60 of 90 dagen."),
    ("binnen=%00", "binnen", "Kies 30, 60 of 90 dagen."),
])
def test_a_bad_choice_is_a_dutch_400_with_the_error_next_to_its_field(officer, query, field,
                                                                     message):
    page = officer.get(f"{PAGE}?{query}")
    assert page.status_code == 400
    error = re.search(rf'<p class="field-error" id="kies-{field}-fout">(.*?)</p>', page.text)
    assert error and error[1] == message
    assert re.search(rf'id="kies-{field}"[^>]*aria-invalid="true"', page.text, re.S)
    assert 'role="alert"' in page.text
    assert "<b>x" not in page.text  # what was typed comes back escaped


def test_anonymous_visitors_are_sent_to_sign_in(backoffice_client):
    answer = backoffice_client.get(f"{PAGE}?binnen=30", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/inloggen?volgende=%2Fbeheer%2Fverloopt%3Fbinnen%3D30"


def test_the_overview_links_to_the_expiry_page(officer):
    assert 'href="/beheer/verloopt"' in officer.get("/beheer").text.split('id="verloopt"')[1]


# --- in a browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(backoffice_site):
    """The browser plugin's `page` opens pages of this module's server."""
    return backoffice_site.server


@pytest.mark.browser
def test_the_expiry_and_notices_pages_meet_wcag_21_aa(page, backoffice_site, journey,
                                                      axe_violations):
    journey.sign_in_with_password(page, backoffice_site.email("procurement"),
                                  backoffice_site.password)
    page.get_by_role("link", name="Verloopt", exact=True).click()
    assert page.get_by_role("heading", name="Verloopt", level=1).is_visible()
    assert "Sommenstad Oefenen (demo)" in page.content()
    assert axe_violations(page) == []
    page.get_by_label("Oordelen die veranderen op").fill("16-01-2027")
    page.get_by_role("button", name="Tonen").click()
    assert page.locator("#kies-dag-fout").inner_text() == (
        "Vul een datum in als JJJJ-MM-DD, bijvoorbeeld 2026-12-31.")
    assert axe_violations(page) == []
    page.get_by_label("Oordelen die veranderen op").fill("2027-01-16")
    page.get_by_label("Verloopt binnen").select_option("60")
    page.get_by_role("button", name="Tonen").click()
    assert page.get_by_role("heading", name="Oordelen die veranderen op 16 januari 2027").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Meldingen").click()
    assert axe_violations(page) == []
    page.get_by_label("Dagelijks overzicht per e-mail").check()
    page.get_by_role("button", name="Opslaan").click()
    assert "Je krijgt voortaan elke dag een overzicht per e-mail." in page.content()
    assert page.get_by_label("Dagelijks overzicht per e-mail").is_checked()
    assert axe_violations(page) == []
