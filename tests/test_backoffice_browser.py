"""The back office in Chromium: the journey of issue 14 within 15 clicks and submissions,
WCAG 2.1 AA (axe-core) on every back-office page, and a form filled in with the keyboard only.

Runs against `registry serve` on the demo data with one account per role, made with
`registry user create` (the `backoffice_site` and `journey` fixtures of tests/journey.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def site(backoffice_site):
    """The browser plugin's `page` opens pages of this module's server."""
    return backoffice_site.server


@pytest.fixture(scope="module")
def signed_in(browser: Browser, backoffice_site, journey, tmp_path_factory):
    """`signed_in(role)`: the cookies of a signed-in account of that role (one sign-in each)."""
    states: dict[str, Path] = {}

    def state(role: str) -> Path:
        if role not in states:
            context = browser.new_context(base_url=backoffice_site.url)
            page = context.new_page()
            journey.sign_in_with_password(page, backoffice_site.email(role),
                                          backoffice_site.password)
            states[role] = tmp_path_factory.mktemp("state") / f"{role}.json"
            context.storage_state(path=states[role])
            context.close()
        return states[role]

    return state


@pytest.fixture
def as_role(browser: Browser, backoffice_site, signed_in):
    """`as_role(role)`: a new page, signed in with that role."""
    contexts = []

    def open_page(role: str) -> Page:
        context = browser.new_context(base_url=backoffice_site.url,
                                      storage_state=signed_in(role))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# --- the journey -------------------------------------------------------------------------------


def test_the_journey_of_the_issue_within_15_clicks_and_submissions(page: Page, backoffice_site,
                                                                   journey):
    journey.sign_in_with_password(page, backoffice_site.email("procurement"),
                                  backoffice_site.password)
    steps = journey.Steps(page)
    journey.register(page, steps)
    assert steps.actions <= journey.MAX_ACTIONS, steps.done
    print(f"\nThe four records took {steps.actions} clicks and submissions "
          f"({steps.typed} fields typed, {steps.chosen} choices made): {steps.done}")
    assert journey.live_verdict(page) == "Toegestaan"

    # Not published yet: the check page does not know the tool.
    assert journey.public_verdict(page) == "? Niet beoordeeld"
    said = journey.publish(backoffice_site.db_path, journey.TODAY)
    assert said.startswith("Published version 2")
    assert journey.public_verdict(page) == "✔ Toegestaan"


# --- WCAG 2.1 AA on every page -----------------------------------------------------------------


def _errors_of_empty_form(page: Page, path: str) -> None:
    page.goto(path)
    page.locator("main").get_by_role("button", name="Opslaan").click()
    expect(page.locator("#fouten")).to_be_visible()


def _tool_preview(page: Page) -> None:
    page.goto("/beheer/tools/noorderlicht-rekenen")
    page.get_by_label("Land 1", exact=True).select_option("")
    page.get_by_role("button", name="Oordeel bekijken").click()
    expect(page.locator("#voorbeeld .verdict")).to_have_text("Niet toegestaan")


def _import_with_report(page: Page) -> None:
    page.goto("/beheer/importeren")
    bundle = {"tools": [{"id": "axe-tool", "vendor_id": "sommenstad", "name": "Axe",
                         "category": "practice", "levels": ["PO"]}]}
    page.get_by_label("Bestand (JSON of CSV, hoogstens 20 MB)").set_input_files(
        files=[{"name": "bundel.json", "mimeType": "application/json",
                "buffer": json.dumps(bundle).encode()}])
    page.get_by_role("button", name="Controleren").click()
    expect(page.get_by_role("button", name="Import bevestigen")).to_be_visible()


def _import_with_problems(page: Page) -> None:
    page.goto("/beheer/importeren")
    bundle = {"tools": [{"id": "Axe Tool", "vendor_id": "niemand", "name": "Axe",
                         "category": "spel", "levels": []}]}
    page.get_by_label("Bestand (JSON of CSV, hoogstens 20 MB)").set_input_files(
        files=[{"name": "bundel.json", "mimeType": "application/json",
                "buffer": json.dumps(bundle).encode()}])
    page.get_by_role("button", name="Controleren").click()
    expect(page.locator("table.import-refused")).to_be_visible()


def _failed_sign_in(page: Page) -> None:
    page.goto("/beheer/inloggen")
    page.get_by_label("E-mailadres").fill("niemand@school.example")
    page.get_by_label("Wachtwoord").fill("dit is niet het wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.locator("#inlogfout")).to_be_visible()


PAGES = [
    # (role, a path or a function that brings the page there, name)
    (None, "/beheer/inloggen", "sign-in"),
    (None, _failed_sign_in, "sign-in with an error"),
    ("procurement", "/beheer", "overview"),
    *[("procurement", f"/beheer/{segment}", f"list of {segment}")
      for segment in ("leveranciers", "tools", "overeenkomsten", "beoordelingen")],
    ("procurement", "/beheer/tools?oordeel=not_allowed&q=l", "tools by verdict, searched"),
    *[("procurement", f"/beheer/{segment}/nieuw", f"empty form of {segment}")
      for segment in ("leveranciers", "tools", "overeenkomsten", "beoordelingen")],
    *[("procurement", lambda page, s=segment: _errors_of_empty_form(page, f"/beheer/{s}/nieuw"),
       f"form of {segment} with errors")
      for segment in ("leveranciers", "tools", "overeenkomsten", "beoordelingen")],
    ("procurement", "/beheer/leveranciers/sommenstad", "vendor page"),
    ("procurement", "/beheer/tools/noorderlicht-rekenen", "tool page with its verdict"),
    ("procurement", _tool_preview, "tool with a verdict preview"),
    ("procurement", "/beheer/overeenkomsten/sommenstad-2025", "agreement page"),
    ("procurement", "/beheer/beoordelingen/noorderlicht-rekenen-dpia-2026", "assessment page"),
    ("procurement", "/beheer/tools/noorderlicht-rekenen/geschiedenis", "history"),
    ("procurement", "/beheer/importeren", "import"),
    ("procurement", _import_with_report, "import with a report"),
    ("procurement", _import_with_problems, "import with problems"),
    ("procurement", "/beheer/accounts", "refused (403)"),
    ("procurement", "/beheer/tools/bestaat-niet", "not found (404)"),
    ("admin", "/beheer/accounts", "accounts"),
    ("admin", "/beheer/tokens", "tokens"),
]


@pytest.mark.parametrize(("role", "where", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_every_back_office_page_meets_wcag_21_aa(page: Page, as_role, role, where, name,
                                                 axe_violations):
    on = as_role(role) if role else page
    if callable(where):
        where(on)
    else:
        on.goto(where)
    assert on.evaluate("document.documentElement.lang") == "nl"
    assert on.locator("h1").count() == 1, name
    assert axe_violations(on) == [], name


def test_axe_finds_violations_on_a_back_office_page_when_there_are_some(as_role, axe_violations):
    # Guards the test above against an axe that silently checks nothing.
    page = as_role("procurement")
    page.goto("/beheer/leveranciers/nieuw")
    page.evaluate("document.querySelector('label[for=veld-name]').remove()")
    assert any(v.startswith("label ") for v in axe_violations(page))


# --- the keyboard only -------------------------------------------------------------------------


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element `selector` has the focus, as a keyboard user does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_form_is_filled_in_and_sent_with_the_keyboard_only(as_role):
    page = as_role("procurement")
    page.goto("/beheer/leveranciers/nieuw")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Naar de inhoud")).to_be_focused()

    _tab_to(page, "#veld-id")
    outline = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert outline[0] != "none" and outline[1] >= 2
    page.keyboard.type("toetsenbord-bv")
    page.keyboard.press("Tab")
    page.keyboard.type("Toetsenbord B.V.")
    _tab_to(page, "#veld-kvk-number", limit=5)
    page.keyboard.type("1234567")  # a mistake: 7 digits
    _tab_to(page, "#veld-country", limit=5)
    page.keyboard.type("Nederland")  # a focused list jumps to what is typed
    expect(page.locator("#veld-country")).to_have_value("NL")

    # Sent with the mistake: the summary of errors gets the focus.
    _tab_to(page, "button.save")
    page.keyboard.press("Enter")
    expect(page.locator("#fouten")).to_be_focused()
    expect(page.locator("#fouten")).to_contain_text("KvK-nummer")

    # The error summary links to the field; Enter on it moves there.
    page.keyboard.press("Tab")
    expect(page.locator("#fouten a").first).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#veld-kvk-number")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type("8")
    _tab_to(page, "button.save")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("De leverancier is aangemaakt.")
    expect(page).to_have_url(re.compile(r"/beheer/leveranciers/toetsenbord-bv"))
