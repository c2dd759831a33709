"""A school shows the allowed tools on its own website: the feed, the embed page, the help page
with the snippets, and both snippets pasted into a page on another origin."""

from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.server  # `site`: `registry serve` with the demo data

ALLOWED = {"allowed", "allowed_with_conditions"}


@pytest.fixture(scope="module")
def http(site):
    with site.client() as client:
        yield client


def feed(http, **params) -> dict:
    response = http.get("/api/embed/tools", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_feed_lists_only_allowed_tools_for_a_level_and_category(http):
    everything = feed(http)["tools"]
    po_practice = feed(http, level="PO", category="practice")
    assert po_practice["publication"]["version"] == 1
    assert (po_practice["level"], po_practice["category"]) == ("PO", "practice")
    tools = po_practice["tools"]
    assert tools and {t["verdict"] for t in tools} <= ALLOWED
    assert all("PO" in t["levels"] and t["category"] == "practice" for t in tools)
    assert [t["name"] for t in tools] == sorted(t["name"] for t in tools)
    assert "Sommenstad Oefenen (demo)" in [t["name"] for t in tools]
    assert "kaartenbak-topografie" not in [t["id"] for t in tools]  # PO practice, not allowed
    assert {t["id"] for t in tools} < {t["id"] for t in everything}
    assert {t["verdict"] for t in everything} == ALLOWED
    quiz = next(t for t in tools if t["id"] == "maakplaats-quiz")
    assert quiz["conditions"] == ["Laat leerlingen een bijnaam gebruiken, niet hun echte naam."]
    assert quiz["link"] == "/?q=Maakplaats+Quiz+%28demo%29"


def test_the_feed_may_be_read_by_any_site_but_checks_its_parameters(http):
    response = http.get("/api/embed/tools", params={"level": "PO"},
                        headers={"Origin": "https://www.obs-voorbeeld.nl"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "max-age=300" in response.headers["cache-control"]
    bad = http.get("/api/embed/tools", params={"level": "XX"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "level"
    assert bad.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in http.get("/api/check?q=x").headers


def test_the_embed_page_lists_the_same_tools_in_dutch(http):
    names = [t["name"] for t in feed(http, level="VO", category="practice")["tools"]]
    page = http.get("/embed", params={"niveau": "vo", "categorie": "practice"})
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert "<h1>Toegestane tools voor het voortgezet onderwijs: Oefenen</h1>" in page.text
    assert re.findall(r'<a href="/\?q=[^"]+" target="_blank" rel="noopener">([^<]+)<', page.text
                      ) == [html.escape(n) for n in names]


@pytest.mark.parametrize(("query", "message"), [
    ({"niveau": "MBO"}, "Het niveau 'MBO' kennen we niet. Kies PO, VO of SO."),
    ({"categorie": "spelletjes"}, "De soort tool 'spelletjes' kennen we niet."),
])
def test_the_embed_page_explains_a_wrong_choice(http, query, message):
    page = http.get("/embed", params=query)
    assert page.status_code == 400
    assert message in html.unescape(page.text)


def test_the_help_page_gives_both_snippets_for_the_choice(http, site):
    page = http.get("/insluiten", params={"niveau": "PO", "categorie": "practice"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'<iframe src="{site.url}/embed?niveau=PO&categorie=practice"' in text
    assert '<div data-witte-lijst data-niveau="PO" data-categorie="practice">' in text
    assert f'<script src="{site.url}/static/embed.js" defer></script>' in text
    assert '<option value="practice" selected>Oefenen</option>' in page.text
    assert 'href="/insluiten"' in http.get("/").text  # linked from every page's footer
    assert 'href="/insluiten"' in http.get("/uitleg").text


# --- the snippets on a school's website (another origin) ---------------------------------------




def snippets(http, **choice) -> tuple[str, str]:
    """The iframe and script snippets exactly as the help page shows them."""
    page = http.get("/insluiten", params=choice).text
    found = re.findall(r'<pre class="snippet" id="snippet-\w+"><code>(.*?)</code></pre>', page, re.S)
    assert len(found) == 2
    return html.unescape(found[0]), html.unescape(found[1])


@pytest.mark.browser
def test_both_snippets_show_the_allowed_tools_on_another_website(
        http, page: Page, site, school_site):
    iframe, script = snippets(http, niveau="PO")
    (school_site.folder / "index.html").write_text(
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>OBS Voorbeeld'
        "</title></head><body><h1>Apps in onze school</h1>\n"
        f"<section id='kader'>{iframe}</section>\n<section id='script'>{script}</section>\n"
        "</body></html>")
    expected = [t["name"] for t in feed(http, level="PO")["tools"]]
    assert len(expected) > 3
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto(school_site.url + "/index.html")

    framed = page.frame_locator("#kader iframe")
    expect(framed.locator("h1")).to_have_text("Toegestane tools voor het primair onderwijs")
    # Each link also says, for screen readers, that it opens a new window.
    expect(framed.locator("ul.embed-tools > li > a")).to_contain_text(expected)

    listed = page.locator("#script ul.witte-lijst-tools > li > a")
    expect(listed).to_have_text(expected)
    expect(page.locator("#script .witte-lijst-source")).to_contain_text("versie 1 van ")
    first = listed.first.get_attribute("href")
    assert first.startswith(site.url + "/?q=")
    assert page.locator("#script").inner_text().count("Niet toegestaan") == 0
    assert failed == []
