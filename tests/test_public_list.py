"""Our own list at /tools: cards (name, vendor, verdict today, school types), search on name,
vendor and address, filters on the verdict valid today, school type, kind of tool and age,
25 a page; the tools a choice leaves are kept per publication. In Chromium at 1280 and
375 px, with axe-core on every new page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from registry.db import Registry
from registry.publish.builder import publish
from registry.whitelist.tools import PAGE_SIZE, Filters, ToolPages, order_query

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def published(demo_published):
    """The demo data (26 tools) published on TODAY: (the registry database, the file)."""
    return demo_published


@pytest.fixture(scope="module")
def on_day(replica_on):
    """`on_day(day)`: a replica's client on the published file, asked on `day`."""
    return replica_on


@pytest.fixture(scope="module")
def client(on_day):
    return on_day(TODAY)


def cards(html: str) -> list[dict]:
    """Each card: its name, link, verdict text and its label → value pairs."""
    out = []
    for card in re.findall(r'<li class="tool-card">(.*?)</li>\s*(?=<li class="tool-card">|</ul>)',
                           html, re.S):
        link, name = re.search(r'<h2><a href="([^"]+)">([^<]+)</a></h2>', card).groups()
        verdict = re.search(r'class="verdict verdict-(\w+)"', card)[1]
        facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", card))
        out.append({"name": name, "link": link, "verdict": verdict, **facts})
    return out


def names(response) -> list[str]:
    assert response.status_code == 200, response.text[:300]
    return [c["name"] for c in cards(response.text)]


def test_the_list_shows_cards_in_name_order_25_a_page(client):
    first = client.get("/tools")
    shown = cards(first.text)
    assert len(shown) == PAGE_SIZE
    assert [c["name"] for c in shown] == sorted(c["name"] for c in shown)
    assert "26 tools, pagina 1 van 2." in first.text
    rekenen = next(c for c in shown if c["name"] == "Noorderlicht Rekenen (demo)")
    assert rekenen == {"name": "Noorderlicht Rekenen (demo)", "link": "/tools/noorderlicht-rekenen",
                       "verdict": "allowed", "Leverancier": "Uitgeverij Noorderlicht B.V. (demo)",
                       "Onderwijs": "PO", "Soort tool": "Lesmateriaal"}
    assert cards(first.text)[0]["Vanaf"] == "12 jaar"  # Bordwerk Klassenbord
    assert 'href="/tools?pagina=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/tools?pagina=2")
    assert len(cards(second.text)) == 1 and 'href="/tools" rel="prev"' in second.text
    assert "Deze pagina is leeg." in client.get("/tools?pagina=3").text


def test_wide_columns_never_show(client):
    html = client.get("/tools").text
    for wide in ("Er is een getekende verwerkersovereenkomst", "Alleen gebruiken met een "
                 "schoolaccount", "privacytoets-demo.nl", "assistent.denkvonk-demo.nl"):
        assert wide not in html


@pytest.mark.parametrize(("q", "expected"), [
    ("reken", ["Noorderlicht Rekenen (demo)"]),
    ("Rekenen noorderlicht", ["Noorderlicht Rekenen (demo)"]),  # any order
    ("uitgeverij noorderlicht", ["Noorderlicht Rekenen (demo)", "Noorderlicht Taal (demo)",
                                 "Noorderlicht Wereldwijs (demo)"]),  # the vendor
    ("topografie.kaartenbak-demo.nl", ["Kaartenbak Topografie (demo)"]),  # an address
    ("RÉKENEN", ["Noorderlicht Rekenen (demo)"]),  # as the index folds
    ('"reken* OR NOT', []),  # FTS syntax is folded away: only words remain
    ("geen-tool-heet-zo", []),
])
def test_search_finds_names_vendors_and_addresses(client, q, expected):
    assert names(client.get("/tools", params={"q": q})) == expected


def test_the_verdict_filter_uses_the_verdict_valid_today(on_day):
    # Sommenstad Oefenen: allowed when published, not allowed from 16 January 2027.
    now, later = on_day(TODAY), on_day(dt.date(2027, 2, 1))
    assert "Sommenstad Oefenen (demo)" in names(now.get("/tools?oordeel=allowed"))
    assert "Sommenstad Oefenen (demo)" not in names(now.get("/tools?oordeel=not_allowed"))
    assert "Sommenstad Oefenen (demo)" not in names(later.get("/tools?oordeel=allowed"))
    shown = cards(later.get("/tools?oordeel=not_allowed").text)
    assert {"name": "Sommenstad Oefenen (demo)", "verdict": "not_allowed"}.items() <= next(
        c for c in shown if c["name"].startswith("Sommenstad Oefenen")).items()
    assert {c["verdict"] for c in shown} == {"not_allowed"}
    assert {c["verdict"] for c in cards(later.get("/tools?q=sommenstad").text)} == {
        "not_allowed"}


def test_filters_on_school_type_kind_and_age_combine(client):
    po = cards(client.get("/tools?niveau=PO").text)
    assert po and all("PO" in c["Onderwijs"] for c in po)
    assert "Denkvonk Schrijfassistent (demo)" not in [c["name"] for c in po]  # VO only
    assert names(client.get("/tools?categorie=ai_assistant")) == [
        "Denkvonk Huiswerkhulp (demo)", "Denkvonk Schrijfassistent (demo)"]
    ten = names(client.get("/tools?leeftijd=10"))
    assert "Denkvonk Huiswerkhulp (demo)" in ten  # from 8
    assert "Denkvonk Schrijfassistent (demo)" not in ten  # from 13
    assert "Noorderlicht Rekenen (demo)" in ten  # no minimum age
    both = client.get("/tools", params={"niveau": "vo", "categorie": "ai_assistant",
                                        "leeftijd": "14", "oordeel": "allowed_with_conditions"})
    assert names(both) == ["Denkvonk Schrijfassistent (demo)"]
    assert "1 tool gevonden." in both.text
    # The form shows the choices made, and one link clears them.
    assert '<option value="VO" selected>' in both.text
    assert '<option value="14" selected>' in both.text
    assert '<a href="/tools">Alles wissen</a>' in both.text


def test_paging_keeps_the_choices(client):
    response = client.get("/tools", params={"q": "demo", "categorie": ""})
    total = int(re.search(r"(\d+) tools gevonden", response.text)[1])
    assert total > PAGE_SIZE
    assert 'href="/tools?q=demo&amp;pagina=2" rel="next"' in response.text
    rest = client.get("/tools?q=demo&categorie=&pagina=2")
    assert len(cards(response.text)) + len(cards(rest.text)) == total


@pytest.mark.parametrize(("query", "sentence"), [
    ("oordeel=goed", "Dat oordeel kennen we niet."),
    ("niveau=MBO", "Dat soort onderwijs kennen we niet."),
    ("categorie=games", "Die soort tool kennen we niet."),
    ("leeftijd=tien", "Kies bij leeftijd een getal van 4 tot en met 20."),
    ("leeftijd=99", "Kies bij leeftijd een getal van 4 tot en met 20."),
    ("pagina=0", "Dat paginanummer kennen we niet."),
    ("pagina=-1", "Dat paginanummer kennen we niet."),
])
def test_a_choice_we_do_not_know_is_a_400_in_dutch_with_the_form(client, query, sentence):
    response = client.get(f"/tools?{query}")
    assert response.status_code == 400
    assert f'<p class="problem" role="alert">{sentence}' in response.text
    assert '<form class="filters"' in response.text and not cards(response.text)


def test_the_tools_a_choice_leaves_are_kept_per_publication(published, on_day):
    client = on_day(TODAY)
    shelf = client.app.state.tool_shelf
    assert "26 tools" in client.get("/tools").text
    kept = shelf.orders.keys()
    assert len(kept) == 1
    client.get("/tools?pagina=2")
    assert shelf.orders.keys() == kept  # the same choice: not worked out again
    # What is kept is what is shown: the count comes from it, not from the table.
    shelf.orders.get(kept[0]).pop()
    assert "25 tools" in client.get("/tools").text
    # A new publication (a new file) starts afresh.
    registry = Registry(published[0])
    try:
        publish(registry, published[1], TODAY, "test")
    finally:
        registry.close()
    assert "26 tools" in client.get("/tools").text


def test_without_filters_the_list_reads_the_name_index_only(client):
    pages = ToolPages(client.app.state.whitelist, client.app.state.tool_shelf, TODAY)
    conn = pages.connection()
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + order_query(pages, Filters())[0])]
    assert plan == ["SCAN tools USING COVERING INDEX idx_tools_name"]


# --- in a browser ----------------------------------------------------------------------------

NEW_PAGES = [
    "/tools",
    "/tools?q=reken&oordeel=allowed&niveau=PO&categorie=learning_material&leeftijd=8",
    "/tools?q=geen-tool-heet-zo",
    "/tools?pagina=2",
    "/tools?leeftijd=99",
    "/tools/denkvonk-assistent",
    "/tools/denkvonk-huiswerkhulp",
    "/tools/kaartenbak-topografie",
    "/tools/bestaat-niet",
    "/bestaat-niet",
]


@pytest.mark.browser
@pytest.mark.parametrize("path", NEW_PAGES)
def test_no_wcag_21_aa_violations_on_the_new_pages(page: Page, path, axe_violations):
    page.goto(path)
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert axe_violations(page) == []


def beside(pair) -> bool:
    label, value = pair.locator("dt").bounding_box(), pair.locator("dd").bounding_box()
    return abs(label["y"] - value["y"]) < 4 and label["x"] + label["width"] <= value["x"]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_a_teacher_searches_and_filters_the_list(browser, site, width):
    context = browser.new_context(base_url=site.url, viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_role("link", name="Alle tools").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Alle tools op de witte lijst")
        expect(page.locator(".tool-card")).to_have_count(PAGE_SIZE)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        pairs = page.locator(".tool-card dl.facts > div")
        assert all(beside(pairs.nth(i)) for i in range(min(pairs.count(), 12)))

        page.get_by_label("Zoeken", exact=True).fill("noorderlicht")
        page.get_by_label("Zoeken", exact=True).press("Enter")
        expect(page.locator(".tool-card h2")).to_have_text([
            "Noorderlicht Rekenen (demo)", "Noorderlicht Taal (demo)",
            "Noorderlicht Wereldwijs (demo)"])

        expect(page.get_by_label("Oordeel")).to_be_hidden()  # the list first, on a phone too
        page.get_by_text("Filteren op oordeel, onderwijs, soort tool en leeftijd").click()
        page.get_by_label("Oordeel").select_option(label="Toegestaan")
        page.get_by_label("Soort onderwijs").select_option("PO")
        page.get_by_role("button", name="Tools tonen").click()
        expect(page).to_have_url(re.compile(r"q=noorderlicht.*oordeel=allowed.*niveau=PO"))
        expect(page.locator(".tool-card h2")).to_have_text(["Noorderlicht Rekenen (demo)"])
        expect(page.locator(".tool-card .verdict")).to_have_text(["✔ Toegestaan"])
        expect(page.get_by_label("Soort onderwijs")).to_have_value("PO")  # shown, as chosen

        page.get_by_role("link", name="Noorderlicht Rekenen (demo)").click()
        expect(page).to_have_url(re.compile(r"/tools/noorderlicht-rekenen$"))
        expect(page.locator("section.answer .verdict")).to_have_text("✔ Toegestaan")

        page.goto("/tools")
        page.get_by_role("link", name="Volgende pagina").click()
        expect(page.locator(".tool-card")).to_have_count(1)
        assert page.context.cookies() == []
    finally:
        context.close()
