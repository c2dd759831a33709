"""The benchmark's synthetic school boards (`benchmarks.boards`): valid records the product
imports as they are, on top of the synthetic registry without changing it."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import boards, synth
from registry.bundles import read_json
from registry.db import Registry
from registry.importer import import_source

TOOLS, BOARDS = 600, 40


@pytest.fixture(scope="module")
def plain() -> dict:
    return synth.bundle(TOOLS)


@pytest.fixture(scope="module")
def data(plain) -> dict:
    """As `python -m benchmarks` makes it: the boards decide on the tools asked about."""
    return boards.add_boards(plain, BOARDS, popular=[t for _, t in synth.asked(plain, 500)])


def test_boards_leave_the_rest_of_the_registry_as_it_was(plain, data):
    for kind in ("vendors", "tools", "assessments"):
        assert data[kind] == plain[kind]
    assert data["agreements"][:len(plain["agreements"])] == plain["agreements"]
    assert all(a["party"] != "sector" for a in data["agreements"][len(plain["agreements"]):])
    again = synth.bundle(TOOLS)
    assert synth.encode(boards.add_boards(again, BOARDS, popular=[
        t for _, t in synth.asked(again, 500)])) == synth.encode(data)


def test_boards_decide_in_every_way(data):
    assert len(data["boards"]) == BOARDS
    assert len({b["id"] for b in data["boards"]}) == BOARDS
    kinds = Counter((d["decision"], d.get("not_allowed", False), bool(d.get("conditions")))
                    for d in data["board_decisions"])
    assert set(kinds) == {("stricter", True, False), ("stricter", False, True),
                          ("own_approval", False, False), ("own_approval", False, True)}
    pairs = Counter((d["board_id"], d["tool_id"]) for d in data["board_decisions"])
    assert max(pairs.values()) == 1  # one live decision per board and tool
    assert any("ends_on" in d for d in data["board_decisions"])
    assert any(d["decided_on"] > synth.TODAY.isoformat() for d in data["board_decisions"])


def test_the_synthetic_boards_import_as_they_are(tmp_path, data):
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    report = import_source(registry, read_json(synth.encode(data), "bundle.json"), actor="test")
    assert report.ok, report.failure().detail
    assert report.created["boards"] == BOARDS
    assert report.created["board_decisions"] == len(data["board_decisions"])
    registry.close()


def test_teachers_of_a_board_ask_the_same_questions(data):
    asked = synth.asked(data, 500)
    assert [q for q, _ in asked] == synth.queries(data, 500)
    with_boards = boards.asked_with_boards(data, asked)
    assert [q for q, _ in with_boards] == [q for q, _ in asked]
    known = {b["id"] for b in data["boards"]}
    assert {b for _, b in with_boards} <= known
    decided = {(d["board_id"], d["tool_id"]) for d in data["board_decisions"]}
    hits = sum((board, tool_id) in decided for (_, board), (_, tool_id) in zip(with_boards, asked))
    assert len(asked) / 4 < hits < len(asked)  # many meet their board's own decision, not all
