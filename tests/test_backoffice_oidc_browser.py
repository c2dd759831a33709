"""Chromium signs in to the back office through an institution, then does the journey of
issue 14 (the `journey` steps of tests/journey.py). oidc-provider-mock is started as its own
command (as a developer would), `registry serve` is configured for it through the
environment. The provider answers as `localhost` and the registry as `127.0.0.1`, so the way
back is a cross-site navigation, as it is from SURFconext or Entree."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from registry.db import Registry
from registry.models import Role

pytestmark = pytest.mark.browser

CLIENT_ID = "witte-lijst-beheer"
ANNE = {"sub": "anne", "email": "anne@school.example", "name": "Anne de Vries"}
LINK = "Inloggen met je instelling (SURFconext / Entree)"


@pytest.fixture(scope="module")
def provider():
    """The issuer URL of oidc-provider-mock, serving on 127.0.0.1 and named `localhost`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port),
         "--require-nonce", "true", "--user-claims", json.dumps(ANNE)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:  # reads all output so the pipe never fills
        for line in process.stdout:
            lines.append(line)
            if "Uvicorn running on" in line:
                ready.set()
        ready.set()

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    if not ready.wait(timeout=60) or process.poll() is not None:
        process.kill()
        raise RuntimeError("oidc-provider-mock did not start:\n" + "".join(lines))
    yield f"http://localhost:{port}"
    process.terminate()
    process.wait(timeout=20)
    drainer.join()
    process.stdout.close()


@pytest.fixture
def site(provider, server_factory, monkeypatch, tmp_path, journey):
    """`registry serve` on the demo data with sign-in through `provider`."""
    monkeypatch.setenv("REGISTRY_TODAY", journey.TODAY)
    monkeypatch.setenv("REGISTRY_OIDC_ISSUER", provider)
    monkeypatch.setenv("REGISTRY_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("REGISTRY_OIDC_CLIENT_SECRET", "een-lang-geheim-van-de-instelling")
    return server_factory(tmp_path / "registry.db", workers=1)


@pytest.fixture
def page(browser: Browser, site) -> Page:
    context = browser.new_context(base_url=site.url)
    # The provider's page asks a CDN for its stylesheet; nothing leaves this machine.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"),
                  lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def sign_in_at_the_institution(page: Page, sub: str) -> None:
    page.goto("/beheer/inloggen")
    page.get_by_role("link", name=LINK).click()
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/oauth2/authorize\?"))
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def test_staff_sign_in_through_their_institution_after_approval_then_the_journey(
        page: Page, site, tmp_path, journey, axe_violations):
    sign_in_at_the_institution(page, "anne")
    expect(page.get_by_role("heading", name="Je account wacht op goedkeuring")).to_be_visible()
    expect(page.locator("main")).to_contain_text("anne@school.example")
    assert axe_violations(page) == []
    assert not [c for c in page.context.cookies() if c["name"] == "beheer_sessie"]

    registry = Registry(Path(tmp_path / "registry.db"))
    try:
        account = registry.accounts.by_email("anne@school.example")
        assert account.name == "Anne de Vries" and account.role is None
        registry.accounts.set_role(account.id, Role.publisher, "beheerder@sivon.example")
    finally:
        registry.close()

    sign_in_at_the_institution(page, "anne")
    expect(page).to_have_url(f"{site.url}/beheer")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Anne de Vries")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["beheer_sessie"]["sameSite"] == "Strict"
    assert "beheer_oidc" not in cookies  # the pending sign-in is gone

    steps = journey.Steps(page)
    journey.register(page, steps)
    assert steps.actions <= journey.MAX_ACTIONS, steps.done
    assert journey.live_verdict(page) == "Toegestaan"
    assert journey.publish(tmp_path / "registry.db", journey.TODAY).startswith(
        "Published version 2")
    assert journey.public_verdict(page) == "✔ Toegestaan"


def test_the_pages_of_a_failed_sign_in_are_accessible(page: Page, axe_violations):
    page.goto("/beheer/inloggen")
    expect(page.get_by_role("link", name=LINK)).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/beheer/oidc/terug?code=oud&state=oud")  # no sign-in under way in this browser
    expect(page.get_by_role("heading", name="Inloggen via je instelling is niet gelukt")
           ).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("verlopen")
    assert axe_violations(page) == []
