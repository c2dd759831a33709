"""The incremental publication (`registry.publish.incremental`) holds exactly what a full
rebuild holds: the same content sha256, histories, name words and search results, after
random changes to every kind of record and days passing, three publications in a row."""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec
import pytest

from registry import models
from registry.board_models import BoardDecisionIn, BoardIn
from registry.db import Registry
from registry.errors import RegistryError
from registry.importer import import_source, read_json
from registry.publish import builder, publish
from registry.publish.record import content_sha256

TODAY = dt.date(2026, 12, 3)
BUNDLE = Path(__file__).parent / "synthetic_bundle.json"
SEARCHED = ["reken", "taal", "app", "noorder", "zzz"]


@pytest.fixture
def synthetic(tmp_path) -> Registry:
    """The synthetic registry (120 tools of 24 vendors) with three school boards that decided
    on some tools, published once."""
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    assert import_source(registry, read_json(BUNDLE.read_bytes(), BUNDLE.name), actor="t").ok
    tools = sorted(t.id for t in registry.all("tools"))
    for n, board in enumerate(("10001", "10002", "10003")):
        registry.create("boards", BoardIn(id=board, name=f"Bestuur {n}", school_types=["PO"]),
                        "t")
        for tool_id in tools[n * 7:n * 7 + 5]:
            registry.create("board_decisions", decision(f"b{board}-{tool_id}", board, tool_id,
                                                        TODAY), "t")
    publish(registry, tmp_path / "witte-lijst.db", TODAY, "sector", full=True)
    yield registry
    registry.close()


def decision(decision_id: str, board: str, tool_id: str, on: dt.date, **more
             ) -> BoardDecisionIn:
    return BoardDecisionIn(id=decision_id, board_id=board, tool_id=tool_id,
                           decision="stricter", conditions=["Alleen met toestemming."],
                           reason="Het bestuur wil het zo.", decided_on=on,
                           decided_by="College van bestuur", **more)


def edit(registry: Registry, kind: str, record_id: str, shape: type, **changes) -> None:
    record = registry.get(kind, record_id)
    fields = {f: getattr(record, f) for f in shape.__struct_fields__}
    registry.update(kind, record_id, shape(**fields | changes), "inkoop", None)


def live(registry: Registry, kind: str) -> list:
    return sorted(registry.all(kind), key=lambda r: r.id)


def change_tool(registry: Registry, rng: random.Random, n: int) -> None:
    tool = rng.choice(live(registry, "tools"))
    edit(registry, "tools", tool.id, models.ToolIn, **rng.choice([
        {"name": f"{tool.name} {n}"},
        {"description": f"Nieuw {n}"},
        {"category": rng.choice(["practice", "assessment", "other"])},
        {"levels": rng.choice([["PO"], ["VO"], ["PO", "VO"]])},
        {"data_locations": rng.choice([["US"], ["NL"], []])},
        {"domains": [models.ToolDomain(host=f"app{n}.voorbeeld.nl")]},
        {"processes_personal_data": not tool.processes_personal_data},
    ]))


def change_agreement(registry: Registry, rng: random.Random, n: int) -> None:
    agreement = rng.choice(live(registry, "agreements"))
    tools = [t.id for t in live(registry, "tools") if t.vendor_id == agreement.vendor_id]
    signed = agreement.signed_on or TODAY - dt.timedelta(days=30)
    edit(registry, "agreements", agreement.id, models.AgreementIn, **rng.choice([
        {"expires_on": TODAY + dt.timedelta(days=rng.randint(1, 300)), "signed_on": signed},
        {"status": "terminated"},
        {"tool_ids": sorted(rng.sample(tools, k=rng.randint(1, len(tools))))},
    ]))


def change_assessment(registry: Registry, rng: random.Random, n: int) -> None:
    assessment = rng.choice([a for a in live(registry, "assessments") if a.status == "final"])
    edit(registry, "assessments", assessment.id, models.AssessmentIn, **rng.choice([
        {"outcome": "rejected"},
        {"valid_until": TODAY + dt.timedelta(days=rng.randint(1, 200))},
        {"public_summary": f"Samenvatting {n}"},
    ]))


def change_vendor(registry: Registry, rng: random.Random, n: int) -> None:
    vendor = rng.choice(live(registry, "vendors"))
    edit(registry, "vendors", vendor.id, models.VendorIn, name=f"{vendor.name} {n}")


def change_board(registry: Registry, rng: random.Random, n: int) -> None:
    board = rng.choice(["10001", "10002", "10003"])
    tool = rng.choice(live(registry, "tools"))
    decisions = [d for d in live(registry, "board_decisions") if d.board_id == board]
    rng.choice([
        lambda: registry.create("board_decisions", decision(
            f"n{n}", board, tool.id, TODAY, ends_on=TODAY + dt.timedelta(days=20)), "t"),
        lambda: registry.archive("board_decisions", rng.choice(decisions).id, "t", None),
        lambda: edit(registry, "boards", board, BoardIn, name=f"Bestuur nieuw {n}"),
    ])()


def archive_or_add(registry: Registry, rng: random.Random, n: int) -> None:
    tools = live(registry, "tools")
    if rng.random() < 0.5:
        registry.archive(rng.choice(["tools", "assessments"]),
                         rng.choice(tools).id if rng.random() < 0.5 else
                         rng.choice(live(registry, "assessments")).id, "t", None)
        return
    model = rng.choice(tools)
    fields = {f: getattr(model, f) for f in models.ToolIn.__struct_fields__}
    registry.create("tools", models.ToolIn(**fields | {
        "id": f"nieuw-{n}", "name": f"Nieuw {n}", "domains": []}), "t")


CHANGES = [change_tool, change_agreement, change_assessment, change_vendor, change_board,
           archive_or_add]


def change_at_random(registry: Registry, rng: random.Random, count: int) -> None:
    done = 0
    while done < count:
        try:
            rng.choice(CHANGES)(registry, rng, done)
        except (RegistryError, msgspec.ValidationError, ValueError, IndexError):
            continue  # a change the registry refuses, or nothing to change: another one
        done += 1


def everything(path: Path) -> dict:
    """What the file holds besides `publication`: the content's sha256, the histories, the
    name words and which tools a few searches find, in rank order."""
    with closing(sqlite3.connect(path)) as conn:
        found = {"sha256": content_sha256(conn)}
        for table in ("changelog", "board_changelog", "name_words"):
            found[table] = sorted(conn.execute(f"SELECT * FROM [{table}]").fetchall(), key=repr)
        found["search"] = {term: conn.execute(
            "SELECT t.id FROM tools_fts JOIN tools AS t ON t.rowid = tools_fts.rowid "
            "WHERE tools_fts MATCH ? ORDER BY tools_fts.rank, t.id",
            [json.dumps(term) + "*"]).fetchall() for term in SEARCHED}
    return found


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_an_incremental_publication_holds_what_a_full_rebuild_holds(synthetic, tmp_path, seed):
    rng = random.Random(seed)
    whitelist, day = tmp_path / "witte-lijst.db", TODAY
    for round_ in range(3):
        change_at_random(synthetic, rng, rng.randint(1, 12))
        day += dt.timedelta(days=rng.choice([0, 1, 45, 200]))
        said: list[str] = []
        at = dt.datetime.combine(day, dt.time(12), dt.UTC)  # the same moment for both
        fast = builder.build(synthetic, whitelist, day, progress=said.append, now=at,
                             ready=tmp_path / "incremental.db")
        slow = builder.build(synthetic, whitelist, day, full=True, now=at,
                             ready=tmp_path / "full.db")
        assert any(line.startswith("Incremental:") for line in said), said
        assert fast.publication.sha256 == slow.publication.sha256
        assert fast.publication.counts == slow.publication.counts
        assert fast.publication.changes == slow.publication.changes
        assert everything(fast.path) == everything(slow.path)
        slow.discard()
        builder.install(synthetic, fast, whitelist, "sector")


def test_a_new_policy_or_a_rollback_is_built_in_full(synthetic, tmp_path):
    whitelist = tmp_path / "witte-lijst.db"
    said: list[str] = []
    publish(synthetic, whitelist, TODAY, "sector", progress=said.append)
    assert any(line.startswith("Incremental:") for line in said)
    from registry.publish.rollback import restore

    restore(synthetic, whitelist, 1, "sector")
    said.clear()
    publish(synthetic, whitelist, TODAY, "sector", progress=said.append)
    assert not any(line.startswith("Incremental:") for line in said)
    assert "Computing verdicts" in said


@pytest.mark.parametrize("spoil", ["not a database", "no publication row"])
def test_a_served_file_that_is_not_a_whitelist_is_refused_in_one_line(synthetic, tmp_path,
                                                                       spoil):
    """Where the whitelist is served lies something that is not a publication: nothing is
    patched or published, and the error says which file cannot be read."""
    whitelist = tmp_path / "witte-lijst.db"
    if spoil == "not a database":
        whitelist.write_bytes(b"not a database")
    else:
        with closing(sqlite3.connect(whitelist)) as conn:
            conn.execute("DELETE FROM publication")
            conn.commit()
    said: list[str] = []
    with pytest.raises(RegistryError, match="cannot be read"):
        publish(synthetic, whitelist, TODAY, "sector", progress=said.append)
    assert not any(line.startswith("Incremental:") for line in said)
    assert [p["version"] for p in synthetic.publications.all()] == [1]
