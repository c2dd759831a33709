"""Staff accounts (`registry.accounts`) and `registry user`: password rules, argon2id hashes,
no enumeration, OIDC identities, audit events, and roles that include each other."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from registry.auth import includes
from registry.cli import main
from registry.db import Registry
from registry.errors import Conflict, Invalid
from registry.models import Role
from registry.store.accounts import password_problem

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
GOOD = "drie woorden en een zin"


@pytest.fixture
def accounts(tmp_path):
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    registry.accounts.hasher = CHEAP
    yield registry.accounts
    registry.close()


@pytest.mark.parametrize(("password", "message"), [
    ("kort", "Het wachtwoord moet minstens 12 tekens lang zijn (nu 4)."),
    ("elf tekens.", "Het wachtwoord moet minstens 12 tekens lang zijn (nu 11)."),
    ("wachtwoord123", "Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden"),
    ("WACHTWOORD123", "Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden"),
    ("Qwertyuiop123", "Dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden"),
    ("x" * 1025, "Het wachtwoord mag hoogstens 1024 tekens lang zijn."),
])
def test_weak_passwords_are_refused_in_dutch(accounts, password, message):
    assert message in password_problem(password)
    with pytest.raises(Invalid) as refused:
        accounts.create("juf@school.example", "Juf", Role.admin, password, "test")
    assert message in refused.value.detail
    assert refused.value.errors[0].field == "$.password"
    assert accounts.list() == []  # nothing written


@pytest.mark.parametrize("password", [GOOD, "twaalf tekens", "x" * 1024])
def test_good_passwords_pass(password):
    assert password_problem(password) is None


def test_only_an_argon2id_hash_is_stored(accounts):
    created = accounts.create(" Juf@School.Example ", "Juf", Role.procurement, GOOD, "test")
    assert created.email == "juf@school.example"
    assert created.has_password
    stored = accounts.store.rows("SELECT password_hash FROM accounts")[0]["password_hash"]
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert accounts.verify_password("JUF@school.example", GOOD).id == created.id
    assert accounts.verify_password("juf@school.example", GOOD + "!") is None


def test_the_default_hasher_is_argon2id_with_its_standard_cost(tmp_path):
    registry = Registry(tmp_path / "r.db")
    hasher = registry.accounts.hasher
    registry.close()
    assert (hasher.type.name, hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        "ID", 3, 65536, 4)


def test_an_unknown_address_costs_the_same_work_as_a_wrong_password(accounts, monkeypatch):
    """No enumeration: a verify runs whether the address has an account or not."""
    accounts.create("juf@school.example", "Juf", Role.procurement, GOOD, "test")
    accounts.create("oidc@school.example", "Oidc", Role.procurement, None, "test")
    verified = []
    real_verify = CHEAP.verify
    monkeypatch.setattr(accounts, "hasher", type("Counting", (), {
        "verify": lambda self, h, p: verified.append(h) or real_verify(h, p),
        "time_cost": 1, "memory_cost": 8, "parallelism": 1})())
    for email, password in [("juf@school.example", "fout fout fout"),
                            ("niemand@school.example", GOOD),
                            ("oidc@school.example", GOOD),  # an account without a password
                            ("juf@school.example", "x" * 5000)]:
        assert accounts.verify_password(email, password) is None
    assert len(verified) == 4
    assert all(h.startswith("$argon2id$v=19$m=8,t=1,p=1$") for h in verified)


def test_one_account_per_address(accounts):
    accounts.create("juf@school.example", "Juf", Role.procurement, GOOD, "test")
    with pytest.raises(Conflict) as refused:
        accounts.create("JUF@school.example", "Juf 2", Role.admin, GOOD, "test")
    assert refused.value.detail == "Er is al een account met het e-mailadres juf@school.example."


@pytest.mark.parametrize(("email", "name", "field"), [
    ("geen-adres", "Juf", "$.email"),
    ("juf@school", "Juf", "$.email"),
    ("juf@school.example", "  ", "$.name"),
    ("juf@school.example", "x" * 201, "$.name"),
])
def test_bad_addresses_and_names_are_refused(accounts, email, name, field):
    with pytest.raises(Invalid) as refused:
        accounts.create(email, name, Role.procurement, GOOD, "test")
    assert refused.value.errors[0].field == field
    assert accounts.list() == []


def test_role_changes_and_disabling_are_audited_without_the_hash(accounts):
    created = accounts.create("juf@school.example", "Juf", None, GOOD, "beheer@school.example")
    accounts.set_role(created.id, Role.publisher, "beheer@school.example")
    disabled = accounts.disable(created.id, "beheer@school.example")
    assert disabled.disabled and disabled.version == 3
    assert accounts.enable(created.id, "beheer@school.example").disabled_at is None
    events = accounts.audit.events("kind = 'account'")
    assert [(e.action, e.changed, e.actor) for e in events] == [
        ("create", ["email", "has_password", "id", "name"],
         "beheer@school.example"),
        ("update", ["role"], "beheer@school.example"),
        ("update", ["disabled_at"], "beheer@school.example"),
        ("update", ["disabled_at"], "beheer@school.example"),
    ]
    assert all("password_hash" not in (e.after or {}) for e in events)
    assert all("$argon2" not in str(e.after) for e in events)


def test_setting_a_password_checks_the_rules(accounts):
    created = accounts.create("juf@school.example", "Juf", Role.procurement, None, "test")
    assert not created.has_password
    with pytest.raises(Invalid):
        accounts.set_password(created.id, "welkom123456", "test")
    assert accounts.set_password(created.id, GOOD, "test").has_password
    assert accounts.verify_password("juf@school.example", GOOD) is not None


def test_a_first_oidc_sign_in_creates_an_account_waiting_for_approval(accounts):
    first = accounts.for_oidc("https://idp.example", "abc", "Meester@School.example", "Meester")
    assert (first.email, first.name, first.role, first.has_password) == (
        "meester@school.example", "Meester", None, False)
    again = accounts.for_oidc("https://idp.example", "abc", "nieuw@school.example", "Anders")
    assert again.id == first.id
    assert len(accounts.list()) == 1


def test_an_oidc_identity_never_takes_over_an_account_by_its_address(accounts):
    # Any IdP of a federation may claim any address: the claim alone links nothing.
    made = accounts.create("juf@school.example", "Juf", Role.admin, GOOD, "cli:root")
    with pytest.raises(Conflict, match="Er is al een account"):
        accounts.for_oidc("https://idp.example", "juf-1", "juf@school.example", "Juf")
    assert [a.id for a in accounts.list()] == [made.id]
    assert accounts.get(made.id).oidc_subject is None


@pytest.mark.parametrize(("has", "needed", "allowed"), [
    (Role.procurement, Role.procurement, True),
    (Role.procurement, Role.publisher, False),
    (Role.procurement, Role.admin, False),
    (Role.publisher, Role.procurement, True),
    (Role.publisher, Role.publisher, True),
    (Role.publisher, Role.admin, False),
    (Role.admin, Role.procurement, True),
    (Role.admin, Role.publisher, True),
    (Role.admin, Role.admin, True),
])
def test_each_role_includes_the_ones_before_it(has, needed, allowed):
    assert includes(has, needed) is allowed


def test_an_admin_api_token_may_do_what_a_publisher_may(client, registry):
    """Role inclusion holds for API tokens too (the CLI and the back office only hand out
    procurement and publisher tokens)."""
    _, secret = registry.tokens.create("beheer", Role.admin)
    _, procurement = registry.tokens.create("inkoop-2", Role.procurement)
    for token, refused in ((secret, False), (procurement, True)):
        answer = client.post("/api/policy/simulate", json={}, headers={
            "Authorization": f"Bearer {token}"})
        # Past the guard, an empty policy is a 422; a procurement token never gets that far.
        assert answer.status_code == (403 if refused else 422), answer.text


# --- registry user ---------------------------------------------------------------------------

def run(*args: str, db, input: str | None = None):
    return CliRunner().invoke(main, [*args, "--db", str(db)], input=input)


def test_user_create_list_disable(tmp_path):
    db = tmp_path / "r.db"
    created = run("user", "create", "Juf@School.example", "--name", "Juf Anne", "--role",
                  "admin", "--password-stdin", db=db, input=GOOD + "\n")
    assert created.exit_code == 0, created.output
    assert created.output.strip() == ("Created account 'juf@school.example' (admin). Sign in at "
                                      "/beheer/inloggen.")
    listed = run("user", "list", db=db)
    assert "juf@school.example" in listed.output and "Juf Anne" in listed.output
    assert "active" in listed.output and GOOD not in listed.output
    disabled = run("user", "disable", "JUF@school.example", db=db)
    assert disabled.output.strip() == "Disabled account 'juf@school.example'."
    assert "disabled" in run("user", "list", db=db).output
    registry = Registry(db)
    assert registry.accounts.verify_password("juf@school.example", GOOD).disabled
    assert registry.audit.events("kind = 'account'")[0].actor.startswith("cli")
    registry.close()


def test_user_create_asks_the_password_twice_until_it_is_good(tmp_path):
    db = tmp_path / "r.db"
    answers = "kort\nwachtwoord1234\nwachtwoord1234\n" + f"{GOOD}\n{GOOD}\n"
    created = run("user", "create", "juf@school.example", "--name", "Juf", "--role",
                  "procurement", db=db, input=answers)
    assert created.exit_code == 0, created.output
    assert "minstens 12 tekens" in created.output
    assert "veelgebruikte wachtwoorden" in created.output
    assert "Created account 'juf@school.example' (procurement)." in created.output


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["user", "create", "juf@school.example", "--name", "Juf", "--role", "admin",
      "--password-stdin"], "kort\n",
     "Error: Het wachtwoord moet minstens 12 tekens lang zijn (nu 4). Een zin van een paar "
     "woorden is goed te onthouden."),
    (["user", "create", "geen-adres", "--name", "Juf", "--role", "admin", "--password-stdin"],
     GOOD + "\n", "Error: Vul een geldig e-mailadres in, zoals naam@school.nl."),
    (["user", "create", "al@school.example", "--name", "Juf", "--role", "admin",
      "--password-stdin"], GOOD + "\n",
     "Error: Er is al een account met het e-mailadres al@school.example."),
    (["user", "disable", "niemand@school.example"], None,
     "Error: No account with the e-mail address 'niemand@school.example'."),
])
def test_user_errors_are_one_line_and_exit_1(tmp_path, args, stdin, message):
    db = tmp_path / "r.db"
    run("user", "create", "al@school.example", "--name", "Al", "--role", "admin",
        "--password-stdin", db=db, input=GOOD + "\n")
    result = run(*args, db=db, input=stdin)
    assert result.exit_code == 1
    assert result.output.strip() == message


def test_token_roles_leave_admin_to_people(tmp_path):
    result = run("token", "create", "--name", "x", "--role", "admin", db=tmp_path / "r.db")
    assert result.exit_code == 2


def test_serve_says_how_to_make_the_first_admin_and_where_to_sign_in(tmp_path):
    from registry.cli import _back_office_line

    db = tmp_path / "r.db"
    Registry(db).migrate()
    assert _back_office_line(db, "https://lijst.example.nl/") == (
        "Back office: https://lijst.example.nl/beheer/inloggen (no admin yet: create one with "
        "`registry user create EMAIL --name NAME --role admin`)")
    run("user", "create", "juf@school.example", "--name", "Juf", "--role", "admin",
        "--password-stdin", db=db, input=GOOD + "\n")
    assert _back_office_line(db, "https://lijst.example.nl") == (
        "Back office: https://lijst.example.nl/beheer/inloggen")
