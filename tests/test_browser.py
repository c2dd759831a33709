"""A teacher in a real browser: Debian's Chromium, driven by Playwright, against `registry serve`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_teacher_checks_a_url_then_explores_the_whitelist(page: Page):
    page.goto("/")
    page.get_by_label("Webadres of naam van de tool").fill(
        "https://assistent.denkvonk-demo.nl/chat")
    page.get_by_role("button", name="Controleren").click()

    answer = page.locator("section.answer")
    expect(answer.get_by_role("heading", name="Denkvonk Schrijfassistent (demo)")).to_be_visible()
    expect(answer.locator(".verdict")).to_contain_text("Toegestaan onder voorwaarden")
    expect(answer.locator("ul.conditions")).to_contain_text("Zet de chatgeschiedenis uit.")

    answer.get_by_role("link", name=re.compile("op de witte lijst")).click()
    expect(page).to_have_url(re.compile(r"/lijst/witte-lijst/tools/denkvonk-assistent$"))
    expect(page.locator("body")).to_contain_text("Denkvonk Schrijfassistent (demo)")

    page.goto("/lijst/witte-lijst/tools")
    search = page.locator("input[name=_search]")
    search.fill("Rékenen")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"_search="))
    rows = page.locator("table.rows-and-columns tbody tr")
    expect(rows.first).to_contain_text("Noorderlicht Rekenen (demo)")

    page.goto("/lijst/witte-lijst/tools")
    facet = page.locator(".facet-info").filter(has_text=re.compile("oordeel|verdict", re.I)).first
    facet.get_by_role("link", name=re.compile("Niet toegestaan")).first.click()
    expect(page).to_have_url(re.compile(r"verdict"))
    labels = page.locator("table.rows-and-columns tbody tr")
    expect(labels.first).to_be_visible()
    assert "Toegestaan onder voorwaarden" not in page.locator("table.rows-and-columns tbody").inner_text()


def test_teacher_asks_for_a_review_of_an_unknown_tool(page: Page):
    page.goto("/?q=https://nieuwe-tool-voorbeeld.nl")
    expect(page.locator("section.answer .verdict")).to_contain_text("Niet beoordeeld")
    page.get_by_label("Waarvoor wil je de tool gebruiken? (niet verplicht)").fill("Voor de les")
    page.get_by_role("button", name="Beoordeling aanvragen").click()
    expect(page.get_by_role("heading", name="Je aanvraag is ontvangen")).to_be_visible()
    expect(page.locator("main")).to_contain_text("nieuwe-tool-voorbeeld.nl")
