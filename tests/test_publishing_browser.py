"""/beheer/publiceren in Chromium: publisher A prepares, publisher B sees the prepared
publication (and a proposed policy) and approves it; WCAG 2.1 AA (axe-core) on every state.

Runs against `registry serve` on the demo data (four eyes on, as by default) with the
accounts of tests/journey.py's `backoffice_site`, and a second publisher made with the CLI.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from registry.db import Registry
from registry.models import Role

pytestmark = pytest.mark.browser

SECOND = ("tweede@school.example", "Tim Tweede")


@pytest.fixture(scope="module")
def site(backoffice_site):
    return backoffice_site.server


def signed_in_page(browser: Browser, backoffice_site, journey, email: str) -> Page:
    context = browser.new_context(base_url=backoffice_site.url)
    page = context.new_page()
    journey.sign_in_with_password(page, email, backoffice_site.password)
    return page


def test_a_publication_prepared_by_one_and_approved_by_another(browser: Browser,
                                                               backoffice_site, journey,
                                                               axe_violations):
    journey.create_account(backoffice_site.db_path, *SECOND, "publisher",
                           backoffice_site.password)
    registry = Registry(backoffice_site.db_path)
    try:
        registry.archive("tools", "bordwerk-klassenbord", "inkoop", None)
        _, secret = registry.tokens.create("sector-api", Role.publisher)
    finally:
        registry.close()
    policy = httpx.get(f"{backoffice_site.url}/api/policy").json() | {"version": "2027.1"}
    policy["rules"]["residual_risk"]["maximum"] = "low"
    proposed = httpx.put(f"{backoffice_site.url}/api/policy", json=policy, headers={
        "Authorization": f"Bearer {secret}", "If-Match": "*"})
    assert proposed.status_code == 202, proposed.text

    first = signed_in_page(browser, backoffice_site, journey, backoffice_site.email("publisher"))
    first.goto("/beheer/publiceren")
    expect(first.get_by_role("heading", name="Publiceren", exact=True)).to_be_visible()
    expect(first.locator("#nu-wijzigingen")).to_contain_text("Bordwerk Klassenbord (demo)")
    assert axe_violations(first) == []
    first.get_by_role("button", name="Publicatie voorbereiden").click()
    expect(first.get_by_role("status").first).to_contain_text("De publicatie is voorbereid")
    expect(first.locator("#voorbereid-wijzigingen")).to_contain_text("Verwijderd")
    expect(first.get_by_role("button", name="Goedkeuren en publiceren")).to_have_count(0)
    expect(first.locator("main")).to_contain_text("Je hebt dit zelf voorbereid")
    assert axe_violations(first) == []

    second = signed_in_page(browser, backoffice_site, journey, SECOND[0])
    second.goto("/beheer/publiceren")
    expect(second.locator("main")).to_contain_text("Versie 2027.1 (nu geldt versie 2026.1)")
    expect(second.locator("main")).to_contain_text(
        f"Voorbereid door {backoffice_site.email('publisher')}")
    assert axe_violations(second) == []  # the prepared state, as the second publisher sees it
    second.get_by_role("button", name="Goedkeuren en publiceren").click()
    expect(second.get_by_role("status").first).to_contain_text("gepubliceerd")
    assert axe_violations(second) == []
    second.get_by_role("button", name=re.compile(r"^Goedkeuren")).click()  # the policy
    expect(second.get_by_role("status").first).to_contain_text("minimumeisen zijn goedgekeurd")

    registry = Registry(backoffice_site.db_path)
    try:
        latest = registry.publications.all()[0]
        assert (latest["version"], latest["prepared_by"], latest["approved_by"]) == (
            2, backoffice_site.email("publisher"), SECOND[0])
        assert registry.policies.documents()[-1]["version"] == "2027.1"
    finally:
        registry.close()
    first.context.close()
    second.context.close()
