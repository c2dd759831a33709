"""The published whitelist: public columns only, the demo verdicts, changes, atomic replace."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from registry import models
from registry.api.dependencies import DEPENDENCIES
from registry.api.problems import EXCEPTION_HANDLERS
from registry.api.publications import HANDLERS
from registry.app import Settings
from registry.cli import main
from registry.cli_shared import actor as registry_actor
from registry.db import Registry
from registry.errors import Conflict, StorageFull
from registry.bundles import read_json
from registry.importer import import_source
from registry.publish import (builder, content_sha256, default_whitelist_path, incremental,
                              kept, publish, record, sqlfile)
from registry.whitelist.app import DEPENDENCIES as READ_DEPENDENCIES

TODAY = dt.date(2026, 11, 28)

# data/README.md, "Intended verdicts"
DEMO_VERDICTS = {
    "noorderlicht-rekenen": "allowed", "noorderlicht-taal": "allowed",
    "sommenstad-oefenen": "allowed", "taaltuin-spelling": "allowed",
    "schoolplein-las": "allowed", "bordwerk-whiteboard": "allowed",
    "maakplaats-studio": "allowed", "maakplaats-klassenklok": "allowed",
    "taaltuin-lezen": "allowed_with_conditions", "toetsmeester-toetsen": "allowed_with_conditions",
    "lernfabrik-wiskunde": "allowed_with_conditions", "denkvonk-assistent": "allowed_with_conditions",
    "maakplaats-quiz": "allowed_with_conditions",
    "denkvonk-huiswerkhulp": "not_allowed", "lernfabrik-toezicht": "not_allowed",
    "brightboard-classroom": "not_allowed", "lernfabrik-woordjes": "not_allowed",
    "toetsmeester-examentrainer": "not_allowed", "kaartenbak-topografie": "not_allowed",
    "bordwerk-klassenbord": "not_allowed", "schoolbel-app": "not_allowed",
    "sommenstad-tafels": "not_allowed",
    "noorderlicht-wereld": "under_review", "schoolplein-ouders": "under_review",
    "lernfabrik-scheikunde": "not_assessed", "maakplaats-podcast": "not_assessed",
}
PUBLIC_COLUMNS = {
    "tools": [
        "id", "name", "vendor_id", "vendor_name", "description", "category", "category_label",
        "levels", "level_codes", "audience", "verdict", "verdict_label", "conditions",
        "reasons", "verdict_changes_on", "next_verdict", "next_verdict_label",
        "next_conditions", "next_reasons", "policy_version", "agreement_model",
        "agreement_model_label", "agreement_status", "agreement_status_label",
        "agreement_expires_on", "agreement_signed_on", "privacybijsluiter_url",
        "privacybijsluiter_version", "pseudonymisation", "pseudonymisation_label",
        "assessment_id", "assessment_kind", "assessment_assessor", "assessment_date",
        "assessment_outcome", "assessment_residual_risk", "assessment_valid_until",
        "assessment_source_url", "data_locations", "sub_processors", "retention",
        "free_of_charge", "minimum_age", "website", "domains", "alternatives", "name_key",
        "search",
    ],
    "vendors": ["id", "name", "country", "website", "kvk_number", "covenant_status",
                "covenant_label", "covenant_since", "certifications"],
    "domains": ["host", "tool_id", "include_subdomains", "registrable_domain"],
    "assessments": ["id", "tool_id", "kind", "assessor", "assessed_on", "valid_until",
                    "outcome", "residual_risk", "conditions", "public_summary", "source_url"],
    "changes": ["tool_id", "name", "change", "change_label", "before", "before_label", "after",
                "after_label", "reason"],
    "changelog": ["publication_version", "published_at", "tool_id", "name", "change",
                  "change_label", "before", "before_label", "after", "after_label", "reason",
                  "levels"],
    "publication": ["version", "published_at", "evaluated_on", "policy_version",
                    "previous_version", "counts", "changes", "sha256", "restores_version"],
    "name_words": ["word", "tool_id"],
    "boards": ["id", "name", "school_types", "schools", "website"],
    "board_verdicts": [
        "board_id", "tool_id", "board_name", "tool_name", "decision", "decision_label", "text",
        "reason", "decided_on", "decided_by", "ends_on", "own_approval_refused", "verdict",
        "verdict_label", "conditions", "reasons", "verdict_changes_on", "next_verdict",
        "next_verdict_label", "next_conditions", "next_reasons", "next_decision",
        "next_decision_label", "next_text",
    ],
    "board_changelog": ["publication_version", "published_at", "board_id", "tool_id",
                        "board_name", "tool_name", "change", "change_label", "decision",
                        "decision_label", "before", "before_label", "after", "after_label",
                        "reason", "levels"],
}
FTS_TABLES = ["tools_fts", "tools_fts_config", "tools_fts_data", "tools_fts_docsize",
              "tools_fts_idx"]


@pytest.fixture
def registry(demo_registry: Registry) -> Registry:
    return demo_registry  # not conftest's `registry`, the API client's


def query(path: Path, sql: str, params=()) -> list[dict]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def tools(path: Path) -> dict[str, dict]:
    return {row["id"]: row for row in query(path, "SELECT * FROM tools")}


def edit_tool(registry: Registry, tool_id: str, **changes) -> None:
    tool = registry.get("tools", tool_id)
    fields = {f: getattr(tool, f) for f in models.ToolIn.__struct_fields__}
    registry.update("tools", tool_id, models.ToolIn(**fields | changes), "inkoop", None)


# --- what is published ------------------------------------------------------------------


def test_tables_and_columns_are_exactly_the_public_ones(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    names = [r["name"] for r in query(whitelist, "SELECT name FROM sqlite_master "
                                                 "WHERE type = 'table' ORDER BY name")]
    assert names == sorted([*PUBLIC_COLUMNS, *FTS_TABLES])
    for table, columns in PUBLIC_COLUMNS.items():
        assert [r["name"] for r in query(whitelist, f"PRAGMA table_info([{table}])")] == columns
    assert query(whitelist, "PRAGMA journal_mode") == [{"journal_mode": "delete"}]
    assert query(whitelist, "PRAGMA user_version") == [{"user_version": 6}]


def test_verdicts_are_those_of_the_demo_readme(registry, whitelist):
    publication = publish(registry, whitelist, TODAY, "sector")
    published = tools(whitelist)
    assert {i: t["verdict"] for i, t in published.items()} == DEMO_VERDICTS
    assert publication.counts == {
        "tools": 26, "vendors": 12, "domains": 34, "assessments": 26, "allowed": 8,
        "allowed_with_conditions": 5, "under_review": 2, "not_assessed": 2, "not_allowed": 9,
    }

    assistant = published["denkvonk-assistent"]
    assert assistant["verdict_label"] == "Toegestaan onder voorwaarden"
    assert json.loads(assistant["conditions"]) == [
        "Alleen gebruiken met een schoolaccount.",
        "Voer geen bijzondere persoonsgegevens in.",
        "Zet de chatgeschiedenis uit.",
    ]
    assert assistant["category_label"] == "AI-assistent"
    assert assistant["levels"] == "VO" and assistant["level_codes"] == '["VO"]'
    assert assistant["data_locations"] == "Nederland, Zweden"

    rekenen = published["noorderlicht-rekenen"]
    assert {k: rekenen[k] for k in rekenen if k.startswith(("assessment_", "agreement_"))} == {
        "agreement_model": "model_4",
        "agreement_model_label": "Model Verwerkersovereenkomst 4.0",
        "agreement_status": "signed",
        "agreement_status_label": "Getekend",
        "agreement_expires_on": "2029-08-31",
        "agreement_signed_on": "2024-09-01",
        "assessment_id": "noorderlicht-rekenen-dpia-2026",
        "assessment_kind": "DPIA",
        "assessment_assessor": "Kennisnet Demo",
        "assessment_date": "2026-02-10",
        "assessment_outcome": "Goedgekeurd",
        "assessment_residual_risk": "laag",
        "assessment_valid_until": "2028-02-09",
        "assessment_source_url":
            "https://privacytoets-demo.nl/rapporten/noorderlicht-rekenen-dpia-2026",
    }
    assert rekenen["levels"] == "PO" and rekenen["audience"] == "leerlingen, leraren"
    assert {k: rekenen[k] for k in ("privacybijsluiter_url", "privacybijsluiter_version",
                                    "sub_processors", "retention")} == PUBLISHED_EXTRAS
    assert rekenen["domains"] == "rekenen.noorderlicht-demo.nl, login.noorderlicht-demo.nl"
    assert rekenen["name_key"] == "noorderlicht rekenen demo"
    assert json.loads(rekenen["reasons"])[1] == {
        "rule": "pseudonymisation", "passed": True,
        "text": "De tool voldoet aan de Wet pseudonimisering leerlinggegevens.",
    }

    # "From 2027-01-16 the verdict becomes not_allowed": the agreement's last day is 01-15.
    assert published["sommenstad-oefenen"]["verdict_changes_on"] == "2027-01-16"
    assert published["toetsmeester-examentrainer"]["agreement_status_label"] == "Verlopen"
    assert published["bordwerk-whiteboard"]["agreement_status"] == "not_needed"
    assert published["lernfabrik-woordjes"]["agreement_status_label"] == "Aangeboden"
    assert published["sommenstad-tafels"]["pseudonymisation_label"] == "Voldoet niet"
    assert published["schoolplein-ouders"]["assessment_id"] is None  # only a draft


def test_only_final_assessments_are_published(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    rows = query(whitelist, "SELECT id, outcome FROM assessments WHERE tool_id = ?",
                 ["toetsmeester-toetsen"])
    # Its later quickscan (rejected, high) is withdrawn; the draft of schoolplein-ouders too.
    assert rows == [{"id": "toetsmeester-toetsen-dpia-2025", "outcome": "approved_with_conditions"}]
    assert query(whitelist, "SELECT count(*) AS n FROM assessments WHERE tool_id = ?",
                 ["schoolplein-ouders"]) == [{"n": 0}]


def test_alternatives_share_category_and_a_level(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    published = tools(whitelist)
    # practice for PO: allowed first, then allowed with conditions; itself never
    assert json.loads(published["kaartenbak-topografie"]["alternatives"]) == [
        {"id": "sommenstad-oefenen", "name": "Sommenstad Oefenen (demo)"},
        {"id": "taaltuin-spelling", "name": "Taaltuin Spelling (demo)"},
        {"id": "maakplaats-quiz", "name": "Maakplaats Quiz (demo)"},
    ]
    assert json.loads(published["noorderlicht-wereld"]["alternatives"]) == [
        {"id": "noorderlicht-rekenen", "name": "Noorderlicht Rekenen (demo)"},
        {"id": "taaltuin-lezen", "name": "Taaltuin Lezen (demo)"},
    ]
    # the only other AI assistant is for VO, this one for PO
    assert published["denkvonk-huiswerkhulp"]["alternatives"] == "[]"
    assert published["noorderlicht-rekenen"]["alternatives"] is None  # allowed itself


def test_domains_carry_their_registrable_domain(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    assert query(whitelist, "SELECT * FROM domains WHERE tool_id = 'schoolplein-las'") == [
        {"host": "schoolplein-demo.nl", "tool_id": "schoolplein-las", "include_subdomains": 1,
         "registrable_domain": "schoolplein-demo.nl"}
    ]
    plan = query(whitelist, "EXPLAIN QUERY PLAN SELECT * FROM domains WHERE host = 'x'")
    assert "USING INDEX" in plan[0]["detail"]
    plan = query(whitelist, "EXPLAIN QUERY PLAN SELECT * FROM domains "
                            "WHERE registrable_domain = 'x'")
    assert "idx_domains_registrable_domain" in plan[0]["detail"]


# --- the publication and its hash --------------------------------------------------------


def test_publication_is_recorded_in_the_file_and_the_registry(registry, whitelist):
    publication = publish(registry, whitelist, TODAY, "sector")
    row = query(whitelist, "SELECT * FROM publication")[0]
    assert row | {"published_at": None} == {
        "version": 1, "published_at": None, "evaluated_on": "2026-11-28",
        "policy_version": "2026.1", "previous_version": None,
        "counts": json.dumps(publication.counts), "sha256": publication.sha256,
        "changes": '{"since_version": null, "added": 26, "removed": 0, "verdict_changed": 0}',
        "restores_version": None,
    }
    assert row["published_at"] == msgspec.to_builtins(publication.published_at)
    recorded = registry.publications.all()
    assert [(p["version"], p["sha256"], p["actor"]) for p in recorded] == [
        (1, publication.sha256, "sector")
    ]
    event = registry.audit.events("kind = 'publication'")[-1]
    assert (event.action, event.record_id, event.actor) == ("create", "1", "sector")
    assert event.after["sha256"] == publication.sha256


def test_sha256_follows_its_documented_definition(registry, whitelist):
    publication = publish(registry, whitelist, TODAY, "sector")
    # Recomputed from the docstring of `content_sha256`, not with it.
    # The board tables count because the demo has boards (a file without them: left out).
    order = {"assessments": "id", "board_verdicts": "board_id, tool_id", "boards": "id",
             "changes": "tool_id", "domains": "host, tool_id", "tools": "id", "vendors": "id"}
    document = []
    with closing(sqlite3.connect(whitelist)) as conn:
        for table, by in order.items():
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {by}")
            document.append([table, [c[0] for c in cursor.description],
                             [list(r) for r in cursor]])
        assert content_sha256(conn) == publication.sha256
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(text.encode()).hexdigest() == publication.sha256


def test_same_content_gives_the_same_sha256(registry, whitelist):
    first = publish(registry, whitelist, TODAY, "sector")
    second = publish(registry, whitelist, TODAY, "sector")
    # `changes` differs (26 added, then none), so the hashes differ; a third equals the second.
    third = publish(registry, whitelist, TODAY, "sector")
    assert first.sha256 != second.sha256 == third.sha256
    assert [p.version for p in (first, second, third)] == [1, 2, 3]


def test_the_sha256_of_the_rows_is_the_sha256_of_the_file(registry, whitelist):
    publication = publish(registry, whitelist, TODAY, "sector")
    with closing(sqlite3.connect(whitelist)) as conn:
        tables = {}
        for table in record.CONTENT_TABLES:
            cursor = conn.execute(f"SELECT * FROM [{table}] ORDER BY random()")
            columns = {c[0]: str for c in cursor.description}
            tables[table] = (columns, cursor.fetchall())
    for table, column in [("tools", "free_of_charge"), ("tools", "minimum_age"),
                          ("domains", "include_subdomains"),
                          ("board_verdicts", "own_approval_refused")]:
        tables[table][0][column] = int
    assert record.rows_sha256(tables) == publication.sha256

    # What SQLite would store otherwise than it is given: only the file can tell.
    for table, change in [
        ("tools", lambda row: (*row[:32], True, *row[33:])),  # a bool, stored as 1
        ("tools", lambda row: (row[0], 7, *row[2:])),  # an int in a text column, stored as "7"
        ("domains", lambda row: (None, *row[1:])),  # no primary key to sort by
        ("vendors", lambda row: row[:-1]),  # a column short
    ]:
        changed = dict(tables)
        columns, rows = changed[table]
        changed[table] = (columns, [change(rows[0]), *rows[1:]])
        assert record.rows_sha256(changed) is None, table


SYNTHETIC_BUNDLE = Path(__file__).parent / "synthetic_bundle.json"
"""`benchmarks.synth.bundle(120)`: 120 tools of 24 vendors, with the benchmark's mix of
agreements, assessments, drafts, expiries, shared hosts and non-ASCII names."""
PUBLISHED_AT = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
SEARCHED = ["reken", "taal", "examen", "ëxamen", "beta", "b.v", "noorder", "app", "quiz"]

PUBLISHED_EXTRAS = {
    "privacybijsluiter_url": "https://www.noorderlicht-demo.nl/privacy/privacybijsluiter",
    "privacybijsluiter_version": "4.1-2024",
    "sub_processors": '[{"name":"Fictieve Hosting Nederland B.V. (demo)",'
                      '"activity":"Hosting in een datacenter","country":"Nederland"}]',
    "retention": "Tot het einde van het schooljaar na het laatste gebruik; daarna verwijderd.",
}
"""What the tool page shows of noorderlicht-rekenen's agreement and data, as published."""
PUBLISHED_CONTENT = {
    "demo": {
        "user_version": "e7f6c011776e8db7", "journal_mode": "b05a18f448a1d2eb",
        "schema": "550345f621e705fc", "assessments": "e4400742aa58a14e",
        "board_changelog": "1de4fd52c8b4491e", "board_verdicts": "aecf67634a28dfdb",
        "boards": "492042051ebd1f91", "changelog": "4afdd7f7e937df7e",
        "changes": "41466dcf28f0d526", "domains": "15dd489a0f6b338e",
        "name_words": "ad211c7ac3745ca0", "publication": "c35bd61203b1708e",
        "tools": "45b08ac953ec2d5a", "vendors": "2c4064e6bf0797ff", "fts": "490f05762dcfce1a"},
    "demo, changed, 400 days on": {
        "user_version": "e7f6c011776e8db7", "journal_mode": "b05a18f448a1d2eb",
        "schema": "550345f621e705fc", "assessments": "e4400742aa58a14e",
        "board_changelog": "93caee22f6ff7770", "board_verdicts": "bdc00f86bee24279",
        "boards": "492042051ebd1f91", "changelog": "f933ec8d92960e07",
        "changes": "f60d58650447ece1", "domains": "cfa17970ef59e60c",
        "name_words": "9ff8422f7df83a77", "publication": "ced63e4f47ae8a3c",
        "tools": "db849400cc0cde50", "vendors": "2c4064e6bf0797ff", "fts": "14cd1ffc07a9628f"},
    "synthetic": {
        "user_version": "e7f6c011776e8db7", "journal_mode": "b05a18f448a1d2eb",
        "schema": "550345f621e705fc", "assessments": "7d1441867557a305",
        "board_changelog": "4f53cda18c2baa0c", "board_verdicts": "4f53cda18c2baa0c",
        "boards": "4f53cda18c2baa0c", "changelog": "9a79b8cc0ba169f5",
        "changes": "0eae802105930b21", "domains": "b22efafdb9521ac7",
        "name_words": "d53c7e0675d49c66", "publication": "2f5ae7dfd4a0f2b3",
        "tools": "f9773721513b32ff", "vendors": "33c0d9adac5cc579", "fts": "5b9338654aac365b"},
    "synthetic, 500 days on": {
        "user_version": "e7f6c011776e8db7", "journal_mode": "b05a18f448a1d2eb",
        "schema": "550345f621e705fc", "assessments": "7d1441867557a305",
        "board_changelog": "4f53cda18c2baa0c", "board_verdicts": "4f53cda18c2baa0c",
        "boards": "4f53cda18c2baa0c", "changelog": "88cf6388902d8d6f",
        "changes": "eef8daac95079767", "domains": "b22efafdb9521ac7",
        "name_words": "d53c7e0675d49c66", "publication": "c34592da6218f9c2",
        "tools": "e4ccc012388122ab", "vendors": "33c0d9adac5cc579", "fts": "5b9338654aac365b"},
}
"""What the files held once the verdict of today, the tool page's columns and the changelog
were published (2026-12-03; until then the digests of 2026-12-02 pinned that publishing
faster changed nothing), and then school boards (format 5: the synthetic files, without
boards, kept every table and their sha256; only the schema and the empty board tables are new),
and format 6 (an index for the check's alternatives: only `schema` and `user_version`
changed): a digest of each part, so that a change names the table it is in.
Publishing faster must not change a byte of any table; a deliberate change of the content (a
new column, other wording) updates these digests, and an upgrade of SQLite or sqlite-utils may
change `schema` or `fts`. The full-text searches are compared by tool (`fts`, since
2026-12-03): an incremental publication keeps the rowids of the tools it keeps, where a full
build numbers them afresh."""


def content_digests(path: Path) -> dict[str, str]:
    """A digest of each table's rows (all but the full-text index's own), of the schema and
    of full-text searches, of the file at `path`."""
    with closing(sqlite3.connect(path)) as conn:
        parts = {"user_version": conn.execute("PRAGMA user_version").fetchone()[0],
                 "journal_mode": conn.execute("PRAGMA journal_mode").fetchone()[0],
                 "schema": conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                        "ORDER BY type, name").fetchall()}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'tools_fts%' ORDER BY name").fetchall():
            parts[table] = conn.execute(f"SELECT * FROM [{table}] ORDER BY 1, 2").fetchall()
        parts["fts"] = {term: conn.execute(  # by tool: rowids differ after an incremental one
            "SELECT t.id FROM tools_fts JOIN tools AS t ON t.rowid = tools_fts.rowid "
            "WHERE tools_fts MATCH ? ORDER BY tools_fts.rank, t.id",
            [json.dumps(term)]).fetchall() for term in SEARCHED}
    return {name: hashlib.sha256(json.dumps(part, ensure_ascii=False).encode()).hexdigest()[:16]
            for name, part in parts.items()}


def test_the_published_content_is_what_it_was(registry, whitelist, tmp_path):
    published = {}
    publish(registry, whitelist, TODAY, "sector", now=PUBLISHED_AT)
    published["demo"] = content_digests(whitelist)
    edit_tool(registry, "noorderlicht-rekenen", data_locations=["US"])
    registry.archive("tools", "maakplaats-podcast", "inkoop", None)
    publish(registry, whitelist, TODAY + dt.timedelta(days=400), "sector", now=PUBLISHED_AT)
    published["demo, changed, 400 days on"] = content_digests(whitelist)

    synthetic = Registry(tmp_path / "synthetic.db")
    synthetic.migrate()
    source = read_json(SYNTHETIC_BUNDLE.read_bytes(), SYNTHETIC_BUNDLE.name)
    assert import_source(synthetic, source, actor="test").ok
    lijst = tmp_path / "synthetic-lijst.db"
    publish(synthetic, lijst, TODAY, "sector", now=PUBLISHED_AT)
    published["synthetic"] = content_digests(lijst)
    publish(synthetic, lijst, TODAY + dt.timedelta(days=500), "sector", now=PUBLISHED_AT)
    published["synthetic, 500 days on"] = content_digests(lijst)
    synthetic.close()

    assert published == PUBLISHED_CONTENT


# --- changes against the previous publication ---------------------------------------------


def test_changes_against_the_previous_file(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    edit_tool(registry, "sommenstad-tafels", pseudonymisation=models.Pseudonymisation(
        status=models.PseudonymisationStatus.compliant))
    registry.archive("tools", "maakplaats-podcast", "inkoop", None)
    registry.create("tools", models.ToolIn(
        id="rekenhulp", vendor_id="sommenstad", name="Rekenhulp (demo)",
        category=models.Category.practice, levels=[models.Level.PO],
    ), "inkoop")

    second = publish(registry, whitelist, TODAY, "sector")

    assert msgspec.to_builtins(second.changes) == {
        "since_version": 1, "added": 1, "removed": 1, "verdict_changed": 1
    }
    assert query(whitelist, "SELECT * FROM changes") == [
        {"tool_id": "rekenhulp", "name": "Rekenhulp (demo)", "change": "added",
         "change_label": "Toegevoegd", "before": None, "before_label": None,
         "after": "not_assessed", "after_label": "Niet beoordeeld",
         "reason": "Nieuw op de lijst, met het oordeel ‘Niet beoordeeld’."},
        {"tool_id": "maakplaats-podcast", "name": "Maakplaats Podcast (demo)",
         "change": "removed", "change_label": "Verwijderd", "before": "not_assessed",
         "before_label": "Niet beoordeeld", "after": None, "after_label": None,
         "reason": "De tool staat niet meer in het register."},
        {"tool_id": "sommenstad-tafels", "name": "Sommenstad Tafeltrainer (demo)",
         "change": "verdict_changed", "change_label": "Oordeel gewijzigd",
         "before": "not_allowed", "before_label": "Niet toegestaan", "after": "allowed",
         "after_label": "Toegestaan",
         "reason": "Het oordeel is veranderd van ‘Niet toegestaan’ in ‘Toegestaan’. "
                   "De tool voldoet aan de Wet pseudonimisering leerlinggegevens."},
    ]
    published = tools(whitelist)
    assert "maakplaats-podcast" not in published
    assert published["rekenhulp"]["verdict"] == "not_assessed"
    assert [p["version"] for p in registry.publications.all()] == [2, 1]  # newest first


def test_a_tool_of_an_archived_vendor_is_not_published(registry, whitelist):
    registry.archive("vendors", "kaartenbak-educatief", "inkoop", None)
    publish(registry, whitelist, TODAY, "sector")
    assert "kaartenbak-topografie" not in tools(whitelist)
    assert query(whitelist, "SELECT id FROM vendors WHERE id = 'kaartenbak-educatief'") == []


# --- nothing internal ---------------------------------------------------------------------


def test_no_internal_field_reaches_the_published_file(registry, whitelist, secrets):
    secrets.add(registry)
    publish(registry, whitelist, TODAY, f"token-{secrets.marker}")

    published = tools(whitelist)["kluis-app"]  # the record with the secrets is published
    assert published["verdict"] == "allowed"
    assert published["assessment_id"] == "kluis-final"
    raw = whitelist.read_bytes().lower()
    assert secrets.marker.lower().encode() not in raw
    assert secrets.phone.encode() not in raw
    with closing(sqlite3.connect(whitelist)) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                text = " ".join(c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c)
                                for c in row).lower()
                assert secrets.marker.lower() not in text, (table, row)
                assert secrets.phone not in text, (table, row)


# --- atomic replace -------------------------------------------------------------------------


def test_a_failed_replace_keeps_the_old_file_and_records_nothing(registry, whitelist,
                                                                  monkeypatch):
    first = publish(registry, whitelist, TODAY, "sector")
    before = whitelist.read_bytes()
    registry.archive("tools", "maakplaats-podcast", "inkoop", None)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(builder.os, "replace", refuse)
    with pytest.raises(StorageFull, match="no room on the disk for the new whitelist"):
        publish(registry, whitelist, TODAY, "sector")

    assert whitelist.read_bytes() == before
    assert [p["version"] for p in registry.publications.all()] == [first.version]
    assert [e.record_id for e in registry.audit.events("kind = 'publication'")] == ["1"]
    leftovers = sorted(p.name for p in whitelist.parent.iterdir())
    assert leftovers == ["publicaties", "registry.db", "registry.db-shm", "registry.db-wal",
                         "witte-lijst.db", "witte-lijst.manifest.json"]
    assert list(kept.versions(whitelist)) == [1]  # the failed version 2 kept no copy

    monkeypatch.undo()
    assert publish(registry, whitelist, TODAY, "sector").version == 2


def fill_the_disk_while_building(monkeypatch) -> None:
    """SQLite runs out of room while the new file is written (`max_page_count` as a disk)."""
    insert = sqlfile.insert

    def cramped(db, table, records):
        db.execute("PRAGMA max_page_count = 8")
        insert(db, table, records)

    monkeypatch.setattr(sqlfile, "insert", cramped)


def fill_the_disk_while_copying(monkeypatch) -> None:
    """The disk has no room for the copy an incremental publication starts from."""

    def no_room(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(incremental.shutil, "copyfile", no_room)


@pytest.mark.parametrize("full", [True, False])
def test_a_full_disk_while_building_publishes_nothing(registry, whitelist, monkeypatch, full):
    publish(registry, whitelist, TODAY, "sector")
    before = whitelist.read_bytes()
    (fill_the_disk_while_building if full else fill_the_disk_while_copying)(monkeypatch)
    with pytest.raises(StorageFull) as raised:
        publish(registry, whitelist, TODAY, "sector", full=full)
    assert raised.value.detail == builder.NO_ROOM
    assert whitelist.read_bytes() == before
    assert [p["version"] for p in registry.publications.all()] == [1]
    assert sorted(p.name for p in whitelist.parent.iterdir()) == [
        "publicaties", "registry.db", "registry.db-shm", "registry.db-wal", "witte-lijst.db",
        "witte-lijst.manifest.json"]
    assert list(kept.versions(whitelist)) == [1]


def test_a_version_taken_meanwhile_is_a_conflict(registry, whitelist, monkeypatch):
    publish(registry, whitelist, TODAY, "sector")
    # As if version 1 was recorded by someone else after this build had read the registry.
    monkeypatch.setattr(registry.publications, "all", lambda: [])
    with pytest.raises(Conflict, match="Version 1 of the whitelist was published"):
        publish(registry, whitelist, TODAY, "sector")
    assert query(whitelist, "SELECT version FROM publication") == [{"version": 1}]


def test_default_whitelist_path(monkeypatch, tmp_path):
    monkeypatch.delenv("REGISTRY_WHITELIST", raising=False)
    assert default_whitelist_path(tmp_path / "r.db") == tmp_path / "witte-lijst.db"
    monkeypatch.setenv("REGISTRY_WHITELIST", "/srv/lijst/witte-lijst.db")
    assert default_whitelist_path(tmp_path / "r.db") == Path("/srv/lijst/witte-lijst.db")


# --- the command and the API ----------------------------------------------------------------


def test_cli_publishes_beside_the_database(registry, tmp_path, monkeypatch):
    monkeypatch.delenv("REGISTRY_WHITELIST", raising=False)
    registry.close()
    result = CliRunner().invoke(main, ["publish", "--db", str(tmp_path / "registry.db")],
                                catch_exceptions=False)
    assert result.exit_code == 0
    out = tmp_path / "witte-lijst.db"
    assert result.output.strip().startswith(f"Published version 1 to {out}: 26 tools (")
    assert result.output.strip().endswith(
        "changes (new file): 26 added, 0 removed, 0 verdict changed. Published by "
        f"{registry_actor()}.")
    assert len(tools(out)) == 26


@pytest.fixture
def api(registry, whitelist):
    """A client of an app with only the publication handlers, as `create_app` wires them."""

    def state(app: Litestar) -> None:
        app.state.registry = registry
        app.state.whitelist_path = whitelist
        app.state.today = lambda: TODAY
        app.state.settings = Settings(db_path=registry.path, four_eyes=False)

    app = Litestar(route_handlers=HANDLERS, exception_handlers=EXCEPTION_HANDLERS,
                   on_startup=[state], dependencies={**READ_DEPENDENCIES, **DEPENDENCIES})
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tokens(registry) -> dict[str, dict[str, str]]:
    """Authorization headers by role."""
    return {role: {"Authorization": f"Bearer {registry.tokens.create(role, models.Role(role))[1]}"}
            for role in ("publisher", "procurement")}


def test_api_publishes_and_lists(api, tokens, whitelist):
    created = api.post("/api/publications", headers=tokens["publisher"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["version"], body["actor"], body["policy_version"]) == (1, "publisher", "2026.1")
    assert body["changes"] == {"since_version": None, "added": 26, "removed": 0,
                               "verdict_changed": 0}
    assert body["counts"]["not_allowed"] == 9
    assert query(whitelist, "SELECT sha256 FROM publication") == [{"sha256": body["sha256"]}]

    api.post("/api/publications", headers=tokens["publisher"])
    listed = api.get("/api/publications", headers=tokens["procurement"])
    assert listed.status_code == 200
    assert [p["version"] for p in listed.json()] == [2, 1]


@pytest.mark.parametrize("who, status", [(None, 401), ("procurement", 403)])
def test_api_publishing_needs_a_publisher(api, tokens, whitelist, who, status):
    response = api.post("/api/publications", headers=tokens[who] if who else {})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert not whitelist.exists()


def test_api_publish_on_a_full_disk_is_507_and_publishes_nothing(api, tokens, registry,
                                                                  monkeypatch):
    fill_the_disk_while_building(monkeypatch)
    response = api.post("/api/publications", headers=tokens["publisher"])
    assert response.status_code == 507, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == builder.NO_ROOM
    assert registry.publications.all() == []


def test_cli_publish_on_a_full_disk_is_one_line(registry, tmp_path, monkeypatch):
    monkeypatch.delenv("REGISTRY_WHITELIST", raising=False)
    registry.close()
    fill_the_disk_while_building(monkeypatch)
    result = CliRunner().invoke(main, ["publish", "--db", str(tmp_path / "registry.db")])
    assert result.exit_code == 1
    assert builder.NO_ROOM in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_serve_publishes_a_whitelist_of_an_older_format_again(tmp_path):
    """The check needs `name_words` (format 2); a file of format 1 left by an older version
    is published again when the registry starts, not served as it is."""
    from registry.app import Settings, prepare

    settings = Settings(db_path=tmp_path / "registry.db", today=lambda: TODAY)
    prepare(settings)
    with sqlite3.connect(settings.whitelist) as conn:
        conn.execute("DROP TABLE name_words")
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    prepare(settings)
    assert query(settings.whitelist, "PRAGMA user_version") == [{"user_version": 6}]
    assert query(settings.whitelist, "SELECT version FROM publication") == [{"version": 2}]
    assert query(settings.whitelist, "SELECT count(*) AS n FROM name_words")[0]["n"] > 0


def test_the_last_ten_published_files_are_kept_for_a_rollback(registry, whitelist):
    for _ in range(12):
        last = publish(registry, whitelist, TODAY, "sector")
    found = kept.versions(whitelist)
    assert list(found) == list(range(3, 13))
    assert found[12].read_bytes() == whitelist.read_bytes()
    assert query(found[3], "SELECT version FROM publication") == [{"version": 3}]
    assert last.version == 12
