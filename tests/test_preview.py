"""The preview of the next publication (registry/publish/prepare.py): tools added, removed,
each verdict changed from what to what and why, the same as `registry publish --dry-run`,
which changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from registry import models
from registry.cli import main
from registry.db import Registry
from registry.importer import load_demo
from registry.publish import publish
from registry.publish.prepare import preview, preview_lines
from registry.verdicts import verdict_for

TODAY = dt.date(2026, 11, 28)
RECORDS = json.loads((Path(__file__).parent / "records.json").read_text())


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Registry, Path]:
    """The demo registry with version 1 published, then three changes: a tool added, a tool
    archived, and the Noorderlicht agreement archived (its three tools lose their verdict)."""
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    out = tmp_path / "witte-lijst.db"
    publish(registry, out, TODAY, "sector")
    vendor = registry.get("tools", "sommenstad-oefenen").vendor_id
    tool = RECORDS["tools"] | {"id": "nieuwe-rekentool", "name": "Nieuwe Rekentool",
                                  "vendor_id": vendor,
                                  "domains": [{"host": "nieuwe-rekentool.example",
                                               "include_subdomains": False}]}
    registry.create("tools", msgspec.convert(tool, models.ToolIn), "inkoop")
    registry.archive("tools", "bordwerk-klassenbord", "inkoop", None)
    registry.archive("agreements", "noorderlicht-2024", "inkoop", None)
    yield registry, out
    registry.close()


def published_changes(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT tool_id, change, before, after, reason FROM changes "
                            "ORDER BY tool_id").fetchall()


def test_the_preview_lists_what_changes_from_what_to_what_and_why(demo):
    registry, out = demo
    found = preview(registry, out, TODAY)
    assert (found.since_version, found.added, found.removed, found.verdict_changed,
            found.total) == (1, 1, 1, 3, 5)
    by_id = {c.tool_id: c for c in found.changes}
    assert [(c.change, c.tool_id) for c in found.changes] == [
        ("added", "nieuwe-rekentool"), ("removed", "bordwerk-klassenbord"),
        ("verdict_changed", "noorderlicht-rekenen"), ("verdict_changed", "noorderlicht-taal"),
        ("verdict_changed", "noorderlicht-wereld")]
    changed = by_id["noorderlicht-rekenen"]
    assert (changed.before, changed.after) == ("allowed", "not_allowed")
    failing = [r.text for r in verdict_for(registry, "noorderlicht-rekenen", TODAY).reasons
               if not r.passed]
    assert failing and changed.failing == failing
    assert failing[0] in changed.reason  # the rule that now fails says why
    assert "‘Toegestaan’ in ‘Niet toegestaan’" in changed.reason
    assert (by_id["bordwerk-klassenbord"].before, by_id["bordwerk-klassenbord"].after) == (
        "not_allowed", None)
    assert by_id["nieuwe-rekentool"].before is None
    assert by_id["nieuwe-rekentool"].after == "not_assessed"

    # The publication itself says exactly the same, sentence for sentence.
    publish(registry, out, TODAY, "sector")
    assert published_changes(out) == sorted(
        (c.tool_id, c.change, c.before, c.after, c.reason) for c in found.changes)
    assert preview(registry, out, TODAY).total == 0


def test_a_long_preview_lists_the_first_changes_and_counts_them_all(demo):
    registry, out = demo
    found = preview(registry, out, TODAY, limit=2)
    assert found.total == 5 and len(found.changes) == 2
    assert [c.tool_id for c in found.changes] == ["nieuwe-rekentool", "bordwerk-klassenbord"]


def test_dry_run_prints_the_preview_and_changes_nothing(demo, monkeypatch):
    registry, out = demo
    monkeypatch.setenv("REGISTRY_TODAY", TODAY.isoformat())
    before = out.read_bytes()
    versions = [p["version"] for p in registry.publications.all()]
    expected = preview_lines(preview(registry, out, TODAY, limit=None))
    result = CliRunner().invoke(main, ["publish", "--dry-run", "--db", str(registry.path),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == expected
    assert expected[0] == ("Dry run on 2026-11-28: publishing now would change 5 tools since "
                           "version 1: 1 added, 1 removed, 3 verdict changed. Nothing was "
                           "changed.")
    assert expected[3].startswith("verdict changed: noorderlicht-rekenen (Noorderlicht Rekenen")
    assert "allowed -> not_allowed." in expected[3]
    assert out.read_bytes() == before
    assert [p["version"] for p in registry.publications.all()] == versions
    assert not (out.parent / "voorbereid").exists()


def test_publish_says_who_published(demo, monkeypatch):
    registry, out = demo
    monkeypatch.setenv("REGISTRY_TODAY", TODAY.isoformat())
    result = CliRunner().invoke(main, ["publish", "--db", str(registry.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    actor = registry.publications.all()[0]["actor"]
    assert actor.startswith("cli")
    assert result.output.strip().endswith(f"verdict changed. Published by {actor}.")
    assert "the shell is trusted" in CliRunner().invoke(main, ["publish", "--help"]).output
