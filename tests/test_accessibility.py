"""WCAG 2.1 A and AA on the pages teachers see, checked by axe-core in Chromium; keyboard use,
visible focus and phones 320 px wide.

axe-core is vendored in tests/vendor/ (see its README): no network at test time. It is run
through `page.evaluate`, which our Content-Security-Policy does not block, so the pages are
checked with their real CSP in force.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


PAGES = [
    "/",
    "/?q=https://assistent.denkvonk-demo.nl/chat",  # allowed with conditions
    "/?q=topografie.kaartenbak-demo.nl",  # not allowed, with alternatives
    "/?q=https://onbekende-tool-voorbeeld.nl",  # unknown: the review request form
    "/?q=https://quiz2.maakplaats-demo.nl/",  # possibly related
    "/?q=Noorderlicht",  # several tools: choose
    "/uitleg",
    "/insluiten?niveau=PO&categorie=practice",
    "/embed?niveau=PO&categorie=practice",
    "/embed?niveau=XX",
    "/lijst/",
    "/lijst/witte-lijst",
    "/lijst/witte-lijst/tools",
    "/lijst/witte-lijst/tools?_search=reken&verdict_label=Toegestaan",
    "/lijst/witte-lijst/tools/denkvonk-assistent",
    "/lijst/witte-lijst/toegestaan_po",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_wcag_21_aa_violations(page: Page, path: str, axe_violations):
    page.goto(path)
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert axe_violations(page) == []


def test_axe_finds_violations_when_there_are_some(page: Page, axe_violations):
    # Guards the test above against an axe that silently checks nothing.
    page.goto("/")
    page.evaluate("document.querySelector('label[for=q]').remove();"
                  "document.querySelector('#q').removeAttribute('placeholder')")
    assert any(v.startswith("label ") for v in axe_violations(page))


def test_a_teacher_checks_a_tool_with_the_keyboard_only(page: Page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Naar de inhoud")
    expect(skip).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    field = page.get_by_label("Webadres of naam van de tool")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    expect(field).to_be_focused()
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
    assert outline[0] != "none" and outline[1] >= 2
    page.keyboard.type("rekenen.noorderlicht-demo.nl")
    page.keyboard.press("Enter")
    expect(page.locator("section.answer .verdict")).to_have_text("✔ Toegestaan")


def test_verdicts_are_told_in_text_and_icon_not_colour_alone(page: Page):
    page.goto("/")
    legend = page.locator("section.legend dt")
    expect(legend).to_have_count(5)
    for i in range(5):
        term = legend.nth(i)
        assert term.locator(".icon").inner_text().strip()
        assert len(term.inner_text().strip()) > 3
    expect(page.locator("section.legend")).to_contain_text("Wat doe je nu?")


def test_the_publication_is_shown_near_the_form(page: Page):
    page.goto("/")
    # published_at is the real moment of publishing, not REGISTRY_TODAY.
    expect(page.locator("form.check + p.status")).to_have_text(re.compile(
        r"^Je controleert met de witte lijst van \d{1,2} (januari|februari|maart|april|mei|"
        r"juni|juli|augustus|september|oktober|november|december) \d{4} \(versie 1\)\.$"))


@pytest.mark.parametrize("path", [
    "/",
    "/?q=https://assistent.denkvonk-demo.nl/chat",
    "/?q=https://" + "heel-lang-" * 20 + "voorbeeld.nl/met/een/lang/pad",
    "/embed?niveau=PO",
    "/embed",
    "/insluiten",
])
def test_no_sideways_scrolling_on_a_phone(browser, site, path: str):
    context = browser.new_context(base_url=site.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()
