"""A review request in Chromium, from the teacher's question to the verdict: a teacher asks for
an unknown tool on the check page and keeps the code; a second asker (API) adds a school and
a reason; procurement sees both in the inbox, creates the tool from the request, links and
closes it and assesses the tool; publisher A prepares the publication and publisher B
approves it; then the teacher's /aanvraag/{code} shows the verdict.
WCAG 2.1 AA (axe-core) on /aanvraag/{code}, /beheer/aanvragen and /beheer/aanvragen/{id}.

Runs against `registry serve` on the demo data with one account per role (the
`backoffice_site` and `journey` fixtures of tests/journey.py).
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

HOST = "leesmaatje-demo.nl"


@pytest.fixture(scope="module")
def site(backoffice_site):
    return backoffice_site.server


def new_page(browser: Browser, url: str) -> Page:
    return browser.new_context(base_url=url).new_page()


def teacher_asks(page: Page, axe_violations) -> str:
    """The teacher's question, the form and the confirmation; returns the code shown."""
    page.goto(f"/?q=https://{HOST}/start")
    answer = page.locator("section.answer")
    expect(answer).to_contain_text("Niet beoordeeld")
    page.get_by_label("Naam van de tool", exact=True).fill("Leesmaatje")
    page.get_by_role("button", name="Beoordeling aanvragen").click()
    expect(page).to_have_url(re.compile(r"/aanvraag/[A-Z2-9]{4}-[A-Z2-9]{4}\?nieuw=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Je aanvraag is ontvangen")
    code = page.locator(".request-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    expect(page.locator("main")).to_contain_text("Leesmaatje")
    expect(page.locator("main")).to_contain_text("meestal binnen tien werkdagen")
    page.reload()  # Post/Redirect/Get: a reload shows the page again, not "method not allowed"
    expect(page.get_by_role("heading", level=1)).to_have_text("Je aanvraag is ontvangen")
    assert axe_violations(page) == []
    assert page.context.cookies() == []
    return code


def procurement_handles(page: Page, journey, backoffice_site, axe_violations) -> None:
    """The inbox, the request with both asks, a new tool from it, linking and closing."""
    journey.sign_in_with_password(page, backoffice_site.email("procurement"),
                                  backoffice_site.password)
    main = page.locator("main")
    page.get_by_role("navigation").get_by_role("link", name="Aanvragen").click()
    expect(page.get_by_role("heading", name="Aanvragen", level=1)).to_be_visible()
    assert axe_violations(page) == []
    main.get_by_role("link", name="Leesmaatje").click()
    asks = main.locator("table.asks tbody tr")
    expect(asks).to_have_count(2)
    expect(asks.nth(1)).to_contain_text("Het Lyceum")
    expect(asks.nth(1)).to_contain_text("Voor de leesles")
    expect(asks.nth(0)).to_contain_text("—")  # the teacher gave no school
    assert axe_violations(page) == []
    request_url = page.url

    main.get_by_role("link", name="Nieuwe tool aanmaken").click()
    expect(main.get_by_label("Naam (verplicht)", exact=True)).to_have_value("Leesmaatje")
    expect(main.get_by_label("Id (verplicht)", exact=True)).to_have_value("leesmaatje")
    expect(main.get_by_label("Domeinnaam 1", exact=True)).to_have_value(HOST)
    main.get_by_label("Leverancier (verplicht)", exact=True).select_option("taaltuin-educatief")
    main.get_by_label("Soort tool (verplicht)", exact=True).select_option(label="Oefenen")
    main.get_by_role("group", name="Onderwijssoorten").get_by_label(
        "primair onderwijs", exact=False).check()
    main.get_by_role("button", name="Opslaan").click()
    expect(main.get_by_role("status")).to_have_text("De tool is aangemaakt.")

    # The assessment, from the new tool's page.
    main.get_by_role("link", name="nieuwe").nth(1).click()
    main.get_by_label("Soort beoordeling (verplicht)", exact=True).select_option(label="DPIA")
    main.get_by_label("Id (verplicht)", exact=True).fill("leesmaatje-dpia")
    main.get_by_label("Beoordeeld door (verplicht)", exact=True).fill("Kennisnet Demo")
    main.get_by_label("Beoordeeld op (verplicht)", exact=True).fill("2026-11-20")
    main.get_by_label("Status (verplicht)", exact=True).select_option(label="Definitief")
    main.get_by_label("Uitkomst", exact=True).select_option(label="Goedgekeurd")
    main.get_by_label("Restrisico", exact=True).select_option(label="Laag")
    main.get_by_role("button", name="Opslaan").click()
    expect(main.get_by_role("status")).to_have_text("De beoordeling is aangemaakt.")

    page.goto(request_url)
    main.get_by_role("button", name="Koppelen aan Leesmaatje").click()
    expect(main.get_by_role("status")).to_have_text("De aanvraag is gekoppeld aan de tool.")
    main.get_by_label("Reden").select_option(label="Beoordeeld")
    main.get_by_label("Toelichting (niet verplicht)").fill("Bekijk het oordeel op de lijst.")
    main.get_by_role("button", name="Aanvraag afsluiten").click()
    expect(main.get_by_role("status")).to_have_text("De aanvraag is afgesloten.")
    assert axe_violations(page) == []


def four_eyes(browser: Browser, backoffice_site, journey) -> None:
    """Publisher A prepares the publication; A may not approve it, B (an admin, who is a
    publisher too) approves it."""
    a, b = (new_page(browser, backoffice_site.url) for _ in range(2))
    journey.sign_in_with_password(a, backoffice_site.email("publisher"), backoffice_site.password)
    a.goto("/beheer/publiceren")
    expect(a.locator("main")).to_contain_text("Leesmaatje")  # the preview names the new tool
    a.get_by_role("button", name="Publicatie voorbereiden").click()
    expect(a.locator("main")).to_contain_text("Een andere publicist kan haar nu goedkeuren")
    expect(a.get_by_role("button", name="Goedkeuren en publiceren")).to_have_count(0)
    journey.sign_in_with_password(b, backoffice_site.email("admin"), backoffice_site.password)
    b.goto("/beheer/publiceren")
    b.get_by_role("button", name="Goedkeuren en publiceren").click()
    expect(b.locator("main")).to_contain_text("De nieuwe witte lijst is gepubliceerd.")


def test_a_request_from_the_check_page_to_the_verdict(browser: Browser, backoffice_site,
                                                     journey, axe_violations):
    teacher = new_page(browser, backoffice_site.url)
    code = teacher_asks(teacher, axe_violations)

    with httpx.Client(base_url=backoffice_site.url, timeout=30) as api:
        second = api.post("/api/review-requests", json={
            "url": f"https://{HOST}", "school": "Het Lyceum", "reason": "Voor de leesles"})
    assert second.status_code == 202 and second.json()["code"] != code

    officer = new_page(browser, backoffice_site.url)
    procurement_handles(officer, journey, backoffice_site, axe_violations)

    teacher.goto(f"/aanvraag/{code.lower()}")
    status = teacher.locator("main")
    expect(status).to_contain_text("Afgehandeld")
    expect(status).to_contain_text("Beoordeeld")
    expect(status).to_contain_text("Bekijk het oordeel op de lijst.")
    expect(status).not_to_contain_text("Het Lyceum")
    expect(teacher.get_by_role("heading", name="Oordeel vandaag")).to_have_count(0)

    four_eyes(browser, backoffice_site, journey)
    teacher.reload()
    expect(teacher.get_by_role("heading", name="Oordeel vandaag")).to_be_visible()
    verdict = teacher.locator("main p.verdict").inner_text().strip()
    teacher.get_by_role("link", name="Leesmaatje", exact=True).click()
    expect(teacher).to_have_url(re.compile(r"/tools/leesmaatje$"))
    expect(teacher.locator("main p.verdict").first).to_have_text(verdict)
    teacher.go_back()
    assert axe_violations(teacher) == []
    teacher.goto("/aanvraag/ZZZZ-ZZZZ")  # an unknown code
    expect(teacher.get_by_role("heading", level=1)).to_be_visible()
    expect(teacher.locator("main")).to_contain_text("Er is geen aanvraag met deze code")
    assert axe_violations(teacher) == []
    assert teacher.context.cookies() == []
