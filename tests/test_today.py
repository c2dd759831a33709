"""The verdict valid on the day asked: published with its next verdict, answered by the check,
the check page and the embed without a new publication, and warned about 60 days ahead."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from registry.app import create_read_app
from registry.cli import main
from registry.db import Registry
from registry.importer import load_demo
from registry.publish import publish
from registry.verdicts import verdict_for
from registry.whitelist import today as today_module
from registry.whitelist.reader import PublishedWhitelist

PUBLISHED_ON = dt.date(2026, 11, 28)
# Sommenstad Oefenen (demo) is allowed on 28 November 2026; its assessment runs out, and
# from 16 January 2027 it is not allowed.
TOOL, CHANGES_ON = "sommenstad-oefenen", dt.date(2027, 1, 16)
AFTER, WEEK_BEFORE, MONTH_BEFORE = (dt.date(2027, 1, 20), dt.date(2027, 1, 9),
                                    dt.date(2026, 12, 17))
WARNING = ("Let op: dit oordeel verandert op 16 januari 2027. Vanaf dan is de tool niet meer "
           "toegestaan: kies dan een andere tool.")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, Path]:
    """(registry, whitelist) with the demo data published on 28 November 2026."""
    folder = tmp_path_factory.mktemp("today")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    publish(registry, folder / "witte-lijst.db", PUBLISHED_ON, "sector")
    registry.close()
    return folder / "registry.db", folder / "witte-lijst.db"


def tools(path: Path) -> dict[str, dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM tools")}
    finally:
        conn.close()


def read_app(path: Path, day: dt.date) -> TestClient:
    return TestClient(create_read_app(path, today=lambda: day))


# --- the publisher ---------------------------------------------------------------------------


def test_each_tool_is_published_with_the_verdict_from_its_change_date_on(published):
    db_path, path = published
    rows = tools(path)
    registry = Registry(db_path)
    try:
        for tool_id, row in rows.items():
            if row["verdict_changes_on"] is None:
                assert row["next_verdict"] is row["next_reasons"] is None
                continue
            then = verdict_for(registry, tool_id, dt.date.fromisoformat(row["verdict_changes_on"]))
            assert (row["next_verdict"], row["next_verdict_label"]) == (then.code, then.label)
            assert json.loads(row["next_conditions"]) == then.conditions
            assert [r["text"] for r in json.loads(row["next_reasons"])] == [
                r.text for r in then.reasons]
            assert row["next_verdict"] != row["verdict"] or row["next_reasons"] != row["reasons"]
    finally:
        registry.close()
    assert (rows[TOOL]["verdict"], rows[TOOL]["next_verdict"]) == ("allowed", "not_allowed")
    assert rows[TOOL]["verdict_changes_on"] == CHANGES_ON.isoformat()


def test_publish_honours_registry_today_and_reports_no_changes_on_unchanged_data(
        tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_DB", str(tmp_path / "registry.db"))
    runner = CliRunner()

    def publish_on(day: str) -> str:
        done = runner.invoke(main, ["publish"], env={"REGISTRY_TODAY": day})
        assert done.exit_code == 0, done.output
        return done.output

    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    registry.close()
    publish_on("2026-11-28")
    assert "0 added, 0 removed, 0 verdict changed" in publish_on("2026-11-28")
    # The day is honoured: a year on, assessments and agreements have run out.
    assert "0 verdict changed" not in publish_on("2027-12-31")


def test_a_malformed_registry_today_is_one_line_for_every_command(tmp_path):
    done = CliRunner().invoke(main, ["export", str(tmp_path / "x.json")],
                              env={"REGISTRY_TODAY": "28-11-2026"})
    assert done.exit_code == 1
    assert done.output.strip() == ("Error: REGISTRY_TODAY must be a date as YYYY-MM-DD, not "
                                   "'28-11-2026'.")


# --- the pure read side ----------------------------------------------------------------------


def test_verdict_on_and_the_warning():
    row = {"verdict": "allowed", "verdict_label": "Toegestaan", "conditions": "[]",
           "reasons": "[]", "verdict_changes_on": "2027-01-16", "next_verdict": "not_allowed",
           "next_verdict_label": "Niet toegestaan", "next_conditions": "[]",
           "next_reasons": '[{"rule":"assessment","passed":false,"text":"Verlopen."}]'}
    before = today_module.verdict_on(row, CHANGES_ON - dt.timedelta(days=1))
    assert (before.verdict, before.changes_on, before.next_verdict) == (
        "allowed", CHANGES_ON, "not_allowed")
    on = today_module.verdict_on(row, CHANGES_ON)
    assert (on.verdict, on.verdict_label, on.reasons, on.changes_on) == (
        "not_allowed", "Niet toegestaan", row["next_reasons"], None)
    assert today_module.warning(before, CHANGES_ON - dt.timedelta(days=60)) == WARNING
    assert today_module.warning(before, CHANGES_ON - dt.timedelta(days=61)) is None
    assert today_module.warning(on, CHANGES_ON) is None
    same = today_module.verdict_on(row | {"next_verdict": "allowed"}, CHANGES_ON - dt.timedelta(1))
    assert today_module.warning(same, CHANGES_ON - dt.timedelta(days=1)) is None  # words only
    older_file = {k: v for k, v in row.items() if not k.startswith("next_")}
    assert today_module.verdict_on(older_file, AFTER).verdict == "allowed"


# --- the check, the page and the embed, without a new publication ---------------------------


def test_past_the_change_date_every_answer_gives_the_new_verdict(published):
    _, path = published
    with read_app(path, AFTER) as client:
        answer = client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()
        tool = answer["tool"]
        assert tool["valid_on"] == "2027-01-20"
        assert (tool["verdict"], tool["verdict_label"]) == ("not_allowed", "Niet toegestaan")
        assert tool["warning"] is None and tool["changes_on"] is None
        assert any(not r["passed"] for r in tool["reasons"])  # the reasons of that day
        # It may no longer be used: allowed tools of its kind are offered instead.
        assert tool["alternatives"] and all(
            a["verdict"] in ("allowed", "allowed_with_conditions") for a in tool["alternatives"])
        page = client.get("/", params={"q": "Sommenstad Oefenen"})
        assert 'class="verdict verdict-not_allowed"' in page.text
        assert "Niet toegestaan" in page.text
        feed = client.get("/api/embed/tools", params={"level": "PO"}).json()
        assert TOOL not in {t["id"] for t in feed["tools"]}
        embed = client.get("/embed", params={"niveau": "PO"})
        assert "Sommenstad Oefenen" not in embed.text
    with read_app(path, PUBLISHED_ON) as client:  # the file itself still says "allowed"
        assert client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()[
            "tool"]["verdict"] == "allowed"
        assert TOOL in {t["id"] for t in client.get(
            "/api/embed/tools", params={"level": "PO"}).json()["tools"]}


@pytest.mark.parametrize("day", [MONTH_BEFORE, WEEK_BEFORE])
def test_within_60_days_of_a_change_every_answer_warns(published, day):
    _, path = published
    with read_app(path, day) as client:
        tool = client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()["tool"]
        assert tool["verdict"] == "allowed"
        assert (tool["changes_on"], tool["next_verdict"], tool["next_verdict_label"]) == (
            "2027-01-16", "not_allowed", "Niet toegestaan")
        assert tool["warning"] == WARNING
        assert WARNING in client.get("/", params={"q": "Sommenstad Oefenen"}).text
        listed = {t["id"]: t for t in client.get(
            "/api/embed/tools", params={"level": "PO"}).json()["tools"]}
        assert listed[TOOL]["warning"] == WARNING
        assert WARNING in client.get("/embed", params={"niveau": "PO"}).text


def test_no_warning_long_before_a_change(published):
    _, path = published
    with read_app(path, PUBLISHED_ON) as client:  # 49 days before: warns
        assert client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()[
            "tool"]["warning"] == WARNING
    with read_app(path, CHANGES_ON - dt.timedelta(days=61)) as client:
        tool = client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()["tool"]
        assert tool["warning"] is None and tool["changes_on"] == "2027-01-16"
        assert "Let op: dit oordeel" not in client.get(
            "/", params={"q": "Sommenstad Oefenen"}).text


def test_kept_answers_never_serve_yesterdays_verdict(published):
    _, path = published
    whitelist = PublishedWhitelist(path)
    try:
        before = json.loads(whitelist.check_json("Sommenstad Oefenen", CHANGES_ON -
                                                 dt.timedelta(days=1))[1])
        assert before["tool"]["verdict"] == "allowed"
        assert len(whitelist._answers) == 1
        after = json.loads(whitelist.check_json("Sommenstad Oefenen", CHANGES_ON)[1])
        assert after["tool"]["verdict"] == "not_allowed"
        assert len(whitelist._answers) == 1  # yesterday's answers are gone
        # The page reads the same kept answers.
        assert whitelist.check_kept("Sommenstad Oefenen", CHANGES_ON).tool.verdict == "not_allowed"
        assert len(whitelist._answers) == 1
    finally:
        whitelist.close()


def test_one_app_follows_the_day_as_it_changes(published):
    _, path = published
    clock = {"day": CHANGES_ON - dt.timedelta(days=1)}
    with TestClient(create_read_app(path, today=lambda: clock["day"])) as client:
        ask = lambda: client.get("/api/check", params={"q": "Sommenstad Oefenen"}).json()  # noqa: E731
        assert ask()["tool"]["verdict"] == "allowed"
        clock["day"] = CHANGES_ON
        assert ask()["tool"]["verdict"] == "not_allowed"


def test_one_reader_over_two_days_drops_an_alternative_that_is_no_longer_allowed(published):
    # The lists of alternatives are kept per file and day (`whitelist/kindred.py`): the day
    # the alternative's verdict changes, the same reader must work the list out again.
    _, path = published
    offering = [t for t in tools(path).values()
                if t["alternatives"] and TOOL in {a["id"] for a in json.loads(t["alternatives"])}]
    assert offering
    whitelist = PublishedWhitelist(path)
    try:
        for tool in offering:
            before = whitelist.check(tool["name"], PUBLISHED_ON).tool
            after = whitelist.check(tool["name"], AFTER).tool
            assert TOOL in {a.id for a in before.alternatives}
            assert TOOL not in {a.id for a in after.alternatives}
    finally:
        whitelist.close()
