"""The daily e-mail digest (`registry.digest`), sent to a real SMTP server on 127.0.0.1 (the
`smtp_server` fixture of tests/mailserver.py), the page where staff turn it on or off
(/beheer/meldingen) and `registry digest`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from registry import models
from registry.cli_digest import digest as digest_command
from registry.digest import compose, send_daily_digest
from registry.mail import SmtpSettings
from registry.models import Role
from registry.publish import publish

pytestmark = pytest.mark.backoffice

PUBLIC_URL = "https://lijst.example.nl"
DAY1 = dt.date(2027, 1, 1)  # the Sommenstad agreement has 14 days left
DAY2 = dt.date(2027, 1, 2)
DAY3 = dt.date(2027, 1, 20)  # it ran out on the 16th; so did two verdicts


@pytest.fixture
def backoffice_settings(backoffice_settings):
    """The demo data, published once as `registry serve` does."""
    return dataclasses.replace(backoffice_settings, demo=True, public_url=PUBLIC_URL)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


@pytest.fixture
def settings(backoffice_app):
    return backoffice_app.state.settings


@pytest.fixture
def staff(staff_account, registry) -> dict[str, models.Base]:
    """Five accounts: two want the digest, one does not, one that wants it is disabled and one
    that wants it waits for a role."""
    made = {
        "inkoop": staff_account(Role.procurement, email="inkoop@school.example", name="Ineke"),
        "publicatie": staff_account(Role.publisher, email="publicatie@school.example",
                                    name="Pieter Ösch"),
        "stil": staff_account(Role.procurement, email="stil@school.example"),
        "uit": staff_account(Role.admin, email="uit@school.example"),
        "wacht": staff_account(None, email="wacht@school.example"),
    }
    for key in ("inkoop", "publicatie", "uit", "wacht"):
        registry.accounts.set_digest(made[key].id, True, "test")
    registry.accounts.disable(made["uit"].id, "test")
    return made


def send(settings, smtp: SmtpSettings, today: dt.date) -> str:
    return send_daily_digest(settings.db_path, settings.whitelist, smtp, today,
                             dt.datetime.now(dt.UTC), public_url=PUBLIC_URL)


def by_recipient(messages) -> dict[str, list]:
    out: dict[str, list] = {}
    for received in messages:
        out.setdefault(",".join(received.recipients), []).append(received)
    return out


def archive_assessment(registry, assessment_id: str) -> None:
    registry.archive("assessments", assessment_id, "test", None)


def test_the_digest_arrives_with_what_is_new_since_the_previous_one(
        smtp_server, settings, registry, staff, backoffice_client):
    assert send(settings, smtp_server.settings, DAY1) == "2 berichten verstuurd"
    first = by_recipient(smtp_server.messages)
    assert sorted(first) == ["inkoop@school.example", "publicatie@school.example"]

    # What happens between the two digests: a teacher asks twice for a new tool, an
    # assessment is withdrawn and a second publication changes a verdict.
    for school in ("OBS De Linde", "CBS Het Anker"):
        asked = backoffice_client.post("/api/review-requests", json={
            "tool_name": "Rekenkoning", "url": "https://rekenkoning.example/les",
            "school": school})
        assert asked.status_code == 202, asked.text
    archive_assessment(registry, "noorderlicht-rekenen-dpia-2026")
    publish(registry, settings.whitelist, DAY2, "test")

    assert send(settings, smtp_server.settings, DAY2) == "2 berichten verstuurd"
    second = by_recipient(smtp_server.messages[2:])
    assert sorted(second) == ["inkoop@school.example", "publicatie@school.example"]
    (mail,) = second["publicatie@school.example"]
    message = mail.message
    assert message["Subject"] == "Witte lijst: overzicht van 2 januari 2027"
    assert message["To"] == "Pieter Ösch <publicatie@school.example>"
    assert message["From"].addresses[0].addr_spec == "witte-lijst@school.example"
    assert message["Date"] and message["Message-ID"]
    assert message.get_content_charset() == "utf-8"
    text = mail.text
    assert text.startswith("Hallo Pieter Ösch,\n\nDit is het dagelijkse overzicht van de witte "
                           "lijst van 2 januari 2027.")
    assert ("Verloopt binnen 30 dagen (1)\n- Verwerkersovereenkomst sommenstad-2025: "
            "Sommenstad B.V. (demo): Sommenstad Oefenen (demo), Sommenstad Tafeltrainer (demo) "
            "(laatste geldige dag 15 januari 2027, nog 13 dagen)\n"
            f"  {PUBLIC_URL}/beheer/overeenkomsten/sommenstad-2025\n") in text
    assert ("Nieuwe verzoeken om beoordeling (1)\n"
            "- Rekenkoning (rekenkoning.example): 2 keer gevraagd\n") in text
    assert ("Veranderde oordelen (1)\n- Noorderlicht Rekenen (demo): Oordeel gewijzigd, van "
            "‘Toegestaan’ naar ‘Toegestaan onder voorwaarden’ (publicatie 2)\n") in text
    assert "Verlopen sinds" not in text
    assert f"{PUBLIC_URL}/beheer/meldingen" in text
    # Nobody's address is in another's message.
    assert "inkoop@school.example" not in mail.message.as_string()
    assert all(len(m.recipients) == 1 for m in smtp_server.messages)


def test_what_ran_out_and_changed_by_itself_since_the_previous_digest(
        smtp_server, settings, registry, staff):
    send(settings, smtp_server.settings, DAY1)
    assert send(settings, smtp_server.settings, DAY3) == "2 berichten verstuurd"
    text = by_recipient(smtp_server.messages[2:])["inkoop@school.example"][0].text
    assert ("Verlopen sinds het vorige overzicht (1)\n- Verwerkersovereenkomst sommenstad-2025: "
            "Sommenstad B.V. (demo): Sommenstad Oefenen (demo), Sommenstad Tafeltrainer (demo) "
            "(laatste geldige dag 15 januari 2027)\n") in text
    assert ("- Sommenstad Oefenen (demo): Oordeel gewijzigd, van ‘Toegestaan’ naar "
            "‘Niet toegestaan’ (vanzelf op 16 januari 2027)") in text
    assert "Verloopt binnen 30 dagen" not in text


def test_only_active_accounts_that_want_it_get_it(smtp_server, settings, registry, staff):
    registry.accounts.set_digest(staff["inkoop"].id, False, "test")
    assert registry.accounts.get(staff["inkoop"].id).wants_digest is False
    assert [a.email for a in registry.accounts.digest_recipients()] == [
        "publicatie@school.example"]
    assert send(settings, smtp_server.settings, DAY1) == "1 bericht verstuurd"
    assert [m.recipients for m in smtp_server.messages] == [["publicatie@school.example"]]


def test_nothing_to_say_sends_nothing(smtp_server, settings, registry, staff):
    """Before the demo data's first expiry and with no publication, request or change since."""
    send(settings, smtp_server.settings, dt.date(2026, 11, 1))  # the publication of the demo
    assert len(smtp_server.messages) == 2
    today = dt.date(2026, 11, 2)
    assert compose(registry, today, dt.date(2026, 11, 1), since_moment=dt.datetime.now(dt.UTC),
                   whitelist=settings.whitelist) is None
    assert send(settings, smtp_server.settings, today) == "niets te melden"
    assert len(smtp_server.messages) == 2


def test_once_a_day_even_when_asked_twice(smtp_server, settings, staff):
    assert send(settings, smtp_server.settings, DAY1) == "2 berichten verstuurd"
    assert send(settings, smtp_server.settings, DAY1) == "al verstuurd vandaag"
    assert len(smtp_server.messages) == 2


def test_once_a_day_when_two_workers_ask_at_the_same_moment(smtp_server, settings, staff):
    start, said = threading.Barrier(2), []

    def worker() -> None:
        start.wait()
        said.append(send(settings, smtp_server.settings, DAY1))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(said)[0] == "2 berichten verstuurd"
    assert sorted(said)[1] in ("al verstuurd vandaag", "wordt al verstuurd")
    assert sorted(",".join(m.recipients) for m in smtp_server.messages) == [
        "inkoop@school.example", "publicatie@school.example"]


def test_once_a_day_when_two_worker_processes_ask(smtp_server, settings, staff):
    code = (
        "import datetime as dt, sys\n"
        "from pathlib import Path\n"
        "from registry.digest import send_daily_digest\n"
        "from registry.mail import SmtpSettings\n"
        "smtp = SmtpSettings(host='127.0.0.1', port=int(sys.argv[3]), sender='w@school.example')\n"
        "print(send_daily_digest(Path(sys.argv[1]), Path(sys.argv[2]), smtp, "
        "dt.date(2027, 1, 1), dt.datetime.now(dt.UTC), public_url='https://x.example'))\n")
    args = [sys.executable, "-c", code, str(settings.db_path), str(settings.whitelist),
            str(smtp_server.settings.port)]
    workers = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    said = sorted(w.communicate(timeout=60)[0].strip() for w in workers)
    assert said[0] == "2 berichten verstuurd"
    assert said[1] in ("al verstuurd vandaag", "wordt al verstuurd")
    assert len(smtp_server.messages) == 2


def test_an_unreachable_server_fails_the_run_and_a_later_run_that_day_sends(
        smtp_server, settings, staff, caplog):
    with socket_that_refuses() as port:
        closed = SmtpSettings(host="127.0.0.1", port=port, sender="witte-lijst@school.example")
        said = send(settings, closed, DAY1)
    assert said.startswith("versturen mislukt: SMTP server 127.0.0.1:")
    assert [r.message for r in caplog.records if r.name == "registry.digest"] == [
        f"daily digest not sent: {said.removeprefix('versturen mislukt: ')}"]
    with sqlite3.connect(settings.db_path) as conn:
        assert conn.execute("SELECT outcome FROM job_runs WHERE job = 'digest'").fetchall() == [
            ("failed",)]
    assert send(settings, smtp_server.settings, DAY1) == "2 berichten verstuurd"


def test_without_a_mail_server_nothing_is_claimed(smtp_server, settings, staff):
    assert send(settings, SmtpSettings(), DAY1) == "geen e-mailserver ingesteld"
    assert send(settings, smtp_server.settings, DAY1) == "2 berichten verstuurd"


# Plain SMTP with a login is what aiosmtpd warns about; here it spares a certificate.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_login_is_sent_when_set_and_a_wrong_one_fails(smtp_login_server, settings, staff):
    wrong = dataclasses.replace(smtp_login_server.settings, password="niet het wachtwoord")
    said = send(settings, wrong, DAY1)
    assert said.startswith("versturen mislukt: SMTP server 127.0.0.1:")
    assert "535" in said and smtp_login_server.messages == []
    assert send(settings, smtp_login_server.settings, DAY1) == "2 berichten verstuurd"
    assert len(smtp_login_server.messages) == 2


class socket_that_refuses:  # noqa: N801 (a context manager read as a phrase)
    """A port on 127.0.0.1 where nothing listens, for as long as the block lasts."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()


# --- /beheer/meldingen -------------------------------------------------------------------------


def test_the_notices_page_turns_the_digest_on_and_off(staff_client, post_form, registry):
    client = staff_client(Role.procurement)
    page = client.get("/beheer/meldingen")
    assert page.status_code == 200
    assert 'aria-current="page">Meldingen' in page.text
    assert "Dagelijks overzicht per e-mail" in page.text
    assert ("De server verstuurt nog geen e-mail: vraag de beheerder REGISTRY_SMTP_HOST in te "
            "stellen.") in page.text
    assert 'value="1" aria-describedby' in page.text  # not checked
    turned = post_form(client, "/beheer/meldingen", {"overzicht": "1"})
    assert turned.status_code == 303
    assert registry.accounts.get(client.account.id).wants_digest is True
    page = client.get(turned.headers["location"])
    assert "Je krijgt voortaan elke dag een overzicht per e-mail." in page.text
    assert 'value="1" checked' in page.text
    assert post_form(client, "/beheer/meldingen", {}).status_code == 303
    assert registry.accounts.get(client.account.id).wants_digest is False
    events = [e for e in registry.audit.events() if e.kind == "account"
              and e.record_id == client.account.id and e.action == "update"]
    assert [(e.changed, e.after["wants_digest"]) for e in events][-2:] == [
        (["wants_digest"], True), (["wants_digest"], False)]


def test_the_notices_page_needs_a_csrf_token(staff_client, registry):
    client = staff_client(Role.publisher)
    client.get("/beheer/meldingen")
    refused = client.post("/beheer/meldingen", data={"overzicht": "1"}, follow_redirects=False)
    assert refused.status_code == 403
    assert registry.accounts.get(client.account.id).wants_digest is False


def test_the_notices_page_says_nothing_of_mail_when_it_is_set_up(staff_client, backoffice_app,
                                                                 smtp_server):
    state = backoffice_app.state
    state.settings = dataclasses.replace(state.settings, smtp=smtp_server.settings)
    page = staff_client(Role.procurement).get("/beheer/meldingen")
    assert "REGISTRY_SMTP_HOST" not in page.text


def test_the_notices_page_is_for_signed_in_staff(backoffice_client, staff_client):
    answer = backoffice_client.get("/beheer/meldingen", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/beheer/inloggen?volgende=")
    waiting = staff_client(None)
    assert waiting.get("/beheer/meldingen").status_code == 403


# --- registry digest -------------------------------------------------------------------------


def test_the_command_prints_the_digest_with_dry_run_and_sends_without(
        smtp_server, settings, staff, monkeypatch):
    monkeypatch.setenv("REGISTRY_TODAY", DAY1.isoformat())
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.delenv("REGISTRY_WHITELIST", raising=False)
    runner = CliRunner()
    dry = runner.invoke(digest_command, ["--db", str(settings.db_path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("Witte lijst: overzicht van 1 januari 2027\n\n")
    assert "Verwerkersovereenkomst sommenstad-2025" in dry.output
    assert smtp_server.messages == []
    monkeypatch.setenv("REGISTRY_SMTP_HOST", smtp_server.settings.host)
    monkeypatch.setenv("REGISTRY_SMTP_PORT", str(smtp_server.settings.port))
    sent = runner.invoke(digest_command, ["--db", str(settings.db_path)])
    assert (sent.exit_code, sent.output) == (0, "2 berichten verstuurd\n")
    again = runner.invoke(digest_command, ["--db", str(settings.db_path)])
    assert (again.exit_code, again.output) == (0, "al verstuurd vandaag\n")


def test_the_command_says_what_is_wrong_in_one_line(settings, monkeypatch, staff):
    monkeypatch.setenv("REGISTRY_TODAY", DAY1.isoformat())
    monkeypatch.setenv("REGISTRY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REGISTRY_SMTP_PORT", "vijfentwintig")
    failed = CliRunner().invoke(digest_command, ["--db", str(settings.db_path)])
    assert failed.exit_code == 1
    assert failed.output == ("Error: REGISTRY_SMTP_PORT must be a number, not "
                             "'vijfentwintig'\n")
    with socket_that_refuses() as port:
        monkeypatch.setenv("REGISTRY_SMTP_PORT", str(port))
        failed = CliRunner().invoke(digest_command, ["--db", str(settings.db_path)])
    assert failed.exit_code == 1
    assert failed.output.startswith("Error: versturen mislukt: SMTP server 127.0.0.1:")
    assert failed.output.count("\n") == 1 and "Traceback" not in failed.output


def test_serve_refuses_a_mail_port_that_is_not_a_number_in_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.cli import main

    monkeypatch.setenv("REGISTRY_SMTP_PORT", "vijfentwintig")
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "registry.db")])
    assert result.exit_code == 2
    assert "REGISTRY_SMTP_PORT must be a number, not 'vijfentwintig'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "registry.db").exists()  # refused before anything was made
