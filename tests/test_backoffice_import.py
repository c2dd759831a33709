"""Bulk import from the browser (/beheer/importeren): upload, the dry-run report in Dutch,
confirm; and the Dutch sentences of the importer's problems (`import_words`)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import time

import msgspec
import pytest

from registry import models
from registry.api.imports import MAX_IMPORT_BODY
from registry.backoffice import imports
from registry.backoffice.import_words import FALLBACK, dutch_file_error, dutch_problem
from registry.exporter import export_bundle
from registry.models import Role

pytestmark = pytest.mark.backoffice

PAGE = "/beheer/importeren"
NEW_TOOL = {"id": "woordwolk", "vendor_id": "sommenstad", "name": "Woordwolk", "category":
            "practice", "levels": ["PO"], "domains": [{"host": "woordwolk.nl"}]}
REJECTION = {"id": "sommenstad-oefenen-dpia-2027", "tool_id": "sommenstad-oefenen", "kind": "dpia",
             "assessor": "Kennisnet Demo", "assessed_on": "2026-11-01", "status": "final",
             "outcome": "rejected", "residual_risk": "high"}


@pytest.fixture
def backoffice_settings(backoffice_settings):
    return dataclasses.replace(backoffice_settings, demo=True)


@pytest.fixture
def officer(staff_client):
    return staff_client(Role.procurement)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


def upload(client, content: bytes | str, name: str = "bundel.json", **fields):
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(PAGE).text)[1]
    raw = content.encode() if isinstance(content, str) else content
    return client.post(PAGE, data={"_csrf_token": token, **fields},
                       files={"bestand": (name, raw, "application/octet-stream")})


def confirm(client, page: str, upload_id: str | None = None):
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page)[1]
    if upload_id is None:
        upload_id = re.search(r'name="upload" value="([^"]+)"', page)[1]
    return client.post(f"{PAGE}/bevestigen", data={"_csrf_token": token, "upload": upload_id})


def bundle(**kinds) -> str:
    return json.dumps(kinds)


def text_of(html: str) -> str:
    """The page's main text, tags removed, blanks collapsed, entities as characters."""
    main = html.split('<main id="inhoud"', 1)[1]
    plain = re.sub(r"<[^>]+>", " ", main).replace("&#39;", "'").replace("&amp;", "&")
    return re.sub(r"\s+", " ", plain)


# --- the happy path ----------------------------------------------------------------------------


def test_the_page_offers_a_file_field_and_the_kinds_of_csv(officer):
    page = officer.get(PAGE)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert '<input type="file" id="bestand" name="bestand"' in page.text
    assert ">Verwerkersovereenkomsten</option>" in page.text
    assert 'aria-current="page">Importeren' in page.text


def test_a_bundle_is_checked_shown_in_dutch_and_imported_on_confirmation(
        officer, registry, snapshot):
    before = snapshot(registry)
    checked = upload(officer, bundle(tools=[NEW_TOOL], assessments=[REJECTION]))
    assert checked.status_code == 200
    said = text_of(checked.text)
    assert "Wat bundel.json zou doen" in said
    assert "Nieuw: 1 tool, 1 beoordeling" in said
    assert "1 tool krijgt een ander oordeel" in said
    assert re.search(r'sommenstad-oefenen">Sommenstad Oefenen \(demo\)</a></td>\s*<td><span '
                     r'class="verdict verdict-allowed">Toegestaan</span></td>\s*<td><span '
                     r'class="verdict verdict-not_allowed">Niet toegestaan', checked.text)
    assert "Nieuwe tools krijgen: Niet beoordeeld 1" in said
    assert snapshot(registry) == before  # a check writes nothing

    done = confirm(officer, checked.text)
    assert done.status_code == 200
    assert "bundel.json is geïmporteerd. Aangemaakt: 1 tool, 1 beoordeling." in text_of(done.text)
    assert registry.get("tools", "woordwolk").name == "Woordwolk"
    event = registry.audit.history("tools", "woordwolk")[-1]
    assert event.actor == officer.account.email
    assert event.source == "/beheer/importeren (bundel.json)"


def test_an_update_lists_the_fields_it_changes(officer, registry):
    exported = msgspec.to_builtins(export_bundle(registry))
    tool = next(t for t in exported["tools"] if t["id"] == "noorderlicht-rekenen")
    tool["data_locations"] = []
    tool["description"] = "Nieuwe omschrijving."
    checked = upload(officer, json.dumps(exported), "export.json")
    said = text_of(checked.text)
    assert "Gewijzigd: 1 tool" in said and "Ongewijzigd: 12 leveranciers, 25 tools" in said
    assert "tool noorderlicht-rekenen Omschrijving, Landen waar de gegevens staan" in said
    assert "1 tool krijgt een ander oordeel" in said
    done = confirm(officer, checked.text)
    assert "Gewijzigd: 1 tool" in text_of(done.text)
    assert registry.get("tools", "noorderlicht-rekenen").data_locations == []


def test_a_csv_file_from_a_spreadsheet_is_imported(officer, registry):
    csv = ("id;vendor_id;name;category;levels;domains;free_of_charge;"
           "pseudonymisation.checked_on\r\n"
           "klokkijken;sommenstad;Klokkijken;practice;PO;klok.nl | include_subdomains;ja;"
           "01-09-2026\r\n").encode("cp1252")
    checked = upload(officer, csv, "tools.csv")
    assert checked.status_code == 200, text_of(checked.text)
    assert "Nieuw: 1 tool" in text_of(checked.text)
    confirm(officer, checked.text)
    tool = registry.get("tools", "klokkijken")
    assert tool.free_of_charge and tool.domains[0].include_subdomains
    assert str(tool.pseudonymisation.checked_on) == "2026-09-01"


def test_the_kind_of_a_csv_file_can_be_chosen_when_its_name_does_not_say(officer):
    # These columns fit vendors as well as tools, and the name says neither.
    unknown = upload(officer, "id;name;website\r\nnieuw-bv;Nieuw B.V.;https://nieuw.nl\r\n",
                     "export.csv")
    assert unknown.status_code == 400
    assert "We kunnen niet zien welke soort records" in text_of(unknown.text)
    csv = "id;name;country\r\nnieuw-bv;Nieuw B.V.;NL\r\n"
    chosen = upload(officer, csv, "tools.csv", soort="vendors")  # the choice wins over the name
    assert "Nieuw: 1 leverancier" in text_of(chosen.text)


def test_a_file_that_changes_nothing_has_nothing_to_confirm(officer, registry):
    exported = json.dumps(msgspec.to_builtins(export_bundle(registry)))
    checked = upload(officer, exported)
    assert "Dit bestand verandert niets: alles staat al zo in het register" in text_of(checked.text)
    assert 'name="upload"' not in checked.text


# --- refused files: Dutch reasons, nothing written ---------------------------------------------


@pytest.mark.parametrize(("content", "name", "status", "message"), [
    ('{"tools": [', "b.json", 400, "Het bestand is geen geldige JSON, of het houdt halverwege op."),
    ('{"tools":\n [1,,2]}', "b.json", 400,
     "Het bestand is geen geldige JSON: er klopt iets niet op regel 2."),
    ("[" * 100 + "]" * 100, "b.json", 400, "Het bestand is te diep genest"),
    ("", "b.json", 400, "Het bestand is leeg."),
    ("id;name;name\r\nx;X;Y\r\n", "leveranciers.csv", 400,
     "De kolom 'name' staat meer dan één keer in het CSV-bestand."),
    ("id;;country\r\nx;X;NL\r\n", "leveranciers.csv", 400,
     "Kolom 2 heeft geen naam in de eerste regel"),
    ("[1, 2]", "b.json", 422, "Het hele bestand Hier hoort een object."),
])
def test_a_file_that_cannot_be_read_is_refused_in_dutch(officer, registry, snapshot, content,
                                                        name, status, message):
    before = snapshot(registry)
    answer = upload(officer, content, name)
    assert answer.status_code == status
    assert message in text_of(answer.text)
    assert "niets geïmporteerd" in text_of(answer.text)
    assert snapshot(registry) == before


@pytest.mark.parametrize(("record", "field", "message"), [
    ({**NEW_TOOL, "vendor_id": "niemand"}, "Leverancier",
     "Er is geen leverancier met id 'niemand', niet in dit bestand en niet in het register."),
    ({**NEW_TOOL, "levels": []}, "Onderwijssoorten", "Noem er minstens één."),
    ({**NEW_TOOL, "category": "spel"}, "Soort tool",
     "'spel' is hier geen geldige waarde. Kies uit: learning_material (Lesmateriaal);"),
    ({**NEW_TOOL, "domains": [{"host": "https://Woordwolk.nl/les"}]},
     "Domeinnamen 1 › Domeinnaam",
     "Dit moet een domeinnaam in kleine letters zijn"),
    ({**NEW_TOOL, "id": "Woord Wolk"}, "Id", "Gebruik alleen kleine letters, cijfers en streepjes"),
    ({**NEW_TOOL, "free_of_charge": "ja"}, "Gratis te gebruiken", "Hier hoort true of false."),
    ({**NEW_TOOL, "minimum_age": 150}, "Minimumleeftijd", "Vul een getal in van hoogstens 99."),
    ({**NEW_TOOL, "kleur": "blauw"}, "kleur", "Dit veld kennen we niet."),
])
def test_every_problem_of_a_record_is_named_in_dutch_next_to_its_field(
        officer, registry, snapshot, record, field, message):
    before = snapshot(registry)
    answer = upload(officer, bundle(tools=[record]))
    assert answer.status_code == 422
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)(?:<br>.*?)?</td>\s*<td>(.*?)</td>",
                      answer.text.replace("&#39;", "'"))
    assert any(r[1] == field and r[2].startswith(message) for r in rows), rows
    assert "Er is niets geïmporteerd." in text_of(answer.text)
    assert 'name="upload"' not in answer.text
    assert snapshot(registry) == before


def test_the_dates_of_the_issue_are_explained_not_refused_in_english(officer):
    agreement = {"id": "sommenstad-2027", "vendor_id": "sommenstad", "tool_ids": [
        "sommenstad-oefenen"], "model_version": "model_4", "status": "signed",
        "signed_on": "01-09-2026"}
    said = text_of(upload(officer, bundle(agreements=[agreement])).text)
    assert ("'01-09-2026' is geen datum zoals een bundel die schrijft: jaar-maand-dag, "
            "bijvoorbeeld 2026-09-01 voor 1 september 2026.") in said
    assert "RFC3339" not in said and FALLBACK not in said


def test_a_file_full_of_mistakes_gets_a_dutch_sentence_for_each(officer):
    mistakes = bundle(
        vendors=[{"id": "X", "name": "", "country": "XX", "kvk_number": "12", "website": "ftp://x",
                  "covenant_since": "2026-01-01", "foo": 1, "privacy_contact": {"phone": "abc"}}],
        tools=[{**NEW_TOOL, "levels": ["PO", "PO"], "minimum_age": 150},
               {**NEW_TOOL, "vendor_id": "niemand"}],
        agreements=[{"id": "a1", "vendor_id": "sommenstad", "tool_ids": [
            "onbekend", "noorderlicht-rekenen"], "model_version": "model_9", "status": "signed",
            "expires_on": "2026-13-01", "deviations": True}],
        assessments=[{"id": "s1", "tool_id": "sommenstad-oefenen", "kind": "dpia", "assessor": "X",
                      "assessed_on": "2026-06-01", "valid_until": "2026-01-01", "status": "final",
                      "outcome": "approved_with_conditions", "residual_risk": "low"}],
        fingerprints={"tools": "abc"},
    )
    answer = upload(officer, mistakes)
    said = text_of(answer.text)
    assert answer.status_code == 422
    assert FALLBACK not in said
    for sentence in [
        "Een KvK-nummer heeft precies 8 cijfers",
        "'XX' is geen landcode.",
        "Vul een telefoonnummer in met alleen cijfers, spaties en + ( ) -.",
        "Laat dit leeg, of kies eerst of de leverancier deelnemer of medestander is.",
        "Dit staat er twee keer in.",
        "De id 'woordwolk' staat ook bij tool nr. 1 in dit bestand",
        "De tool 'noorderlicht-rekenen' hoort bij een andere leverancier "
        "(uitgeverij-noorderlicht), niet bij 'sommenstad'.",
        "Vul dit in: dat is verplicht bij de status 'Getekend'.",
        "Vat de afwijkingen samen",
        "Deze datum moet na 'Beoordeeld op' liggen (1 juni 2026).",
        "Noem minstens één voorwaarde: de uitkomst is 'Goedgekeurd onder voorwaarden'.",
        "'tools' is geen geldige sleutel",
    ]:
        assert sentence in said, sentence


def test_a_row_of_a_csv_file_is_named_by_its_line(officer):
    csv = "id;vendor_id;name;category;levels;minimum_age\r\nx1;sommenstad;X;practice;PO;twaalf\r\n"
    said = text_of(upload(officer, csv, "tools.csv").text)
    assert "Tool 'x1' (regel 2) Minimumleeftijd minimum_age Hier hoort een heel getal." in said


# --- conflicts and forcing ---------------------------------------------------------------------


def test_a_record_changed_since_the_export_is_refused_unless_overwriting_is_chosen(
        officer, registry):
    exported = msgspec.to_builtins(export_bundle(registry))
    tool = registry.get("tools", "sommenstad-tafels")
    fields = {f: getattr(tool, f) for f in models.ToolIn.__struct_fields__}
    registry.update("tools", tool.id, models.ToolIn(**fields | {"description": "Intussen."}),
                    "collega@school.example", None)
    mine = next(t for t in exported["tools"] if t["id"] == "sommenstad-tafels")
    mine["description"] = "Mijn versie."
    refused = upload(officer, json.dumps(exported))
    said = text_of(refused.text)
    assert refused.status_code == 422
    assert "De tool 'sommenstad-tafels' is in het register gewijzigd sinds dit bestand werd " \
           "geëxporteerd (nu versie 2" in said
    assert "of vink 'Ook records overschrijven' aan" in said
    forced = upload(officer, json.dumps(exported), overschrijven="ja")
    assert "(overschrijft een wijziging in het register)" in text_of(forced.text)
    confirm(officer, forced.text)
    assert registry.get("tools", "sommenstad-tafels").description == "Mijn versie."


def test_an_archived_record_cannot_be_changed_by_an_import(officer, registry):
    exported = msgspec.to_builtins(export_bundle(registry))
    registry.archive("tools", "maakplaats-podcast", "t", None)
    mine = next(t for t in exported["tools"] if t["id"] == "maakplaats-podcast")
    mine["name"] = "Andere naam"
    said = text_of(upload(officer, json.dumps(exported), overschrijven="ja").text)
    assert "De tool 'maakplaats-podcast' is gearchiveerd in het register en kan niet meer " \
           "veranderen." in said


# --- the confirmation applies exactly what was checked -----------------------------------------


def test_when_the_registry_changed_after_the_check_nothing_is_written_and_the_new_plan_shown(
        officer, registry, snapshot):
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    registry.create("tools", models.ToolIn(**{**NEW_TOOL, "name": "Van een collega",
                                              "domains": []}), "collega@school.example")
    before = snapshot(registry)
    moved = confirm(officer, checked.text)
    assert moved.status_code == 422
    said = text_of(moved.text)
    assert "Het register is veranderd sinds de controle." in said
    assert "De tool 'woordwolk' staat al in het register (versie 1)" in said
    assert snapshot(registry) == before
    assert registry.get("tools", "woordwolk").name == "Van een collega"


def test_a_changed_plan_can_be_confirmed_again(officer, registry):
    checked = upload(officer, bundle(tools=[NEW_TOOL], assessments=[REJECTION]))
    registry.create("assessments", models.AssessmentIn(**REJECTION), "collega@school.example")
    moved = confirm(officer, checked.text)
    assert moved.status_code == 409
    said = text_of(moved.text)
    assert "Het register is veranderd sinds je het bestand controleerde. Er is niets " \
           "geïmporteerd." in said
    assert "Nieuw: 1 tool Gewijzigd: niets Ongewijzigd: 1 beoordeling" in said
    with pytest.raises(Exception):
        registry.get("tools", "woordwolk")
    done = confirm(officer, moved.text)
    assert "geïmporteerd. Aangemaakt: 1 tool." in text_of(done.text)


def test_an_upload_is_confirmed_once_and_only_by_whom_checked_it(officer, staff_client, registry,
                                                                 snapshot):
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
    colleague = staff_client(Role.publisher)
    before = snapshot(registry)
    theirs = confirm(colleague, colleague.get(PAGE).text, upload_id)
    assert theirs.status_code == 404
    assert "Deze import is al uitgevoerd of verlopen." in text_of(theirs.text)
    assert snapshot(registry) == before
    assert confirm(officer, checked.text).status_code == 200
    again = confirm(officer, checked.text)
    assert again.status_code == 404
    assert "Deze import is al uitgevoerd of verlopen." in text_of(again.text)


@pytest.mark.parametrize("upload_id", ["../../etc", "", "x" * 32 + "/..", "a" * 31])
def test_an_upload_id_is_never_a_path(officer, upload_id):
    answer = confirm(officer, officer.get(PAGE).text, upload_id)
    assert answer.status_code == 404


def test_a_file_changed_on_the_server_after_the_check_is_not_imported(
        officer, registry, backoffice_settings, snapshot):
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
    folder = imports.uploads_folder(backoffice_settings.db_path) / upload_id
    stored = folder / "bundel.json"
    stored.write_text(bundle(tools=[{**NEW_TOOL, "name": "Iets anders"}]))
    before = snapshot(registry)
    answer = confirm(officer, checked.text)
    assert answer.status_code == 409
    assert "Het bestand is na de controle veranderd." in text_of(answer.text)
    assert snapshot(registry) == before
    assert json.loads((folder / "upload.json").read_text())["sha256"] == hashlib.sha256(
        bundle(tools=[NEW_TOOL]).encode()).hexdigest()


def test_uploads_left_unconfirmed_are_removed_after_a_while(officer, backoffice_settings):
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
    folder = imports.uploads_folder(backoffice_settings.db_path) / upload_id
    assert folder.is_dir() and oct(folder.stat().st_mode & 0o777) == "0o700"
    old = time.time() - imports.KEEP_SECONDS - 60
    os.utime(folder, (old, old))
    upload(officer, bundle(tools=[NEW_TOOL]))
    assert not folder.exists()


def test_a_cancelled_import_removes_its_file_at_once_and_imports_nothing(
        officer, registry, backoffice_settings, snapshot):
    before = snapshot(registry)
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
    folder = imports.uploads_folder(backoffice_settings.db_path) / upload_id
    assert folder.is_dir()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', checked.text)[1]
    cancelled = officer.post(f"{PAGE}/annuleren", data={"_csrf_token": token,
                                                       "upload": upload_id},
                             follow_redirects=False)
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"{PAGE}?melding=geannuleerd"
    assert "De import is geannuleerd." in text_of(officer.get(cancelled.headers["location"]).text)
    assert not folder.exists()
    assert confirm(officer, checked.text).status_code == 404
    assert snapshot(registry) == before


def test_only_its_own_account_can_cancel_an_upload(officer, staff_client, backoffice_settings):
    checked = upload(officer, bundle(tools=[NEW_TOOL]))
    upload_id = re.search(r'name="upload" value="([^"]+)"', checked.text)[1]
    colleague = staff_client(Role.publisher)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', colleague.get(PAGE).text)[1]
    colleague.post(f"{PAGE}/annuleren", data={"_csrf_token": token, "upload": upload_id})
    assert (imports.uploads_folder(backoffice_settings.db_path) / upload_id).is_dir()
    assert confirm(officer, checked.text).status_code == 200


def test_a_refused_file_is_not_kept_for_a_confirmation(officer, backoffice_settings):
    refused = upload(officer, bundle(tools=[{**NEW_TOOL, "vendor_id": "nobody"}]))
    assert refused.status_code == 422
    assert 'name="upload"' not in refused.text
    folder = imports.uploads_folder(backoffice_settings.db_path)
    assert not folder.exists() or list(folder.iterdir()) == []


# --- limits and access -------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_in_dutch(officer, registry, snapshot):
    before = snapshot(registry)
    padding = " " * (MAX_IMPORT_BODY + 1 - len(bundle(tools=[NEW_TOOL])))
    answer = upload(officer, bundle(tools=[NEW_TOOL]) + padding)
    assert answer.status_code == 413
    assert "Het bestand is groter dan 20 MB." in text_of(answer.text)
    far_over = upload(officer, b" " * (MAX_IMPORT_BODY + 200 * 1024))
    assert far_over.status_code == 413
    assert "Het bestand is groter dan 20 MB." in text_of(far_over.text)
    assert snapshot(registry) == before


def test_no_file_chosen_is_said_in_dutch(officer):
    token = re.search(r'name="_csrf_token" value="([^"]+)"', officer.get(PAGE).text)[1]
    answer = officer.post(PAGE, data={"_csrf_token": token})
    assert answer.status_code == 400
    assert "Kies een bestand om te importeren." in text_of(answer.text)


# Litestar's CSRF middleware parses a multipart body into temporary files and, when it refuses
# the request, never closes them: `sessions.close_uploads` does (else Python warns, an error here).
def test_importing_needs_a_signed_in_officer_and_a_csrf_token(backoffice_client, officer,
                                                             registry, snapshot):
    assert backoffice_client.get(PAGE, follow_redirects=False).status_code == 303
    before = snapshot(registry)
    anonymous = backoffice_client.post(PAGE, files={"bestand": ("b.json", b"{}", "text/plain")})
    assert anonymous.status_code == 403
    forged = officer.post(PAGE, files={"bestand": ("b.json", bundle(tools=[NEW_TOOL]).encode(),
                                                   "application/json")})
    assert forged.status_code == 403
    assert snapshot(registry) == before


# --- the Dutch sentences themselves ------------------------------------------------------------


@pytest.mark.parametrize(("kind", "path", "english", "dutch"), [
    ("tools", "$.levels", "is required", "Dit veld ontbreekt, en het is verplicht."),
    ("tools", "$.name", "expected `str` of length <= 200",
     "Dit is te lang: gebruik hoogstens 200 tekens."),
    ("tools", "$.name", "must be at most 200 characters (it has 201)",
     "Dit is te lang: gebruik hoogstens 200 tekens."),
    ("assessments", "$.conditions[0]", "must be at least 3 characters",
     "Dit is te kort: gebruik minstens 3 tekens."),
    ("tools", "$.domains", "expected `array` of length <= 50",
     "Dit zijn er te veel: hoogstens 50."),
    ("tools", "$.domains", "must list at most 50 values (it has 51)",
     "Dit zijn er te veel: hoogstens 50."),
    ("tools", "$.minimum_age", "expected `int` >= 0", "Vul een getal in van minstens 0."),
    ("tools", "$.levels", "must list at least one value", "Noem er minstens één."),
    ("tools", "$.minimum_age", "expected `int`, got `str`",
     "Hier hoort een heel getal, maar er staat tekst."),
    ("agreements", "$.signed_on", "invalid RFC3339 encoded date",
     "Dit is geen datum. Schrijf jaar-maand-dag, bijvoorbeeld 2026-09-01 (in een CSV-bestand mag "
     "ook 01-09-2026)."),
    ("assessments", "$.status", "`residual_risk` is required when the status is `final`",
     "Vul dit in: dat is verplicht bij de status 'Definitief'."),
    ("tools", "$.domains", "`domains` lists the same value twice", "Dit staat er twee keer in."),
    ("agreements", "$.tool_ids[0]", "there is no tool with id 'x'", "Er is geen tool met id 'x'."),
    ("tools", "$.domains[0]", "'b' is one part too many (host | include_subdomains)",
     "'b' is een deel te veel; de delen zijn: host | include_subdomains."),
    (None, "$.tools[1]", "line 3 has 8 cells but the first line names 7 columns",
     "Regel 3 heeft 8 cellen, maar de eerste regel noemt 7 kolommen."),
    ("vendors", "$", "the vendor 'x' exists in the registry (version 3) and this file has no "
     "fingerprint to show which version its change is based on",
     "De leverancier 'x' staat al in het register (versie 3), en het bestand zegt niet van welke "
     "versie het uitgaat (er is geen fingerprint). Importeren zou het record in het register "
     "overschrijven."),
])
def test_english_problems_become_dutch_sentences(kind, path, english, dutch):
    assert dutch_problem(kind, path, english) == dutch


def test_a_problem_without_a_dutch_sentence_still_shows_what_is_wrong():
    assert dutch_problem("tools", "$.x", "something new") == f"{FALLBACK} (something new)."
    assert "(something odd)" in dutch_file_error("something odd", b"")
