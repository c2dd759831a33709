"""The back-office journey of issue 14, as steps a browser test runs: register a vendor, a tool
with two domains and a sub-processor, an agreement and an assessment, making and fixing a
validation error and looking at the verdict preview on the way; publish; find the verdict on
the public check page.

A pytest plugin (like tests/browser.py): test modules may not import each other, so a test
gets these steps through the `journey` fixture (`journey.register(page, steps)`) and runs the
same journey after any sign-in, with a password or through OIDC. `Steps` counts what the
acceptance criterion counts: every click (links, buttons, checkboxes) and every form
submission. Typing in a field and choosing from a list are counted apart (`typed`, `chosen`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import Server

MAX_ACTIONS = 15
"""The issue's limit: form submissions and clicks for the four records."""


@dataclass
class Steps:
    """Every click and form submission of a journey, in order, and the typing and choosing."""

    page: Page
    done: list[str] = field(default_factory=list)
    typed: int = 0
    chosen: int = 0

    @property
    def actions(self) -> int:
        return len(self.done)

    def click(self, target: Locator, what: str) -> None:
        """A click on a link, a button or a checkbox (a button of a form submits it)."""
        target.click()
        self.done.append(what)

    def check(self, target: Locator, what: str) -> None:
        target.check()
        self.done.append(what)

    def fill(self, label: str, value: str, within: Page | Locator | None = None) -> None:
        (within or self.page).get_by_label(label, exact=True).fill(value)
        self.typed += 1

    def choose(self, label: str, option: str, within: Page | Locator | None = None) -> None:
        (within or self.page).get_by_label(label, exact=True).select_option(label=option)
        self.chosen += 1


@dataclass(frozen=True)
class Names:
    """The records a journey creates; give another `suffix` to run it twice on one registry."""

    suffix: str = ""

    @property
    def vendor(self) -> str:
        return f"woordwolk{self.suffix}"

    @property
    def tool(self) -> str:
        return f"woordwolk-app{self.suffix}"

    @property
    def agreement(self) -> str:
        return f"woordwolk-2026{self.suffix}"

    @property
    def assessment(self) -> str:
        return f"woordwolk-app-dpia{self.suffix}"

    @property
    def vendor_name(self) -> str:
        return f"Woordwolk B.V.{self.suffix}"

    @property
    def tool_name(self) -> str:
        return f"Woordwolk{self.suffix}"

    @property
    def host(self) -> str:
        return f"app.woordwolk{self.suffix}-demo.nl"

    @property
    def login_host(self) -> str:
        return f"login.woordwolk{self.suffix}-demo.nl"


def sign_in_with_password(page: Page, email: str, password: str) -> None:
    """The sign-in form, from the page the back office sends a visitor to."""
    page.goto("/beheer")
    expect(page).to_have_url(re.compile(r"/beheer/inloggen\?volgende=%2Fbeheer$"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()


def _main(page: Page) -> Locator:
    return page.locator("main")


def register(page: Page, steps: Steps, names: Names = Names()) -> None:
    """The four records, from the overview of a signed-in officer to the assessment saved."""
    main = _main(page)
    expect(page.get_by_role("heading", name="Overzicht", level=1)).to_be_visible()

    # A vendor.
    steps.click(page.get_by_role("navigation").get_by_role("link", name="Leveranciers"),
                "menu: Leveranciers")
    steps.click(main.get_by_role("link", name="Nieuwe leverancier"), "Nieuwe leverancier")
    steps.fill("Id (verplicht)", names.vendor)
    steps.fill("Naam (verplicht)", names.vendor_name)
    steps.choose("Land van vestiging (verplicht)", "Nederland (NL)")
    steps.click(main.get_by_role("button", name="Opslaan"), "leverancier opslaan")
    expect(main.get_by_role("status")).to_have_text("De leverancier is aangemaakt.")

    # A tool of that vendor, with two domains (one pasted as a URL) and a sub-processor; the
    # onderwijssoort is forgotten at first.
    steps.click(main.get_by_role("link", name="Nieuwe tool van deze leverancier"),
                "Nieuwe tool van deze leverancier")
    steps.fill("Id (verplicht)", names.tool)
    steps.fill("Naam (verplicht)", names.tool_name)
    domains = main.get_by_role("group", name="Domeinnamen")
    steps.fill("Domeinnaam 1", f"https://{names.host}/les/3", domains)
    steps.fill("Domeinnaam 2", names.login_host, domains)
    steps.choose("Soort tool (verplicht)", "Oefenen")
    steps.choose("Land 1", "Nederland (NL)",
                 main.get_by_role("group", name="Landen waar de gegevens staan"))
    subs = main.get_by_role("group", name="Subverwerkers")
    steps.fill("Naam van de subverwerker 1", "Hosting Noord B.V.", subs)
    steps.fill("Wat de subverwerker doet 1", "Hosting in een datacenter", subs)
    steps.choose("Land van de subverwerker 1", "Nederland (NL)", subs)
    steps.choose("Voldoet de tool aan de wet", "Niet van toepassing")
    steps.click(main.get_by_role("button", name="Oordeel bekijken"), "oordeel bekijken (fout)")
    errors = main.locator("#fouten")
    expect(errors).to_contain_text("Onderwijssoorten")
    expect(errors).to_be_focused()
    steps.check(main.get_by_role("group", name="Onderwijssoorten").get_by_label(
        "primair onderwijs", exact=False), "onderwijssoort PO aanvinken")
    steps.click(main.get_by_role("button", name="Oordeel bekijken"), "oordeel bekijken")
    preview = main.locator("#voorbeeld")
    expect(preview.locator(".verdict")).to_have_text("Niet beoordeeld")
    expect(main.locator("#fouten")).to_have_count(0)
    expect(main.get_by_label("Domeinnaam 1", exact=True)).to_have_value(names.host)
    steps.click(main.get_by_role("button", name="Opslaan"), "tool opslaan")
    expect(main.get_by_role("status")).to_have_text("De tool is aangemaakt.")

    # A signed processing agreement for the tool.
    steps.click(main.get_by_role("link", name="nieuwe").first, "nieuwe verwerkersovereenkomst")
    steps.fill("Id (verplicht)", names.agreement)
    steps.choose("Model van de overeenkomst (verplicht)", "Model Verwerkersovereenkomst 4.0")
    steps.choose("Status (verplicht)", "Getekend")
    steps.fill("Getekend op", "2026-09-01")
    steps.fill("Geldig tot en met", "2029-08-31")
    steps.click(main.get_by_role("button", name="Opslaan"), "overeenkomst opslaan")
    expect(main.get_by_role("status")).to_have_text("De verwerkersovereenkomst is aangemaakt.")

    # A final assessment, from the tool's page.
    steps.click(page.get_by_role("navigation").get_by_role("link", name="Tools"), "menu: Tools")
    steps.click(main.get_by_role("link", name=names.tool_name, exact=True), "de tool")
    steps.click(main.get_by_role("link", name="nieuwe").nth(1), "nieuwe beoordeling")
    steps.choose("Soort beoordeling (verplicht)", "DPIA")
    steps.fill("Id (verplicht)", names.assessment)
    steps.fill("Beoordeeld door (verplicht)", "Kennisnet Demo")
    steps.fill("Beoordeeld op (verplicht)", "2026-10-01")
    steps.choose("Status (verplicht)", "Definitief")
    steps.choose("Uitkomst", "Goedgekeurd")
    steps.choose("Restrisico", "Laag")
    steps.click(main.get_by_role("button", name="Opslaan"), "beoordeling opslaan")
    expect(main.get_by_role("status")).to_have_text("De beoordeling is aangemaakt.")


def live_verdict(page: Page, names: Names = Names()) -> str:
    """The tool's verdict now, as its page in the back office shows it."""
    page.goto(f"/beheer/tools/{names.tool}")
    return page.locator("main .verdict-box .verdict").inner_text()


def publish(db_path: Path, today: str) -> str:
    """`registry publish` as sector staff run it; returns what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "registry", "publish", "--db", str(db_path)],
        capture_output=True, text=True, env=os.environ | {"REGISTRY_TODAY": today}, check=True)
    return done.stdout


def public_verdict(page: Page, names: Names = Names()) -> str:
    """The verdict the public check page gives for a URL of the tool."""
    page.goto(f"/?q=https://{names.host}/les/3")
    return page.locator("section.answer .verdict").inner_text()


def create_account(db_path: Path, email: str, name: str, role: str, password: str) -> None:
    """`registry user create ... --password-stdin`, as the README shows it."""
    subprocess.run(
        [sys.executable, "-m", "registry", "user", "create", email, "--name", name, "--role",
         role, "--password-stdin", "--db", str(db_path)],
        input=password + "\n", capture_output=True, text=True, check=True)


TODAY = "2026-11-28"
PASSWORD = "een lang wachtwoord voor de browser"
ACCOUNTS = {
    "procurement": ("inkoop@school.example", "Ineke Inkoop"),
    "publisher": ("sector@school.example", "Sanne Sector"),
    "admin": ("beheer@school.example", "Bart Beheer"),
}
"""The accounts `backoffice_site` creates, by role: (e-mail, name); all have `PASSWORD`."""


@dataclass
class BackofficeSite:
    """`registry serve` on the demo data (verdicts as on `TODAY`) with one account per role."""

    server: Server
    db_path: Path
    password: str = PASSWORD
    accounts: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(ACCOUNTS))

    @property
    def url(self) -> str:
        return self.server.url

    def email(self, role: str) -> str:
        return self.accounts[role][0]


@pytest.fixture(scope="module")
def backoffice_site(tmp_path_factory) -> BackofficeSite:
    """A server of the module's own, its accounts made with the CLI before it starts."""
    folder = tmp_path_factory.mktemp("beheer")
    db_path = folder / "registry.db"
    for role, (email, name) in ACCOUNTS.items():
        create_account(db_path, email, name, role, PASSWORD)
    os.environ["REGISTRY_TODAY"] = TODAY
    try:
        server = Server(db_path, workers=1)
    finally:
        del os.environ["REGISTRY_TODAY"]
    yield BackofficeSite(server, db_path)
    server.stop()


@pytest.fixture(scope="session")
def journey() -> types.SimpleNamespace:
    """The steps of the journey (see the module): `journey.register(page, journey.Steps(page))`."""
    return types.SimpleNamespace(
        MAX_ACTIONS=MAX_ACTIONS, TODAY=TODAY, Steps=Steps, Names=Names,
        sign_in_with_password=sign_in_with_password, register=register,
        live_verdict=live_verdict, publish=publish, public_verdict=public_verdict,
        create_account=create_account)
