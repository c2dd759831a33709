"""The demo bundle in data/demo.json decodes into the records and hangs together."""

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from registry.db import Registry
from registry.importer import load_demo
from registry.models import RECORD_TYPES
from registry.verdict import RecordRef, evaluate
from registry.verdicts import current_policy

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo.json"
KINDS = list(RECORD_TYPES)

# Every host sits under an invented registrable domain that says it is a demo.
DEMO_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*[a-z0-9-]+-demo\.(?:nl|de|be|com)$")


@pytest.fixture(scope="module")
def bundle() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def records(bundle) -> dict[str, list]:
    """Each kind decoded strictly into its input shape, as a client would send it."""
    return {
        kind: [msgspec.convert(obj, RECORD_TYPES[kind][0], strict=True) for obj in bundle[kind]]
        for kind in KINDS
    }


def test_bundle_is_marked_as_demo(bundle):
    assert bundle["demo"] is True
    assert bundle["description"].startswith("Fictieve demonstratiegegevens:")
    assert "bestaan niet" in bundle["description"]
    assert set(bundle) == {"demo", "description", *KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_every_record_decodes(bundle, kind):
    in_type = RECORD_TYPES[kind][0]
    assert bundle[kind], f"no {kind} in the demo bundle"
    for i, obj in enumerate(bundle[kind]):
        try:
            msgspec.convert(obj, in_type, strict=True)
        except msgspec.ValidationError as e:
            pytest.fail(f"{kind}[{i}] ({obj.get('id')}): {e}")


@pytest.mark.parametrize("kind", KINDS)
def test_ids_are_unique_per_kind(records, kind):
    counts = Counter(r.id for r in records[kind])
    assert [i for i, n in counts.items() if n > 1] == []


def test_every_tool_has_a_known_vendor(records):
    vendors = {v.id for v in records["vendors"]}
    assert [(t.id, t.vendor_id) for t in records["tools"] if t.vendor_id not in vendors] == []


def test_every_agreement_covers_known_tools_of_its_own_vendor(records):
    vendors = {v.id for v in records["vendors"]}
    vendor_of = {t.id: t.vendor_id for t in records["tools"]}
    for a in records["agreements"]:
        assert a.vendor_id in vendors, f"agreement {a.id}: unknown vendor {a.vendor_id}"
        for tool_id in a.tool_ids:
            assert tool_id in vendor_of, f"agreement {a.id}: unknown tool {tool_id}"
            assert vendor_of[tool_id] == a.vendor_id, (
                f"agreement {a.id}: tool {tool_id} belongs to {vendor_of[tool_id]}, not {a.vendor_id}"
            )


def test_every_assessment_is_of_a_known_tool(records):
    tools = {t.id for t in records["tools"]}
    assert [(a.id, a.tool_id) for a in records["assessments"] if a.tool_id not in tools] == []


def test_hosts_are_fictional_and_belong_to_one_tool(records):
    owners = Counter(d.host for t in records["tools"] for d in t.domains)
    assert [h for h, n in owners.items() if n > 1] == []
    assert [h for h in owners if not DEMO_HOST.match(h)] == []


def test_vendor_and_tool_names_say_demo(records):
    names = [r.name for kind in ("vendors", "tools") for r in records[kind]]
    assert [n for n in names if not n.endswith(" (demo)")] == []


def test_internal_notes_say_they_are_fictional(records):
    notes = [
        (kind, r.id, r.internal_notes)
        for kind in KINDS
        for r in records[kind]
        if r.internal_notes is not None
    ]
    assert notes, "the demo should show internal notes"
    assert [n for n in notes if not n[2].startswith("Fictieve interne notitie (demo):")] == []


# --- school boards (issue 17) ---------------------------------------------------------------

DEMO_DAY = dt.date(2026, 11, 28)


def test_board_records_hang_together(records):
    boards = {b.id: b for b in records["boards"]}
    tools = {t.id for t in records["tools"]}
    assert set(boards) == {"99001", "99002", "99003"}
    decisions = records["board_decisions"]
    assert [(d.id, d.board_id) for d in decisions if d.board_id not in boards] == []
    assert [(d.id, d.tool_id) for d in decisions if d.tool_id not in tools] == []
    live = Counter((d.board_id, d.tool_id) for d in records["board_decisions"])
    assert [pair for pair, n in live.items() if n > 1] == []
    parties = {a.party for a in records["agreements"]}
    assert parties - {"sector"} <= set(boards) and parties - {"sector"}, "a board agreement"
    schools = Counter(s for b in boards.values() for s in b.schools)
    assert [s for s, n in schools.items() if n > 1] == []
    assert [b.name for b in boards.values() if not b.name.endswith("(fictief)")] == []


def test_the_three_boards_decide_differently_on_one_tool(records):
    """The acceptance's tool: board A follows, B is stricter, C approved it itself."""
    on_tool = {d.board_id: d for d in records["board_decisions"]
               if d.tool_id == "lernfabrik-scheikunde"}
    assert "99001" not in on_tool
    assert (on_tool["99002"].decision, on_tool["99002"].not_allowed) == ("stricter", True)
    assert on_tool["99003"].decision == "own_approval" and on_tool["99003"].conditions


@pytest.fixture(scope="module")
def demo_registry(tmp_path_factory) -> Iterator[Registry]:
    registry = Registry(tmp_path_factory.mktemp("demo") / "registry.db")
    registry.migrate()
    load_demo(registry)
    yield registry
    registry.close()


def test_demo_boards_and_decisions_import(demo_registry, records):
    for kind in ("boards", "board_decisions"):
        stored = {r.id: r for r in demo_registry.all(kind)}
        assert set(stored) == {r.id for r in records[kind]}
        for given in records[kind]:  # every field as given, internal notes too
            assert msgspec.structs.asdict(given).items() <= msgspec.structs.asdict(
                stored[given.id]).items()
    assert [a.id for a in demo_registry.list("agreements", party="99001", limit=None)[0]] == [
        "bordwerk-avv"]
    assert demo_registry.list("agreements", party="99002", limit=None)[0] == []


def test_a_board_agreement_counts_only_for_its_own_board(demo_registry):
    tool = demo_registry.get("tools", "bordwerk-klassenbord")
    agreements, _ = demo_registry.list("agreements", tool=tool.id, limit=None)
    assessments, _ = demo_registry.list("assessments", tool=tool.id, limit=None)
    assert [(a.id, a.party) for a in agreements] == [("bordwerk-avv", "99001")]

    def agreement_reason(board: str | None):
        verdict = evaluate(tool, None, agreements, assessments, current_policy(demo_registry),
                           DEMO_DAY, board=board)
        return next(r for r in verdict.reasons if r.rule == "agreement")

    own = agreement_reason("99001")
    assert own.record == RecordRef(kind="agreement", id="bordwerk-avv")
    for board in (None, "99002", "99003"):  # as if there were no agreement at all
        assert agreement_reason(board).record == RecordRef(kind="tool", id=tool.id), board
        assert "geen verwerkersovereenkomst" in agreement_reason(board).text
