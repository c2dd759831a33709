"""A teacher of board B (99002, demo) in a real browser: pastes the address of a tool on the
board's page and sees the sector verdict and the board's decision side by side."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_a_teacher_of_board_b_sees_both_verdicts(page: Page, axe_violations):
    page.goto("/b/99BA")  # the school's own code leads to its board's page
    expect(page).to_have_url(re.compile(r"/b/99002/$"))
    expect(page.locator("p.lead")).to_contain_text(
        "Stichting Voortgezet Onderwijs Voorbeeldrijk (fictief)")
    page.get_by_label("Webadres of naam van de tool").fill(
        "https://scheikunde.lernfabrik-demo.de/les/4")
    page.get_by_role("button", name="Controleren").click()

    expect(page).to_have_url(re.compile(r"/b/99002/\?q="))
    answer = page.locator("section.answer")
    expect(answer.get_by_role("heading", name="Lernfabrik Scheikunde (demo)")).to_be_visible()
    sector = answer.get_by_role("region", name="Oordeel van de sector")
    board = answer.get_by_role("region", name=re.compile("Besluit van jouw schoolbestuur"))
    expect(sector.locator(".verdict")).to_have_text(re.compile("Niet beoordeeld"))
    expect(board.locator(".verdict")).to_have_text(re.compile("Niet toegestaan"))
    expect(board).to_contain_text("Strenger dan de sector")
    expect(board).to_contain_text("niet gebruikt mag worden op zijn scholen")
    expect(answer.locator("p.next")).to_contain_text("Gebruik de tool niet met leerlingen.")
    box_sector, box_board = sector.bounding_box(), board.bounding_box()
    assert box_sector["x"] < box_board["x"]  # side by side on a wide screen
    assert abs(box_sector["y"] - box_board["y"]) < 1
    assert axe_violations(page) == []

    # A tool it names for the choice keeps the board.
    page.get_by_label("Webadres of naam van de tool").fill("Lernfabrik")
    page.get_by_role("button", name="Controleren").click()
    page.locator("ul.matches").get_by_role("link", name="Lernfabrik Scheikunde (demo)").click()
    expect(page).to_have_url(re.compile(r"/b/99002/\?q=Lernfabrik"))
    expect(answer.get_by_role("region", name=re.compile("Besluit van jouw schoolbestuur"))
           .locator(".verdict")).to_have_text(re.compile("Niet toegestaan"))
    assert axe_violations(page) == []


@pytest.mark.parametrize("path", [
    "/b/99003/?q=Lernfabrik+Scheikunde",  # an own approval with conditions and an end date
    "/b/99002/?q=Maakplaats+Studio",  # an extra condition
    "/b/99001/?q=Lernfabrik",  # a choice, with the board's verdicts
    "/insluiten?bestuur=99BA&niveau=VO",
    "/embed?bestuur=99002",
])
def test_the_boards_pages_have_no_accessibility_violations(page: Page, axe_violations, path):
    response = page.goto(path)
    assert response.status == 200
    assert axe_violations(page) == []




def test_the_script_snippet_for_a_board_lists_what_its_teachers_may_use(
        page: Page, site, school_site, tmp_path):
    """Board C (99003) approved Lernfabrik Scheikunde itself: a school of C shows it, with the
    board's condition and a link to the board's check page; the sector's list does not."""
    help_page = httpx.get(site.url + "/insluiten", params={"bestuur": "99CA", "niveau": "VO"})
    script = html.unescape(re.search(r'<pre class="snippet" id="snippet-script"><code>(.*?)'
                                     r"</code></pre>", help_page.text, re.S)[1])
    assert 'data-bestuur="99003"' in script
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>SO De Proefgrond'
        f"</title></head><body><h1>Apps op onze school</h1>\n{script}\n</body></html>")
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(school_site.url + "/index.html")
    item = page.locator("ul.witte-lijst-tools > li").filter(has_text="Lernfabrik Scheikunde")
    expect(item).to_contain_text("Alleen met een schoolaccount, zonder naam van de leerling")
    assert item.get_by_role("link").get_attribute("href").startswith(site.url + "/b/99003/?q=")
    sector = httpx.get(site.url + "/api/embed/tools", params={"level": "VO"}).json()
    assert "lernfabrik-scheikunde" not in {t["id"] for t in sector["tools"]}
    assert failed == []
