"""A teacher in a real browser: Debian's Chromium, driven by Playwright, against `registry serve`."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`registry serve` with the demo data as on 28 November 2026."""
    from tests.conftest import Server

    os.environ["REGISTRY_TODAY"] = "2026-11-28"
    try:
        server = Server(tmp_path_factory.mktemp("browser") / "registry.db", workers=1)
    finally:
        del os.environ["REGISTRY_TODAY"]
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, site) -> Page:
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    yield page
    context.close()


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
    expect(page.get_by_role("heading", name="Bedankt voor je aanvraag")).to_be_visible()
