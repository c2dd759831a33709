"""School boards' back office in Chromium: a board's account records a decision through the
form and finds it on its board's page, and every board page meets WCAG 2.1 AA (axe-core).

Runs against `registry serve` on the demo data (the `backoffice_site` fixture of
tests/journey.py), with an account of board 99002 made next to its accounts per role.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from registry.db import Registry

pytestmark = pytest.mark.browser

BOARD = "99002"
BOARD_EMAIL = "fg@voorbeeldrijk.example"


@pytest.fixture(scope="module")
def site(backoffice_site):
    return backoffice_site.server


@pytest.fixture(scope="module")
def board_account(backoffice_site):
    """An account of board B, with the procurement role."""
    registry = Registry(backoffice_site.db_path)
    try:
        registry.accounts.create(BOARD_EMAIL, "Fenna Gegevens", "procurement",
                                 backoffice_site.password, "test", board_id=BOARD)
    finally:
        registry.close()
    return BOARD_EMAIL


@pytest.fixture
def as_account(browser: Browser, backoffice_site, board_account):
    """`as_account(who)`: a new page, signed in as board B's account ("board") or a role's."""
    contexts = []

    def open_page(who: str) -> Page:
        context = browser.new_context(base_url=backoffice_site.url)
        contexts.append(context)
        page = context.new_page()
        page.goto("/beheer/inloggen")
        page.get_by_label("E-mailadres").fill(
            board_account if who == "board" else backoffice_site.email(who))
        page.get_by_label("Wachtwoord").fill(backoffice_site.password)
        page.get_by_role("button", name="Inloggen").click()
        expect(page.locator("h1")).to_be_visible()
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_a_board_records_a_decision_and_finds_it_on_its_page(as_account):
    page = as_account("board")
    expect(page).to_have_url(re.compile(rf"/beheer/bestuur/{BOARD}$"))
    menu = page.get_by_role("navigation", name="Beheermenu")
    expect(menu.get_by_role("link")).to_have_count(3)
    page.get_by_role("link", name="Nieuw besluit").click()
    expect(page.locator("#veld-board-id")).to_have_value(BOARD)
    page.locator("#veld-id").fill("b-noorderlicht-taal")
    page.locator("#veld-tool-id").fill("noorderlicht-taal")
    page.locator("#veld-decision").select_option("stricter")
    page.locator("#veld-conditions-0").fill("Alleen met toestemming van de ouders")
    page.locator("#veld-reason").fill("Het bestuur wil eerst de ouders horen.")
    page.locator("#veld-decided-on").fill("2026-11-01")
    page.locator("#veld-decided-by").fill("College van bestuur")
    page.locator("main").get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.get_by_role("link", name="Mijn bestuur").click()
    row = page.get_by_role("row", name=re.compile("Noorderlicht Taal"))
    expect(row.first).to_contain_text("Alleen met toestemming van de ouders")


PAGES = [
    ("board", f"/beheer/bestuur/{BOARD}", "a board's own page"),
    ("board", "/beheer/besluiten", "a board's decisions"),
    ("board", "/beheer/besluiten/nieuw", "a board's new decision"),
    ("board", f"/beheer/besluiten/{BOARD}-maakplaats-studio", "a board's decision"),
    ("board", "/beheer/overeenkomsten/nieuw", "a board's new agreement"),
    ("board", "/beheer/tools", "a sector page refused to a board (403)"),
    ("procurement", "/beheer/besturen/overzicht", "the sector's overview of boards"),
    ("procurement", "/beheer/bestuur/99003", "a board's page for the sector"),
    ("admin", "/beheer/accounts", "accounts with their boards"),
    ("admin", "/beheer/tokens", "tokens with their boards"),
]


@pytest.mark.parametrize(("who", "path", "name"), PAGES, ids=[p[2] for p in PAGES])
def test_every_board_page_meets_wcag_21_aa(as_account, axe_violations, who, path, name):
    page = as_account(who)
    page.goto(path)
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.locator("h1").count() == 1, name
    assert axe_violations(page) == [], name
