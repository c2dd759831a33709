"""The demo bundle in data/demo.json decodes into the records and hangs together."""

import json
import re
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from registry.models import RECORD_TYPES

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
