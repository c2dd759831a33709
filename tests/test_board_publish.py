"""School boards in the published whitelist: the `boards` and `board_verdicts` tables as the
read wing reads them, their changes in the history and the feed, the due publication and the
rollback, and a canary in every internal field that never reaches the file or any public
answer."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import pytest
from datasette.app import Datasette
from litestar.testing import TestClient

from registry import models
from registry.db import Registry
from registry.publish import boards, due, publish, rollback
from registry.publish.record import CONTENT_TABLES, content_sha256
from registry.whitelist.app import create_read_app
from registry.whitelist.today import verdict_on

TODAY = dt.date(2026, 11, 28)
ROOT = Path(__file__).parent.parent
METADATA = json.loads((ROOT / "datasette-metadata.json").read_text())
DB = "/witte-lijst"
A = "{http://www.w3.org/2005/Atom}"
CANARY = "KANARIE-b0a4d"
B = "99002"
B_NAME = "Stichting Voortgezet Onderwijs Voorbeeldrijk (fictief)"


@pytest.fixture
def registry(demo_registry: Registry) -> Registry:
    return demo_registry  # not conftest's `registry`, the API client's


def rows(path: Path, sql: str, params=()) -> list[dict]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def board_rows(path: Path) -> dict[tuple[str, str], dict]:
    return {(r["board_id"], r["tool_id"]): r for r in rows(path, "SELECT * FROM board_verdicts")}


def decision(registry: Registry, decision_id: str, **changes) -> None:
    stored = registry.get("board_decisions", decision_id)
    fields = {f: getattr(stored, f) for f in models.BoardDecisionIn.__struct_fields__}
    registry.update("board_decisions", decision_id, models.BoardDecisionIn(**fields | changes),
                    "bestuur", None)


# --- the published format ---------------------------------------------------------------


def test_the_demo_boards_and_their_verdicts_are_published(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")

    assert rows(whitelist, "SELECT * FROM boards WHERE id = '99001'") == [{
        "id": "99001", "name": "Stichting Openbaar Onderwijs Demostad (fictief)",
        "school_types": '["PO"]', "schools": '["99AA","99AB","99AC01"]',
        "website": "https://www.soo-demostad.example.nl"}]
    found = board_rows(whitelist)
    # Every decision, and the board agreement of 99001: nothing for a board that follows.
    assert sorted(found) == [("99001", "bordwerk-klassenbord"), (B, "lernfabrik-scheikunde"),
                             (B, "maakplaats-studio"), ("99003", "lernfabrik-scheikunde")]
    sector = {r["id"]: r for r in rows(whitelist, "SELECT * FROM tools")}
    assert sector["lernfabrik-scheikunde"]["verdict"] == "not_assessed"

    stricter = found[B, "lernfabrik-scheikunde"]
    assert (stricter["decision"], stricter["verdict"], stricter["decision_label"],
            stricter["board_name"], stricter["decided_by"]) == (
        "stricter", "not_allowed", "Strenger dan de sector", B_NAME, "College van bestuur")
    assert stricter["text"].startswith("Jouw schoolbestuur heeft besloten dat deze tool niet")

    conditions = found[B, "maakplaats-studio"]
    assert conditions["verdict"] == "allowed_with_conditions"
    assert "Alleen in de bovenbouw" in json.loads(conditions["conditions"])

    own = found["99003", "lernfabrik-scheikunde"]
    assert (own["decision"], own["verdict"], own["ends_on"], own["own_approval_refused"]) == (
        "own_approval", "allowed_with_conditions", "2027-09-30", 0)
    # From the day after its last day the board follows the sector again.
    assert own["verdict_changes_on"] == "2027-10-01"
    assert (own["next_decision"], own["next_verdict"]) == ("follow", "not_assessed")

    agreement = found["99001", "bordwerk-klassenbord"]
    assert agreement["decision"] == "follow" and agreement["reason"] is None
    assert "eigen verwerkersovereenkomst" in agreement["text"]
    assert [r["rule"] for r in json.loads(agreement["reasons"])][0] == "agreement"


def test_verdict_on_reads_a_board_row_as_a_tool_row(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    own = board_rows(whitelist)["99003", "lernfabrik-scheikunde"]
    assert verdict_on(own, dt.date(2027, 9, 30)).verdict == "allowed_with_conditions"
    after = verdict_on(own, dt.date(2027, 10, 1))
    assert (after.verdict, after.verdict_label) == ("not_assessed", "Niet beoordeeld")


def test_without_boards_nothing_is_judged_and_the_sha256_is_as_before(registry, whitelist,
                                                                      monkeypatch):
    for record in registry.all("board_decisions"):
        registry.archive("board_decisions", record.id, "sector", None)
    registry.archive("agreements", "bordwerk-avv", "sector", None)
    for board in registry.all("boards"):
        registry.archive("boards", board.id, "sector", None)

    def judged(*args, **kwargs):
        raise AssertionError("no board: no board verdict is worked out")

    monkeypatch.setattr(boards, "judged", judged)
    publication = publish(registry, whitelist, TODAY, "sector")

    assert rows(whitelist, "SELECT count(*) AS n FROM boards")[0]["n"] == 0
    assert rows(whitelist, "SELECT count(*) AS n FROM board_verdicts")[0]["n"] == 0
    # The sha256 of a file without boards is the one it had before boards were published.
    document = []
    with closing(sqlite3.connect(whitelist)) as conn:
        for table in [t for t in CONTENT_TABLES if t not in ("boards", "board_verdicts")]:
            by = {"domains": "host, tool_id", "changes": "tool_id"}.get(table, "id")
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY {by}")
            document.append([table, [c[0] for c in cursor.description], [list(r) for r in cursor]])
        assert content_sha256(conn) == publication.sha256
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(text.encode()).hexdigest() == publication.sha256


def test_an_archived_board_or_decision_and_an_archived_tool_leave_the_file(registry, whitelist):
    registry.archive("board_decisions", "99002-maakplaats-studio", "bestuur", None)
    registry.archive("boards", "99001", "sector", None)
    registry.archive("tools", "lernfabrik-scheikunde", "sector", None)
    publish(registry, whitelist, TODAY, "sector")
    assert [r["id"] for r in rows(whitelist, "SELECT id FROM boards ORDER BY id")] == [
        B, "99003"]
    assert board_rows(whitelist) == {}


# --- changes: the history and the feed ----------------------------------------------------


def test_board_changes_are_kept_in_the_history(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    decision(registry, "99002-maakplaats-studio", conditions=[], not_allowed=True)
    registry.archive("board_decisions", "99003-lernfabrik-scheikunde", "bestuur", None)
    publish(registry, whitelist, TODAY, "sector")

    history = rows(whitelist, "SELECT * FROM board_changelog ORDER BY publication_version, "
                              "board_id, tool_id")
    assert [(h["publication_version"], h["board_id"], h["tool_id"], h["change"])
            for h in history] == [
        (1, "99001", "bordwerk-klassenbord", "added"),
        (1, B, "lernfabrik-scheikunde", "added"),
        (1, B, "maakplaats-studio", "added"),
        (1, "99003", "lernfabrik-scheikunde", "added"),
        (2, B, "maakplaats-studio", "changed"),
        (2, "99003", "lernfabrik-scheikunde", "removed"),
    ]
    changed, removed = history[4], history[5]
    assert (changed["before_label"], changed["after_label"], changed["change_label"]) == (
        "Toegestaan onder voorwaarden", "Niet toegestaan", "Besluit bestuur gewijzigd")
    assert changed["reason"] == (f"{B_NAME}: Strenger dan de sector; het oordeel is nu "
                                 "‘Niet toegestaan’ (was ‘Toegestaan onder voorwaarden’).")
    assert removed["reason"] == ("Vereniging Speciaal Onderwijs De Proefgrond (fictief) volgt "
                                 "weer het oordeel van de sector.")
    assert json.loads(removed["levels"]) == ["VO"]


def served(path: Path, loop) -> Datasette:
    datasette = Datasette([str(path)], metadata=METADATA)
    loop.run_until_complete(datasette.invoke_startup())
    return datasette


def test_the_feed_of_a_board_adds_its_decisions(registry, whitelist, loop):
    publish(registry, whitelist, TODAY, "sector")
    registry.archive("board_decisions", "99003-lernfabrik-scheikunde", "bestuur", None)
    publish(registry, whitelist, TODAY, "sector")
    datasette = served(whitelist, loop)

    def feed(query: str) -> ET.Element:
        response = loop.run_until_complete(datasette.client.get(f"/-/wijzigingen.atom{query}"))
        assert response.status_code == 200, response.text
        return ET.fromstring(response.content)

    def titles(root):
        return [e.find(f"{A}title").text for e in root.findall(f"{A}entry")]

    assert not any(" bij " in t for t in titles(feed("")))  # the sector's feed stays its own
    board_c = feed("?bestuur=99003")
    assert titles(board_c)[0] == ("Lernfabrik Scheikunde (demo) bij Vereniging Speciaal "
                                  "Onderwijs De Proefgrond (fictief): Besluit bestuur vervallen")
    assert "Taaltuin Spelling (demo): Toegevoegd" in titles(board_c)  # the sector's too
    assert not any(B_NAME in t for t in titles(board_c))
    assert sum(B_NAME in t for t in titles(feed("?bestuur=99002&niveau=VO"))) == 2
    assert not any(B_NAME in t for t in titles(feed("?bestuur=99002&niveau=SO")))
    for link in {link.get("href") for link in board_c.iter(f"{A}link")}:
        path = link.removeprefix("http://localhost")
        assert loop.run_until_complete(datasette.client.get(path)).status_code == 200, link
    bad = loop.run_until_complete(datasette.client.get("/-/wijzigingen.atom?bestuur=9900"))
    assert bad.status_code == 400 and "bestuursnummer" in bad.text


def test_a_board_decision_that_ran_out_is_in_its_feed_without_a_new_publication(
        registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    title = ("Lernfabrik Scheikunde (demo) bij Vereniging Speciaal Onderwijs De Proefgrond "
             "(fictief): Besluit bestuur gewijzigd")
    for day, expected in [(dt.date(2027, 9, 30), False), (dt.date(2027, 10, 1), True)]:
        with TestClient(create_read_app(whitelist, today=lambda: day)) as client:
            root = ET.fromstring(client.get("/lijst/-/wijzigingen.atom?bestuur=99003").content)
        entries = {e.find(f"{A}title").text: e for e in root.findall(f"{A}entry")}
        assert (title in entries) is expected, day
    summary = entries[title].find(f"{A}summary").text
    assert summary.startswith("Op 1 oktober 2027 veranderde het oordeel vanzelf van "
                              "‘Toegestaan onder voorwaarden’ in ‘Niet beoordeeld’")
    assert "volgt het oordeel van de sector" in summary


def test_datasette_has_a_facet_per_board_and_a_list_per_board(registry, whitelist, loop):
    publish(registry, whitelist, TODAY, "sector")
    named = whitelist.with_name("witte-lijst.db")
    datasette = served(named, loop)

    def get(path):
        response = loop.run_until_complete(datasette.client.get(path))
        assert response.status_code == 200, (path, response.text)
        return response.json()

    facet = get(f"{DB}/board_verdicts.json")["facet_results"]["board_name"]["results"]
    assert {f["value"]: f["count"] for f in facet} == {
        B_NAME: 2, "Stichting Openbaar Onderwijs Demostad (fictief)": 1,
        "Vereniging Speciaal Onderwijs De Proefgrond (fictief)": 1}
    listed = get(f"{DB}/per_bestuur.json?bestuur={B}&_shape=array")
    assert len(listed) == rows(whitelist, "SELECT count(*) AS n FROM tools")[0]["n"]
    by_id = {r["id"]: r for r in listed}
    assert (by_id["lernfabrik-scheikunde"]["oordeel_bestuur"],
            by_id["lernfabrik-scheikunde"]["oordeel_sector"]) == ("Niet toegestaan",
                                                                 "Niet beoordeeld")
    assert by_id["taaltuin-spelling"]["besluit_bestuur"] is None  # follows the sector
    decided = get(f"{DB}/besluiten_bestuur.json?bestuur={B}&_shape=array")
    assert [r["tool_id"] for r in decided] == ["lernfabrik-scheikunde", "maakplaats-studio"]
    assert [r["school_types"] for r in get(
        f"{DB}/boards.json?school_types__arraycontains=SO&_shape=array")] == ['["PO","SO"]']


# --- the due publication and the rollback ---------------------------------------------------


def test_a_board_decision_running_out_makes_a_publication_due(registry, whitelist):
    for tool in registry.all("tools"):  # only the board's own day is left to come
        if tool.id != "lernfabrik-scheikunde":
            registry.archive("tools", tool.id, "sector", None)
    publish(registry, whitelist, TODAY, "sector")
    changes_on = rows(whitelist, "SELECT min(verdict_changes_on) AS d FROM tools")[0]["d"]
    assert changes_on is None or changes_on > "2027-10-01"
    assert not due.is_due(whitelist, dt.date(2027, 9, 30))
    assert due.is_due(whitelist, dt.date(2027, 10, 1))


def test_a_due_publication_builds_the_boards_as_they_were(registry, whitelist):
    publish(registry, whitelist, TODAY, "sector")
    event_id, _ = due.basis(registry)
    registry.archive("board_decisions", "99002-maakplaats-studio", "bestuur", None)
    then = due.records_as_of(registry, event_id)
    assert sorted(boards.boards_of(then).decisions) == [
        (B, "lernfabrik-scheikunde"), (B, "maakplaats-studio"), ("99003", "lernfabrik-scheikunde")]
    assert sorted(boards.boards_of(then).boards) == ["99001", B, "99003"]
    built = due.builder.build(registry, whitelist, dt.date(2027, 10, 1),
                              source=due.due_source(registry))
    try:
        found = board_rows(built.path)
        assert (B, "maakplaats-studio") in found  # not yet approved for publication
        assert found["99003", "lernfabrik-scheikunde"]["decision"] == "follow"  # ran out
    finally:
        built.discard()


def test_a_rollback_serves_the_boards_again_and_says_so(registry, whitelist):
    first = publish(registry, whitelist, TODAY, "sector")
    registry.archive("board_decisions", "99002-maakplaats-studio", "bestuur", None)
    publish(registry, whitelist, TODAY, "sector")
    assert (B, "maakplaats-studio") not in board_rows(whitelist)

    restored = rollback.restore(registry, whitelist, 1, "sector")

    assert restored.sha256 == first.sha256
    assert (B, "maakplaats-studio") in board_rows(whitelist)
    last = rows(whitelist, "SELECT * FROM board_changelog WHERE publication_version = 3")
    assert [(r["tool_id"], r["change"]) for r in last] == [("maakplaats-studio", "added")]
    assert last[0]["reason"].startswith("Herstelt versie 1. ")
    assert len(rows(whitelist, "SELECT * FROM board_changelog")) == 4 + 1 + 1


# --- the canary -------------------------------------------------------------------------


def add_canaries(registry: Registry) -> None:
    """A canary in every internal field of boards, decisions and a board's agreement, and in
    the public fields of records that must not be published (archived)."""
    c = CANARY
    registry.create("boards", models.BoardIn(
        id="99077", name="Stichting Kanarie (fictief)", school_types=[models.SchoolType.PO],
        schools=["77AA"], internal_notes=f"notitie {c}"), "sector")
    registry.create("board_decisions", models.BoardDecisionIn(
        id="99077-sommenstad-oefenen", board_id="99077", tool_id="sommenstad-oefenen",
        decision=models.BoardDecisionKind.stricter, conditions=["Alleen in groep 8"],
        reason="Openbare reden.", decided_on=dt.date(2026, 9, 1), decided_by="Bestuur",
        internal_notes=f"notitie {c}"), "bestuur")
    registry.create("agreements", models.AgreementIn(
        id="kanarie-avv", vendor_id="sommenstad", tool_ids=["sommenstad-oefenen"],
        model_version=models.ModelVersion.model_4, status=models.AgreementStatus.signed,
        signed_on=dt.date(2026, 1, 1), party="99077", internal_notes=f"notitie {c}"), "sector")
    for board in ("99002", "99003", "99001"):
        stored = registry.get("boards", board)
        fields = {f: getattr(stored, f) for f in models.BoardIn.__struct_fields__}
        registry.update("boards", board, models.BoardIn(**fields | {
            "internal_notes": f"notitie {c}"}), "sector", None)
    for decision_id in ("99002-lernfabrik-scheikunde", "99003-lernfabrik-scheikunde"):
        decision(registry, decision_id, internal_notes=f"notitie {c}")
    # Archived: never published, not even their public fields.
    registry.create("boards", models.BoardIn(
        id="99078", name=f"Bestuur {c}", school_types=[models.SchoolType.VO]), "sector")
    registry.create("board_decisions", models.BoardDecisionIn(
        id="99078-taaltuin-spelling", board_id="99078", tool_id="taaltuin-spelling",
        decision=models.BoardDecisionKind.stricter, not_allowed=True, reason=f"Reden {c}",
        decided_on=dt.date(2026, 9, 1), decided_by=f"Orgaan {c}"), "bestuur")
    registry.archive("boards", "99078", "sector", None)
    registry.create("board_decisions", models.BoardDecisionIn(
        id="99077-taaltuin-spelling", board_id="99077", tool_id="taaltuin-spelling",
        decision=models.BoardDecisionKind.stricter, not_allowed=True, reason=f"Reden {c}",
        decided_on=dt.date(2026, 9, 1), decided_by=f"Orgaan {c}"), "bestuur")
    registry.archive("board_decisions", "99077-taaltuin-spelling", "bestuur", None)


@pytest.fixture
def canary_file(registry, tmp_path) -> Path:
    add_canaries(registry)
    path = tmp_path / "lijst" / "witte-lijst.db"
    publish(registry, path, TODAY, "sector")
    decision(registry, "99077-sommenstad-oefenen", conditions=["Alleen in groep 7 en 8"])
    publish(registry, path, TODAY, "sector")  # a history of board changes too
    return path


def test_no_canary_in_the_published_file(canary_file):
    raw = canary_file.read_bytes()
    assert CANARY.encode() not in raw and CANARY.lower().encode() not in raw.lower()
    assert ("99077", "sommenstad-oefenen") in board_rows(canary_file)  # the records are there
    assert rows(canary_file, "SELECT count(*) AS n FROM board_changelog WHERE "
                             "board_id = '99077'")[0]["n"] == 2
    with closing(sqlite3.connect(canary_file)) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                assert CANARY.lower() not in " ".join(map(str, row)).lower(), (table, row)


def public_paths(datasette_prefix: str) -> list[str]:
    d = f"{datasette_prefix}{DB}"
    paths = [f"{datasette_prefix}/", d, f"{d}.json", f"{datasette_prefix}/-/metadata.json"]
    for table in ("boards", "board_verdicts", "board_changelog", "tools", "agreements"):
        paths += [f"{d}/{table}", f"{d}/{table}.json?_size=max", f"{d}/{table}.csv?_size=max"]
    paths += [f"{d}/board_verdicts.json?_facet=board_name&_facet=decision_label",
              f"{d}/board_changelog.json?_facet=board_name", f"{d}/boards/99078",
              f"{d}/board_verdicts.json?board_id=99077&_shape=array"]
    paths += [f"{d}/boards/99077", f"{d}/boards/99077.json",
              f"{d}/board_verdicts/99077,sommenstad-oefenen.json",
              f"{d}/per_bestuur.json?bestuur=99077", f"{d}/besluiten_bestuur.json?bestuur=99077",
              f"{d}/per_bestuur.csv?bestuur=99078", f"{d}/besluiten_bestuur?bestuur=99078",
              f"{datasette_prefix}/-/wijzigingen.atom?bestuur=99077",
              f"{datasette_prefix}/-/wijzigingen.atom?bestuur=99078",
              f"{datasette_prefix}/-/wijzigingen.atom"]
    return paths


def test_no_canary_in_any_answer_of_datasette(canary_file, loop):
    datasette = served(canary_file, loop)
    answered = 0
    for path in public_paths(""):
        response = loop.run_until_complete(datasette.client.get(path))
        assert response.status_code in (200, 404), (path, response.status_code)
        answered += response.status_code == 200
        assert CANARY.lower() not in response.text.lower(), path
    assert answered >= 25


def test_no_canary_in_any_answer_of_the_read_wing(canary_file):
    with TestClient(create_read_app(canary_file, today=lambda: TODAY)) as client:
        paths = [*public_paths("/lijst"), "/", "/tools", "/tools/sommenstad-oefenen",
                 "/api/check?q=sommenstad-oefenen", "/api/check?q=sommenstad-oefenen&bestuur=99077",
                 "/api/check?q=taaltuin-spelling&bestuur=99078", "/b/99077/", "/b/77AA",
                 "/embed?q=sommenstad-oefenen&bestuur=99077", "/lijst/-/downloaden"]
        answered = 0
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code < 500, (path, response.status_code)
            answered += response.status_code == 200
            assert CANARY.lower() not in response.text.lower(), path
        for path in ("-/downloaden/witte-lijst.csv", "-/downloaden/witte-lijst.json",
                     "witte-lijst.db"):
            response = client.get(f"/lijst/{path}")
            assert response.status_code == 200, path
            assert CANARY.lower().encode() not in response.content.lower(), path
        assert answered >= 25


def test_a_file_from_before_boards_is_restored_with_empty_board_tables(registry, whitelist):
    from registry.publish import kept

    archived = [("board_decisions", d.id) for d in registry.all("board_decisions")]
    archived += [("agreements", "bordwerk-avv")]
    archived += [("boards", b.id) for b in registry.all("boards")]
    for kind, record_id in archived:
        registry.archive(kind, record_id, "sector", None)
    first = publish(registry, whitelist, TODAY, "sector")
    with closing(sqlite3.connect(kept.versions(whitelist)[1])) as conn:  # as format 4 had it
        for table in ("board_verdicts", "boards", "board_changelog"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX idx_tools_kindred")  # format 6
        conn.execute("PRAGMA user_version = 4")
        conn.commit()
    for kind, record_id in reversed(archived):
        registry.restore(kind, record_id, "sector", None)
    publish(registry, whitelist, TODAY, "sector")

    restored = rollback.restore(registry, whitelist, 1, "sector")

    assert restored.sha256 == first.sha256
    assert board_rows(whitelist) == {}
    assert rows(whitelist, "PRAGMA user_version") == [{"user_version": 6}]
    assert rows(whitelist, "SELECT name FROM sqlite_master WHERE name = 'idx_tools_kindred'")
    gone = rows(whitelist, "SELECT * FROM board_changelog WHERE publication_version = 3")
    assert {(r["board_id"], r["change"]) for r in gone} == {
        ("99001", "removed"), (B, "removed"), ("99003", "removed")}
