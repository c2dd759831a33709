"""Admin pages of the back office: accounts (create, approve, change role, disable, enable) and
API tokens (create, shown once, revoke), in Dutch, every change a POST with a CSRF token."""

from __future__ import annotations

import re

import pytest

from registry.models import Role

pytestmark = pytest.mark.backoffice

GOOD = "drie woorden en een zin"


@pytest.fixture
def admin(staff_client):
    return staff_client("admin")


def accounts_of(app):
    return {a.email: a for a in app.state.registry.accounts.list()}


def test_the_accounts_page_lists_everyone_in_dutch(admin, staff_account):
    waiting = staff_account(None, email="meester@school.example", name="Meester Bas")
    staff_account("publisher", email="sector@school.example", disabled=True)
    page = admin.get("/beheer/accounts")
    assert page.status_code == 200
    text = page.text
    assert "Meester Bas" in text and "Wacht op goedkeuring" in text and "Uitgeschakeld" in text
    assert f'action="/beheer/accounts/{waiting.id}/rol"' in text
    assert ">Goedkeuren<" in text
    assert 'aria-current="page"' in text.split('href="/beheer/accounts"')[1][:30]
    # Every form posts with a CSRF token.
    assert text.count('method="post"') == text.count('name="_csrf_token"')


def test_an_admin_approves_a_waiting_account(backoffice_app, admin, staff_account, post_form,
                                             staff_client):
    waiting = staff_account(None)
    answer = post_form(admin, f"/beheer/accounts/{waiting.id}/rol", {"rol": "procurement"},
                       page="/beheer/accounts")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/accounts?gedaan=rol"
    assert "De rol is gewijzigd." in admin.get(answer.headers["location"]).text
    approved = backoffice_app.state.registry.accounts.get(waiting.id)
    assert approved.role == Role.procurement
    event = backoffice_app.state.registry.audit.events("kind = 'account'")[-1]
    assert (event.actor, event.changed) == (admin.account.email, ["role"])


@pytest.mark.parametrize("role", ["", "superuser"])
def test_a_role_that_does_not_exist_is_refused(backoffice_app, admin, staff_account, post_form,
                                               role):
    waiting = staff_account(None)
    answer = post_form(admin, f"/beheer/accounts/{waiting.id}/rol", {"rol": role},
                       page="/beheer/accounts")
    assert answer.status_code == 400
    assert "Kies een rol." in answer.text
    assert backoffice_app.state.registry.accounts.get(waiting.id).role is None


def test_disabling_an_account_signs_it_out_at_once(backoffice_app, admin, staff_client,
                                                   post_form):
    officer = staff_client("procurement")
    assert officer.get("/beheer/inloggen").text.count("Je bent ingelogd als") == 1
    answer = post_form(admin, f"/beheer/accounts/{officer.account.id}/uitschakelen", {},
                       page="/beheer/accounts")
    assert answer.headers["location"] == "/beheer/accounts?gedaan=uitgeschakeld"
    assert "Je bent ingelogd als" not in officer.get("/beheer/inloggen").text
    assert backoffice_app.state.registry.sessions.count() == 1  # the admin's only
    answer = post_form(admin, f"/beheer/accounts/{officer.account.id}/inschakelen", {},
                       page="/beheer/accounts")
    assert answer.headers["location"] == "/beheer/accounts?gedaan=ingeschakeld"
    assert backoffice_app.state.registry.accounts.get(officer.account.id).disabled_at is None


@pytest.mark.parametrize(("action", "data"), [
    ("uitschakelen", {}), ("rol", {"rol": "procurement"}),
])
def test_an_admin_cannot_disable_or_demote_themselves(backoffice_app, admin, post_form,
                                                      action, data):
    answer = post_form(admin, f"/beheer/accounts/{admin.account.id}/{action}", data,
                       page="/beheer/accounts")
    assert answer.status_code == 400
    assert "van je eigen account niet wijzigen" in answer.text
    mine = backoffice_app.state.registry.accounts.get(admin.account.id)
    assert (mine.role, mine.disabled_at) == (Role.admin, None)


def test_an_unknown_account_is_a_dutch_404(admin, post_form):
    answer = post_form(admin, "/beheer/accounts/bestaat-niet/uitschakelen", {},
                       page="/beheer/accounts")
    assert answer.status_code == 404
    assert "Deze pagina bestaat niet" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_an_admin_creates_an_account_with_a_password(backoffice_app, admin, post_form, sign_in,
                                                     backoffice_client):
    answer = post_form(admin, "/beheer/accounts", {
        "email": "Nieuw@School.example", "naam": "Nieuwe Collega", "rol": "publisher",
        "wachtwoord": GOOD})
    assert answer.status_code == 303, answer.text
    created = accounts_of(backoffice_app)["nieuw@school.example"]
    assert (created.name, created.role) == ("Nieuwe Collega", Role.publisher)
    assert sign_in(backoffice_client, "nieuw@school.example", GOOD).status_code == 303


@pytest.mark.parametrize(("fields", "errors"), [
    ({"email": "geen-adres", "naam": "X", "rol": "publisher", "wachtwoord": GOOD},
     ["Vul een geldig e-mailadres in, zoals naam@school.nl."]),
    ({"email": "x@school.example", "naam": "X", "rol": "publisher", "wachtwoord": "welkom123456"},
     ["Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden"]),
    ({"email": "x@school.example", "naam": "X", "rol": "", "wachtwoord": ""},
     ["Kies een rol.", "Vul een eerste wachtwoord in."]),
    ({"email": "", "naam": "", "rol": "", "wachtwoord": "kort"},
     ["Vul een geldig e-mailadres in", "Vul een naam in.", "minstens 12 tekens", "Kies een rol."]),
    ({"email": "x@school.example", "naam": "", "rol": "admin", "wachtwoord": GOOD},
     ["Vul een naam in."]),
])
def test_a_bad_new_account_is_refused_next_to_its_field(backoffice_app, admin, post_form,
                                                        fields, errors):
    before = accounts_of(backoffice_app)
    answer = post_form(admin, "/beheer/accounts", fields)
    assert answer.status_code == 400
    shown = re.findall(r'<p class="field-error" id="nieuw-[a-z]+-fout">([^<]+)</p>', answer.text)
    assert len(shown) == len(errors)
    for expected in errors:
        assert any(expected in s for s in shown), (expected, shown)
    assert accounts_of(backoffice_app) == before
    if fields["email"] != "geen-adres":
        assert f'value="{fields["email"]}"' in answer.text  # kept, the password not


def test_an_address_that_has_an_account_is_refused(admin, post_form):
    answer = post_form(admin, "/beheer/accounts", {
        "email": admin.account.email, "naam": "Twee", "rol": "admin", "wachtwoord": GOOD})
    assert answer.status_code == 400
    assert "Dit e-mailadres heeft al een account." in answer.text


# --- API tokens -------------------------------------------------------------------------------

def test_a_token_is_shown_once_and_works(backoffice_app, admin, post_form):
    answer = post_form(admin, "/beheer/tokens", {"naam": "koppeling-inkoop", "rol": "publisher"})
    assert answer.status_code == 200
    secret = re.search(r'value="(wlr_[A-Za-z0-9_-]{43})"', answer.text)[1]
    assert "niet opnieuw getoond" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert secret not in admin.get("/beheer/tokens").text
    registry = backoffice_app.state.registry
    assert registry.tokens.for_secret(secret) == ("koppeling-inkoop", "publisher", False)
    assert admin.get("/api/tools", headers={"Authorization": f"Bearer {secret}"}
                     ).status_code == 200


def test_revoking_a_token_stops_it(backoffice_app, admin, post_form):
    token, secret = backoffice_app.state.registry.tokens.create("oud-script", Role.procurement)
    page = admin.get("/beheer/tokens")
    assert "oud-script" in page.text
    answer = post_form(admin, f"/beheer/tokens/{token.id}/intrekken", {}, page="/beheer/tokens")
    assert answer.headers["location"] == "/beheer/tokens?gedaan=ingetrokken"
    assert backoffice_app.state.registry.tokens.for_secret(secret)[2] is True
    assert "Ingetrokken op" in admin.get("/beheer/tokens").text
    again = post_form(admin, f"/beheer/tokens/{token.id}/intrekken", {}, page="/beheer/tokens")
    assert again.status_code == 404


@pytest.mark.parametrize(("fields", "error"), [
    ({"naam": "", "rol": "publisher"}, "Vul een naam in"),
    ({"naam": "x" * 101, "rol": "publisher"}, "hoogstens 100 tekens"),
    ({"naam": "script", "rol": "admin"}, "Kies een rol."),  # tokens are for machines
    ({"naam": "bestaand", "rol": "procurement"}, "Er is al een token met deze naam"),
])
def test_a_bad_token_is_refused_in_dutch(backoffice_app, admin, post_form, fields, error):
    backoffice_app.state.registry.tokens.create("bestaand", Role.procurement)
    answer = post_form(admin, "/beheer/tokens", fields)
    assert answer.status_code == 400
    assert error in answer.text
    assert "wlr_" not in answer.text
    assert len(backoffice_app.state.registry.tokens.list()) == 1


# --- in the browser: WCAG 2.1 AA on the admin pages in the states the other tests miss ---------

@pytest.fixture
def site(server_factory, tmp_path):
    """`registry serve` on the demo data with an admin (made with `registry user create`)
    and an account waiting for approval."""
    from click.testing import CliRunner

    from registry.cli import main
    from registry.db import Registry

    db = tmp_path / "registry.db"
    made = CliRunner().invoke(main, ["user", "create", "juf@school.example", "--name", "Juf",
                                     "--role", "admin", "--password-stdin", "--db", str(db)],
                              input=GOOD + "\n")
    assert made.exit_code == 0, made.output
    registry = Registry(db)
    registry.accounts.for_oidc("https://idp.example", "bas", "bas@school.example", "Meester Bas")
    registry.close()
    return server_factory(db, workers=1)


@pytest.mark.browser
def test_the_admin_pages_meet_wcag_21_aa_with_errors_and_a_new_token(page, site,
                                                                    axe_violations):
    page.goto("/beheer/accounts")  # not signed in: to the sign-in page, and back after it
    page.get_by_label("E-mailadres").fill("juf@school.example")
    page.get_by_label("Wachtwoord").fill(GOOD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/beheer/accounts")
    assert "Wacht op goedkeuring" in page.content()
    assert axe_violations(page) == []
    page.locator("#nieuw-email").fill("geen-adres")
    page.get_by_role("button", name="Account aanmaken").click()
    assert page.locator(".field-error").count() == 4  # address, name, password, role
    assert axe_violations(page) == []
    page.get_by_label("Rol van Meester Bas").select_option("procurement")
    page.get_by_role("button", name="Goedkeuren voor Meester Bas").click()
    assert "De rol is gewijzigd." in page.content()
    page.goto("/beheer/tokens")
    page.get_by_label("Naam", exact=True).fill("koppeling")
    page.get_by_label("Publicatie").check()
    page.get_by_role("button", name="Token aanmaken").click()
    assert page.get_by_label("Token").input_value().startswith("wlr_")
    assert axe_violations(page) == []
