"""Bulk import and export: bundles and CSV, the complete report, all or nothing, stale changes."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import inspect
import io
import json
import re
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from registry import bundles, csvio, exporter, importer, models
from registry.api import imports as imports_api
from registry.bundles import read_files, read_json
from registry.cli import main
from registry.db import Registry
from registry.errors import RegistryError
from registry.exporter import encode_bundle, export_bundle, export_csv
from registry.importer import import_source
from registry.store import records
from registry.store.kinds import KINDS

ROOT = Path(__file__).resolve().parent.parent
DEMO_PATH = ROOT / "data" / "demo.json"
DEMO_COUNTS = {"vendors": 12, "tools": 26, "boards": 3, "agreements": 16, "assessments": 29,
               "board_decisions": 3}
NOTHING = {kind: 0 for kind in DEMO_COUNTS}


def demo() -> dict:
    return json.loads(DEMO_PATH.read_text(encoding="utf-8"))


def run_import(registry: Registry, data: dict | bytes, name: str = "bundle.json", **options):
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return import_source(registry, read_json(raw, name), actor="test", **options)


def cli(*args: str, db: Path):
    return CliRunner().invoke(main, [*args, "--db", str(db)], catch_exceptions=False)


def index_of(records: list[dict], record_id: str) -> int:
    return next(i for i, r in enumerate(records) if r["id"] == record_id)


@pytest.fixture
def empty_registry(tmp_path) -> Registry:
    registry = Registry(tmp_path / "import.db")
    registry.migrate()
    yield registry
    registry.close()


@pytest.fixture
def demo_registry(empty_registry) -> Registry:
    importer.load_demo(empty_registry)
    return empty_registry



def test_an_import_writes_with_a_larger_page_cache_and_gives_it_back(empty_registry,
                                                                   monkeypatch):
    seen = []
    create_many = empty_registry.create_many

    def spy(*args, **kwargs):
        seen.append(empty_registry.conn.execute("PRAGMA cache_size").fetchone()[0])
        return create_many(*args, **kwargs)

    monkeypatch.setattr(empty_registry, "create_many", spy)
    (before,) = empty_registry.conn.execute("PRAGMA cache_size").fetchone()
    assert run_import(empty_registry, DEMO_PATH.read_bytes(), "demo.json").ok
    assert seen and set(seen) == {-importer.IMPORT_CACHE_KIB} != {before}
    assert empty_registry.conn.execute("PRAGMA cache_size").fetchone()[0] == before


def test_reading_every_record_gives_what_reading_them_one_by_one_gives(demo_registry):
    """`read_all`, the fast path of publishing, exports and checks, against `read` (rows as
    dicts, `from_row`), which every other read goes through."""
    registry = demo_registry
    registry.archive("tools", "maakplaats-podcast", "inkoop", None)
    registry.archive("vendors", "kaartenbak-educatief", "inkoop", None)
    # JSON null and SQL NULL in a JSON column both mean "not set": the default applies.
    for sql in ("UPDATE vendors SET certifications = 'null' WHERE id = 'sommenstad'",
                "UPDATE tools SET sub_processors = NULL WHERE id = 'schoolbel-app'"):
        assert registry.conn.execute(sql).rowcount == 1
    for kind in KINDS.values():
        for archived in (False, True):
            rows = list(registry.db[kind.table].rows_where(
                None if archived else "archived_at IS NULL", order_by="id"))
            expected = records.read(registry.store, kind, rows)
            assert records.read_all(registry.store, kind, archived) == expected, kind.name
            assert len(expected) > 0


# --- a bundle in, every error out --------------------------------------------------------------


def test_demo_bundle_imports_into_an_empty_registry(empty_registry):
    report = run_import(empty_registry, DEMO_PATH.read_bytes(), "demo.json")
    assert report.ok and report.created == DEMO_COUNTS
    assert report.summary() == (
        "demo.json: created 12 vendors, 26 tools, 3 boards, 16 agreements, 29 assessments, "
        "3 board decisions; updated 0; unchanged 0."
    )
    events = empty_registry.audit.events()
    assert len(events) == 89
    assert {(e.action, e.actor, e.source) for e in events} == {("create", "test", "demo.json")}


def many_errors() -> dict:
    bundle = demo()
    bundle["tools"][0]["minimum_age"] = "twelve"  # wrong type
    bundle["tools"][1]["category"] = "games"  # unknown enum value
    bundle["vendors"][1]["kvk_number"] = "1234-AB"  # bad KvK number
    bundle["tools"].append({"id": "nieuw-spel", "vendor_id": "onbekend", "name": "Nieuw spel",
                            "category": "practice", "levels": ["PO"]})  # unknown vendor
    bundle["vendors"].append(copy.deepcopy(bundle["vendors"][0]))  # duplicate id
    bundle["agreements"][0]["expires_on"] = "2020-01-01"  # before signed_on
    bundle["assessments"][0]["source_url"] = "privacytoets-demo.nl/rapport"  # not a URL
    bundle["agreements"][3]["tool_ids"].append("noorderlicht-taal")  # another vendor's tool
    del bundle["assessments"][2]["outcome"]  # required when final
    return bundle


MANY_ERRORS = [
    ("$.vendors[1].kvk_number", "sommenstad",
     "must be a KvK number of exactly 8 digits (for example '12345678')"),
    ("$.vendors[12].id", "uitgeverij-noorderlicht",
     "'uitgeverij-noorderlicht' is also the id of $.vendors[0]; an id may appear only once "
     "per kind"),
    ("$.tools[0].minimum_age", "noorderlicht-rekenen", "must be a whole number"),
    ("$.tools[1].category", "noorderlicht-taal",
     "'games' is not one of: ai_assistant, assessment, communication, content_creation, "
     "learning_material, other, practice, productivity, pupil_administration"),
    ("$.tools[26].vendor_id", "nieuw-spel",
     "there is no vendor with id 'onbekend' in this file or in the registry"),
    ("$.agreements[0].expires_on", "noorderlicht-2024",
     "`expires_on` must be after `signed_on` (2024-09-01)"),
    ("$.agreements[3].tool_ids[2]", "taaltuin-2021",
     "tool 'noorderlicht-taal' belongs to vendor 'uitgeverij-noorderlicht', not to "
     "'taaltuin-educatief'"),
    ("$.assessments[0].source_url", "noorderlicht-rekenen-dpia-2023",
     "must be an absolute http:// or https:// URL"),
    ("$.assessments[2].outcome", "noorderlicht-rekenen-dpia-2026",
     "`outcome` is required when the status is `final`"),
]


def test_every_error_is_reported_at_once_and_nothing_is_written(demo_registry, snapshot):
    before = snapshot(demo_registry)
    report = run_import(demo_registry, many_errors())
    assert not report.ok
    assert [(e.field, e.record_id, e.message) for e in report.errors] == MANY_ERRORS
    assert report.errors[0].pointer == "/vendors/1/kvk_number"
    assert (report.errors[0].kind, report.errors[0].index) == ("vendors", 1)
    assert report.conflicts == [] and report.changes == [] and report.created == NOTHING
    assert report.failure().detail == "bundle.json: 9 problems in 9 records; nothing was imported."
    assert report.failure().status == 422
    assert snapshot(demo_registry) == before


def test_a_valid_record_in_a_failing_file_is_not_written_either(empty_registry):
    bundle = demo()
    bundle["assessments"][-1]["kind"] = "gut_feeling"
    report = run_import(empty_registry, bundle)
    assert [e.field for e in report.errors] == ["$.assessments[28].kind"]
    assert empty_registry.all("vendors") == [] and empty_registry.audit.events() == []


def _set(kind: str, index: int, **values):
    def change(bundle: dict) -> None:
        bundle[kind][index].update(values)

    return change


def _replace(kind: str, index: int, value):
    def change(bundle: dict) -> None:
        bundle[kind][index] = value

    return change


def _top(**values):
    def change(bundle: dict) -> None:
        bundle.update(values)

    return change


BAD_BUNDLES = [
    ("unknown tool in an agreement",
     _set("agreements", 0, tool_ids=["noorderlicht-rekenen", "weg"]),
     "$.agreements[0].tool_ids[1]",
     "there is no tool with id 'weg' in this file or in the registry"),
    ("assessment of an unknown tool", _set("assessments", 3, tool_id="weg"),
     "$.assessments[3].tool_id", "there is no tool with id 'weg' in this file or in the registry"),
    ("agreement of an unknown vendor", _set("agreements", 1, vendor_id="weg"),
     "$.agreements[1].vendor_id",
     "there is no vendor with id 'weg' in this file or in the registry"),
    ("certification dates inverted",
     _set("vendors", 0, certifications=[{"name": "ISO 27001", "certified_on": "2024-04-15",
                                         "valid_until": "2023-01-01"}]),
     "$.vendors[0].certifications[0].valid_until",
     "`valid_until` must be after `certified_on` (2024-04-15)"),
    ("a host listed twice",
     _set("tools", 0, domains=[{"host": "a-demo.nl"}, {"host": "a-demo.nl"}]),
     "$.tools[0].domains", "`domains` lists the same value twice"),
    ("signed without a date", _set("agreements", 0, signed_on=None),
     "$.agreements[0].signed_on", "`signed_on` is required when the status is `signed`"),
    ("a date that does not exist", _set("assessments", 1, assessed_on="2025-02-29"),
     "$.assessments[1].assessed_on",
     "'2025-02-29' is not a date written as YYYY-MM-DD, for example '2026-02-01'"),
    ("a record that is not an object", _replace("assessments", 0, "noorderlicht-rekenen-dpia"),
     "$.assessments[0]", "must be an object"),
    ("a kind that is not a list", _top(vendors={"id": "x"}), "$.vendors", "must be a list"),
    ("an unknown top-level key", _top(leveranciers=[]), "$.leveranciers",
     "is not a known field; remove it or check its spelling"),
    ("a bad fingerprint key", _top(fingerprints={"tool/rekenrijk": "0123456789abcdef"}),
     "$.fingerprints", "'tool/rekenrijk' is not a valid key (kind and id of a record, as in the "
     "API path: 'tools/rekenrijk')"),
]


@pytest.mark.parametrize(("change", "field", "message"), [b[1:] for b in BAD_BUNDLES],
                         ids=[b[0] for b in BAD_BUNDLES])
def test_one_bad_thing_gives_one_error(empty_registry, change, field, message):
    bundle = demo()
    change(bundle)
    report = run_import(empty_registry, bundle)
    assert [(e.field, e.message) for e in report.errors] == [(field, message)]
    assert empty_registry.audit.events() == []


def test_references_to_records_in_the_registry_resolve(demo_registry):
    report = run_import(demo_registry, {"tools": [{
        "id": "nieuw-spel", "vendor_id": "sommenstad", "name": "Nieuw spel (demo)",
        "category": "practice", "levels": ["PO"]}]})
    assert report.ok and report.created == NOTHING | {"tools": 1}


def test_jsonschema_only_sees_the_records_msgspec_refuses(empty_registry, monkeypatch):
    seen = []

    def counting(name, instance, root="$"):
        seen.append(root)
        return []

    monkeypatch.setattr(bundles, "schema_errors", counting)
    assert run_import(empty_registry, demo()).ok
    assert seen == []  # a valid file never reaches the slow validator
    bundle = demo()
    bundle["tools"][4]["levels"] = ["MBO"]
    bundle["assessments"][7]["risk_counts"] = {"low": -1}
    run_import(empty_registry, bundle, dry_run=True)
    assert seen == ["$.tools[4]", "$.assessments[7]"]


# --- changes, twice, stale, dry run --------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing(empty_registry, snapshot):
    run_import(empty_registry, demo())
    before = snapshot(empty_registry)
    again = run_import(empty_registry, demo())
    assert again.ok and again.created == NOTHING and again.updated == NOTHING
    assert again.unchanged == DEMO_COUNTS and again.changes == []
    assert snapshot(empty_registry) == before  # no new versions, no audit events


def test_an_edited_export_updates_only_what_changed(demo_registry):
    bundle = msgspec.json.decode(encode_bundle(export_bundle(demo_registry)))
    i = index_of(bundle["tools"], "taaltuin-lezen")
    bundle["tools"][i]["description"] = "Leesoefeningen met ë en é."
    events = len(demo_registry.audit.events())
    report = run_import(demo_registry, bundle, "export.json")
    assert report.ok and report.updated == NOTHING | {"tools": 1}
    assert report.unchanged == DEMO_COUNTS | {"tools": 25}
    assert report.changes == [importer.Change(kind="tools", id="taaltuin-lezen", action="update",
                                              changed=["description"])]
    event = demo_registry.audit.events()[-1]
    assert len(demo_registry.audit.events()) == events + 1
    assert (event.action, event.record_id, event.changed, event.source) == (
        "update", "taaltuin-lezen", ["description"], "export.json")
    assert demo_registry.get("tools", "taaltuin-lezen").description == "Leesoefeningen met ë en é."


def test_a_change_made_since_the_export_is_not_overwritten_unless_forced(demo_registry,
                                                                         snapshot):
    bundle = msgspec.json.decode(encode_bundle(export_bundle(demo_registry)))
    i = index_of(bundle["tools"], "taaltuin-lezen")
    bundle["tools"][i]["description"] = "Mijn wijziging."
    # Someone else changes the same tool after the export:
    current = exporter.as_input(demo_registry.get("tools", "taaltuin-lezen"))
    theirs = msgspec.structs.replace(current, name="Taaltuin Lezen Plus (demo)")
    demo_registry.update("tools", "taaltuin-lezen", theirs, "collega", None)
    before = snapshot(demo_registry)

    refused = run_import(demo_registry, bundle, "export.json")
    assert refused.errors == [] and not refused.ok
    [conflict] = refused.conflicts
    assert (conflict.field, conflict.pointer, conflict.record_id) == (
        f"$.tools[{i}]", f"/tools/{i}", "taaltuin-lezen")
    assert re.fullmatch(
        r"the tool 'taaltuin-lezen' in the registry \(version 2, changed \d{4}-\d\d-\d\d "
        r"\d\d:\d\d UTC\) is not the one this file was exported from; importing would "
        r"overwrite that change", conflict.message)
    assert refused.failure().status == 409
    assert snapshot(demo_registry) == before

    forced = run_import(demo_registry, bundle, "export.json", force=True)
    assert forced.ok and forced.changes == [importer.Change(
        kind="tools", id="taaltuin-lezen", action="update", changed=["name", "description"],
        forced=True)]
    tool = demo_registry.get("tools", "taaltuin-lezen")
    assert (tool.version, tool.name, tool.description) == (3, "Taaltuin Lezen (demo)",
                                                           "Mijn wijziging.")


def test_a_file_without_fingerprints_may_create_but_not_overwrite(demo_registry):
    bundle = demo()  # a hand-made file: no fingerprints
    bundle["vendors"][0]["name"] = "Noorderlicht Educatief B.V. (demo)"
    refused = run_import(demo_registry, bundle)
    assert [c.message for c in refused.conflicts] == [
        "the vendor 'uitgeverij-noorderlicht' exists in the registry (version 1) and this file "
        "has no fingerprint to show which version its change is based on"
    ]
    assert run_import(demo_registry, bundle, force=True).updated == NOTHING | {"vendors": 1}


def test_an_archived_record_cannot_change_even_when_forced(demo_registry):
    demo_registry.archive("tools", "schoolbel-app", "collega", None)
    bundle = demo()
    i = index_of(bundle["tools"], "schoolbel-app")
    assert run_import(demo_registry, bundle).ok  # unchanged: nothing to refuse
    bundle["tools"][i]["name"] = "Schoolbel 2 (demo)"
    report = run_import(demo_registry, bundle, force=True)
    assert [(c.field, c.message) for c in report.conflicts] == [
        (f"$.tools[{i}]", "the tool 'schoolbel-app' is archived in the registry and can no "
                          "longer change")]


def test_dry_run_reports_what_would_change_and_writes_nothing(demo_registry, snapshot):
    bundle = demo()
    bundle["tools"].append({"id": "nieuw-spel", "vendor_id": "sommenstad",
                            "name": "Nieuw spel (demo)", "category": "practice", "levels": ["PO"]})
    before = snapshot(demo_registry)
    report = run_import(demo_registry, bundle, dry_run=True)
    assert report.ok and report.dry_run
    assert report.changes == [importer.Change(kind="tools", id="nieuw-spel", action="create")]
    assert report.summary() == (
        "bundle.json: would create 1 tool; would update 0; unchanged 12 vendors, 26 tools, "
        "3 boards, 16 agreements, 29 assessments, 3 board decisions."
    )
    assert snapshot(demo_registry) == before


def test_lookups_in_batches_find_every_record(empty_registry):
    # More records than one lookup query takes (500), agreements with their tool lists.
    n = 600
    bundle = {
        "vendors": [{"id": f"v{i}", "name": f"V{i}", "country": "NL"} for i in range(n)],
        "tools": [{"id": f"t{i}", "vendor_id": f"v{i}", "name": f"T{i}", "category": "other",
                   "levels": ["PO"]} for i in range(n)],
        "agreements": [{"id": f"a{i}", "vendor_id": f"v{i}", "tool_ids": [f"t{i}"],
                        "model_version": "model_4", "status": "offered"} for i in range(n)],
    }
    assert run_import(empty_registry, bundle).created == NOTHING | {"vendors": n, "tools": n,
                                                                    "agreements": n}
    again = run_import(empty_registry, bundle)
    assert again.unchanged == NOTHING | {"vendors": n, "tools": n, "agreements": n}
    assert empty_registry.records_by_id("agreements", ["a599", "a0", "nope"]) == {
        "a0": empty_registry.get("agreements", "a0"),
        "a599": empty_registry.get("agreements", "a599"),
    }


def test_progress_is_reported_while_writing(empty_registry):
    calls = []
    run_import(empty_registry, demo(), progress=lambda *args: calls.append(args))
    assert calls == [("Importing", 89, 89)]  # every 100 records, and at the end


# --- export ---------------------------------------------------------------------------------------


def test_export_import_export_is_byte_identical(demo_registry, tmp_path):
    # Versions differ between the two registries; the file must not show it.
    tool = exporter.as_input(demo_registry.get("tools", "maakplaats-quiz"))
    demo_registry.update("tools", tool.id, msgspec.structs.replace(tool, minimum_age=9), "t", None)
    demo_registry.archive("assessments", "schoolplein-ouders-quickscan-2026", "t", None)
    first = encode_bundle(export_bundle(demo_registry))
    fresh = Registry(tmp_path / "fresh.db")
    fresh.migrate()
    report = run_import(fresh, first, "export.json")
    assert report.created == DEMO_COUNTS | {"assessments": 28}
    assert encode_bundle(export_bundle(fresh)) == first
    fresh.close()
    assert first.startswith(b'{\n  "$schema": "https://schemas.witte-lijst.nl/bundle.schema.json",'
                            b'\n  "vendors": [\n    {\n      "id": "bordwerk",\n')
    exported = json.loads(first)
    assert exported["fingerprints"]["tools/maakplaats-quiz"] == exporter.fingerprint(
        msgspec.structs.replace(tool, minimum_age=9))
    schema = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(exported)) == []


def test_csv_export_import_export_is_byte_identical(demo_registry, tmp_path):
    first = export_csv(demo_registry, tmp_path / "a")
    fresh = Registry(tmp_path / "fresh.db")
    fresh.migrate()
    report = import_source(fresh, read_files([tmp_path / "a"]), actor="test")
    assert report.created == DEMO_COUNTS
    second = export_csv(fresh, tmp_path / "b")
    fresh.close()
    assert [p.name for p in first] == ["vendors.csv", "tools.csv", "boards.csv",
                                       "agreements.csv", "assessments.csv",
                                       "board_decisions.csv"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


# --- CSV as a spreadsheet writes it ------------------------------------------------------------


def write_csv(path: Path, rows: list[list[str]], delimiter: str, encoding: str) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


VENDOR_ROWS = [
    ["id", "name", "country", "kvk_number", "covenant_status", "covenant_since",
     "privacy_contact.email", ""],
    ["oefenhuis", "Oefenhuis B.V.", "NL", "12345678", "participant", "1-9-2020",
     "privacy@oefenhuis.nl", ""],
]
TOOL_ROWS = [
    ["id", "vendor_id", "name", "category", "levels", "free_of_charge", "minimum_age", "domains",
     "data_categories", "pseudonymisation.status", "pseudonymisation.uses_eck_id"],
    ["oefenen", "oefenhuis", "Oefenen met ë en é", "practice", "PO; VO", "WAAR", "6",
     "oefenen.nl | include_subdomains; login.oefenhuis.nl", "Naam | special; BSN | bsn",
     "compliant", "TRUE"],
    [""] * 11,  # spreadsheets leave empty rows behind
]


@pytest.mark.parametrize(("delimiter", "encoding"), [
    (";", "utf-8-sig"), (",", "utf-8-sig"), ("\t", "utf-8"), (";", "cp1252"),
])
def test_a_spreadsheet_csv_imports(empty_registry, tmp_path, delimiter, encoding):
    files = [write_csv(tmp_path / "leveranciers.csv", VENDOR_ROWS, delimiter, encoding),
             write_csv(tmp_path / "tools.csv", TOOL_ROWS, delimiter, encoding)]
    report = import_source(empty_registry, read_files(files), actor="test")
    assert report.ok, report.errors
    assert report.summary() == ("leveranciers.csv, tools.csv: created 1 vendor, 1 tool; "
                                "updated 0; unchanged 0.")
    vendor = empty_registry.get("vendors", "oefenhuis")
    assert vendor.covenant_since == dt.date(2020, 9, 1)
    assert vendor.privacy_contact == models.PrivacyContact(email="privacy@oefenhuis.nl")
    tool = empty_registry.get("tools", "oefenen")
    assert tool.name == "Oefenen met ë en é"
    assert tool.levels == [models.Level.PO, models.Level.VO]
    assert (tool.free_of_charge, tool.minimum_age) == (True, 6)
    assert tool.domains == [models.ToolDomain(host="oefenen.nl", include_subdomains=True),
                            models.ToolDomain(host="login.oefenhuis.nl")]
    assert tool.data_categories == [models.DataCategory(name="Naam", special=True),
                                    models.DataCategory(name="BSN", bsn=True)]
    assert tool.pseudonymisation == models.Pseudonymisation(status="compliant", uses_eck_id=True)
    assert {e.source for e in empty_registry.audit.events()} == {"leveranciers.csv, tools.csv"}


def test_csv_errors_name_the_file_and_line(empty_registry, tmp_path):
    rows = [["id", "vendor_id", "name", "category", "levels", "description", "domains"],
            ["a", "sommenstad", "A", "practice", "PO", "Regel 1\nRegel 2", "a-demo.nl"],
            ["b", "sommenstad", "B", "spelletjes", "PO", "", "B-demo.nl | nooit"]]
    path = write_csv(tmp_path / "tools.csv", rows, ";", "utf-8-sig")
    report = import_source(empty_registry, read_files([path]), actor="test")
    assert [(e.field, e.location, e.line, e.record_id, e.message) for e in report.errors] == [
        ("$.tools[0].vendor_id", "tools.csv", 2, "a",
         "there is no vendor with id 'sommenstad' in this file or in the registry"),
        ("$.tools[1].domains[0]", "tools.csv", 4, "b",
         "'nooit' is one part too many (host | include_subdomains)"),
        ("$.tools[1].domains[0].host", "tools.csv", 4, "b",
         "must be a host name in lower case such as 'app.example.nl' (internationalised names "
         "in punycode, no scheme, port or path)"),
        ("$.tools[1].category", "tools.csv", 4, "b",
         "'spelletjes' is not one of: ai_assistant, assessment, communication, content_creation, "
         "learning_material, other, practice, productivity, pupil_administration"),
        ("$.tools[1].vendor_id", "tools.csv", 4, "b",
         "there is no vendor with id 'sommenstad' in this file or in the registry"),
    ]


@pytest.mark.parametrize(("name", "header", "kind", "expected"), [
    ("export-2026.csv", ["id", "tool_id", "kind", "assessor"], None, "assessments"),
    ("overeenkomsten.csv", ["id"], None, "agreements"),
    ("lijst.csv", ["id", "name"], None, None),
    ("lijst.csv", ["id", "name"], "vendors", "vendors"),
])
def test_the_kind_of_a_csv_file(name, header, kind, expected):
    raw = (";".join(header) + "\r\n").encode()
    if expected is None:
        with pytest.raises(RegistryError, match="Cannot tell which kind of record lijst.csv holds"):
            csvio.read_csv(raw, name, kind)
    else:
        assert csvio.read_csv(raw, name, kind).kind == expected


def test_csv_keeps_separators_and_formulas_as_text(demo_registry, tmp_path):
    assessment = models.AssessmentIn(
        id="formule", tool_id="sommenstad-oefenen", kind="security", assessor="=SUM(A1:A9)",
        assessed_on=dt.date(2026, 3, 1), status="final", outcome="approved_with_conditions",
        residual_risk="low", conditions=["Alleen op school; nooit thuis", "Kies A | B", "Pad C:\\"])
    demo_registry.create("assessments", assessment, "test")
    assessments_csv = next(p for p in export_csv(demo_registry, tmp_path / "out")
                           if p.name == "assessments.csv")
    text = assessments_csv.read_text(encoding="utf-8-sig")
    assert "'=SUM(A1:A9)" in text
    assert "Alleen op school\\; nooit thuis; Kies A \\| B; Pad C:\\\\" in text
    fresh = Registry(tmp_path / "fresh.db")
    fresh.migrate()
    import_source(fresh, read_files([tmp_path / "out"]), actor="test")
    assert exporter.as_input(fresh.get("assessments", "formule")) == assessment
    fresh.close()


def test_an_edited_csv_export_updates_without_force(demo_registry, tmp_path):
    tools_csv = export_csv(demo_registry, tmp_path / "out")[1]
    rows = list(csv.reader(io.StringIO(tools_csv.read_text(encoding="utf-8-sig")), delimiter=";"))
    row = next(r for r in rows if r[0] == "taaltuin-lezen")
    row[rows[0].index("description")] = "Bewerkt in een rekenblad: ë, é."
    write_csv(tools_csv, rows, ";", "utf-8-sig")
    report = import_source(demo_registry, read_files([tools_csv]), actor="test")
    assert report.ok and report.updated == NOTHING | {"tools": 1}
    assert demo_registry.get("tools", "taaltuin-lezen").description == (
        "Bewerkt in een rekenblad: ë, é.")


WEIRD = [None, 1.5, True, [], ["a"], [{"a": 1}], {}, "", "UPPER"]


@pytest.mark.parametrize("value", WEIRD, ids=repr)
@pytest.mark.parametrize(("kind", "name"), [
    ("vendors", "id"), ("tools", "vendor_id"), ("tools", "domains"), ("agreements", "tool_ids"),
    ("assessments", "tool_id"), ("assessments", "risk_counts"),
])
def test_any_malformed_value_gives_a_report_not_a_crash(demo_registry, kind, name, value):
    bundle = demo()
    bundle[kind][0][name] = value
    bundle[kind].append(bundle[kind][0])  # and its duplicate
    report = run_import(demo_registry, bundle, dry_run=True)
    assert not report.ok and report.errors


# --- the command line ---------------------------------------------------------------------------


def test_cli_import_and_export(tmp_path):
    db = tmp_path / "cli.db"
    dry = cli("import", str(DEMO_PATH), "--dry-run", db=db)
    assert dry.exit_code == 0
    assert "  would create tools/maakplaats-quiz\n" in dry.output
    assert dry.output.endswith("demo.json: would create 12 vendors, 26 tools, 3 boards, "
                               "16 agreements, 29 assessments, 3 board decisions; "
                               "would update 0; unchanged 0.\n")
    done = cli("import", str(DEMO_PATH), db=db)
    assert done.exit_code == 0
    assert done.output == ("demo.json: created 12 vendors, 26 tools, 3 boards, 16 agreements, "
                           "29 assessments, 3 board decisions; updated 0; unchanged 0.\n")
    exported = cli("export", str(tmp_path / "out.json"), db=db)
    assert exported.output == (f"Exported 12 vendors, 26 tools, 3 boards, 16 agreements, 29 "
                               f"assessments, 3 board decisions to {tmp_path / 'out.json'}.\n")
    to_stdout = cli("export", "-", db=db)
    assert to_stdout.stdout_bytes == (tmp_path / "out.json").read_bytes()
    assert cli("export", str(tmp_path / "csv"), "--format", "csv", db=db).exit_code == 0
    again = cli("import", str(tmp_path / "csv"), db=db)
    assert again.output == ("agreements.csv, assessments.csv, board_decisions.csv, boards.csv, "
                            "tools.csv, vendors.csv: created 0; updated 0; unchanged 12 "
                            "vendors, 26 tools, 3 boards, 16 agreements, 29 assessments, "
                            "3 board decisions.\n")


def test_cli_prints_every_problem_and_exits_1(tmp_path):
    db = tmp_path / "cli.db"
    path = tmp_path / "fouten.json"
    path.write_text(json.dumps(many_errors()), encoding="utf-8")
    result = cli("import", str(path), db=db)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Error: fouten.json: 9 problems in 9 records; nothing was imported."
    assert lines[1:5] == [
        "  vendors[1] 'sommenstad'",
        "    kvk_number: must be a KvK number of exactly 8 digits (for example '12345678')",
        "  vendors[12] 'uitgeverij-noorderlicht'",
        "    id: 'uitgeverij-noorderlicht' is also the id of $.vendors[0]; an id may appear "
        "only once per kind",
    ]
    assert ("    tool_ids[2]: tool 'noorderlicht-taal' belongs to vendor "
            "'uitgeverij-noorderlicht', not to 'taaltuin-educatief'") in lines
    as_json = cli("import", str(path), "--json", db=db)
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert [(e["field"], e["pointer"]) for e in report["errors"]][:1] == [
        ("$.vendors[1].kvk_number", "/vendors/1/kvk_number")]


def test_cli_shows_conflicts_apart(tmp_path):
    db = tmp_path / "cli.db"
    cli("import", str(DEMO_PATH), db=db)
    bundle = demo()
    bundle["vendors"][0]["name"] = "Anders (demo)"
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    result = cli("import", str(path), db=db)
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "Error: hand.json: 1 problem in 1 record; nothing was imported. Export again and redo "
        "your changes, or force the import.",
        "The registry changed since the file was exported (--force overwrites):",
        "  vendors[0] 'uitgeverij-noorderlicht'",
    ]
    assert cli("import", str(path), "--force", db=db).output == (
        "hand.json: created 0; updated 1 vendor; unchanged 11 vendors, 26 tools, 3 boards, "
        "16 agreements, 29 assessments, 3 board decisions.\n")


def test_cli_says_when_a_file_cannot_be_read(tmp_path):
    path = tmp_path / "stuk.json"
    path.write_text('{"vendors": [', encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 1
    assert result.output == ("Error: stuk.json is not valid JSON (Input data was truncated); "
                             "check quotes, commas and brackets.\n")


@pytest.mark.parametrize(("files", "options", "name"), [
    ({"leeg.json": "{}"}, [], "leeg.json"),
    ({"leeg.json": '{"vendors": [], "tools": [], "fingerprints": {}}'}, ["--dry-run"],
     "leeg.json"),
    ({"map/tools.csv": "id;vendor_id;name\r\n", "map/leeg.json": "{}"}, ["--json"],
     "leeg.json, tools.csv"),
])
def test_cli_says_when_a_file_holds_no_records(tmp_path, files, options, name):
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    target = tmp_path / ("map" if "/" in next(iter(files)) else next(iter(files)))
    result = CliRunner().invoke(main, ["import", str(target), *options,
                                       "--db", str(tmp_path / "c.db")])
    assert (result.exit_code, result.output) == (1, (
        f"Error: {name} holds no records (vendors, tools, boards, agreements, assessments, board decisions); nothing "
        "was imported.\n"))
    registry = Registry(tmp_path / "c.db")
    assert registry.audit.events() == [] and registry.is_empty()
    registry.close()


# --- POST /api/imports -------------------------------------------------------------------------


def test_api_import_needs_a_procurement_token(client):
    response = client.post("/api/imports", content=DEMO_PATH.read_bytes())
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_api_import_reports_every_error_as_422(client, auth, registry, snapshot):
    before = snapshot(registry)
    response = client.post("/api/imports", json=many_errors(), headers=auth)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["detail"] == "POST /api/imports: 9 problems in 9 records; nothing was imported."
    assert [(e["field"], e["record_id"], e["message"]) for e in body["errors"]] == MANY_ERRORS
    assert body["errors"][6]["pointer"] == "/agreements/3/tool_ids/2"
    assert snapshot(registry) == before


def test_api_import_creates_then_leaves_alone(client, auth, registry):
    dry = client.post("/api/imports?dry_run=true", content=DEMO_PATH.read_bytes(), headers=auth)
    assert dry.status_code == 200 and dry.json()["created"] == DEMO_COUNTS
    assert registry.all("vendors") == []
    done = client.post("/api/imports?source=demo.json", content=DEMO_PATH.read_bytes(),
                       headers=auth)
    assert done.status_code == 200
    assert (done.json()["created"], done.json()["ok"]) == (DEMO_COUNTS, True)
    assert {(e.actor, e.source) for e in registry.audit.events()} == {
        ("inkoop", "POST /api/imports (demo.json)")}
    again = client.post("/api/imports", content=DEMO_PATH.read_bytes(), headers=auth)
    assert again.json()["unchanged"] == DEMO_COUNTS and len(registry.audit.events()) == 89


def test_api_import_refuses_stale_changes_with_409_unless_forced(client, auth, registry):
    client.post("/api/imports", content=DEMO_PATH.read_bytes(), headers=auth)
    bundle = demo()
    bundle["vendors"][2]["website"] = "https://www.taaltuin-demo.nl/nieuw"
    stale = client.post("/api/imports", json=bundle, headers=auth)
    assert stale.status_code == 409
    assert [e["field"] for e in stale.json()["errors"]] == ["$.vendors[2]"]
    forced = client.post("/api/imports?force=true", json=bundle, headers=auth)
    assert forced.status_code == 200
    assert forced.json()["changes"] == [{"kind": "vendors", "id": "taaltuin-educatief",
                                         "action": "update", "changed": ["website"],
                                         "forced": True}]


@pytest.mark.parametrize(("body", "status", "detail"), [
    (b"{", 400, "The body is not valid JSON (Input data was truncated); check quotes, commas "
                "and brackets."),
    (b'{"tools": [' + b" " * (21 * 1024 * 1024) + b"]}", 413,
     "The request body is larger than this endpoint accepts; send less at once."),
])
def test_api_import_refuses_unreadable_bodies(client, auth, body, status, detail):
    response = client.post("/api/imports", content=body, headers=auth)
    assert (response.status_code, response.json()["detail"]) == (status, detail)


def test_api_import_takes_bodies_larger_than_the_default_limit(client, auth):
    bundle = demo()
    bundle["description"] = "x" * (2 * 1024 * 1024)  # the app's default limit is 1 MiB
    assert client.post("/api/imports", json=bundle, headers=auth).status_code == 200


def test_api_import_is_documented_and_async(client):
    spec = client.get("/api/docs/openapi.json").json()
    op = spec["paths"]["/api/imports"]["post"]
    assert set(op["responses"]) == {"200", "400", "401", "403", "409", "413", "422", "507"}
    for status in ("400", "401", "403", "409", "413", "422", "507"):
        assert list(op["responses"][status]["content"]) == ["application/problem+json"]
    assert list(op["requestBody"]["content"]) == ["application/json"]
    assert {p["name"] for p in op["parameters"]} == {"dry_run", "force", "source"}
    for handler in imports_api.HANDLERS:
        assert inspect.iscoroutinefunction(handler.fn)
        assert all(inspect.iscoroutinefunction(g) for g in handler.guards or [])
