"""Browser-test fixtures shared by the test modules: Debian's Chromium, driven by Playwright,
against `registry serve` with the demo data as on 28 November 2026.

A pytest plugin (conftest.py names it in `pytest_plugins`): a test asks for `page`, `browser`,
`site` or `axe_violations` by name, and each module gets one server and one browser of its own. Mark such
tests `browser` (or `server` for `site` alone): they are left out of `-m "not slow"`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google's hosts.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
TODAY = "2026-11-28"
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def start_site(folder: Path) -> Server:
    """`registry serve` on a new database in `folder`, verdicts as on `TODAY`."""
    os.environ["REGISTRY_TODAY"] = TODAY
    try:
        return Server(folder / "registry.db", workers=1)
    finally:
        del os.environ["REGISTRY_TODAY"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = start_site(tmp_path_factory.mktemp("site"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, site) -> Page:
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe_violations():
    """`axe_violations(page)`: one line per rule and element of the page that fails WCAG 2.1
    A/AA, as axe-core (tests/vendor/axe.min.js) finds them."""

    def violations(page: Page) -> list[str]:
        page.evaluate(AXE)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG21_AA)
        return [f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}"
                for v in result["violations"] for node in v["nodes"]]

    return violations
