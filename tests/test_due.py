"""The due publication and the daily jobs: once a day, when a served verdict reached its change
day; never twice (two workers, two processes); never with changes nobody approved."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import queue
import sqlite3
import subprocess
import sys
import time
import types
from contextlib import closing
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry import models
from registry.app import Settings, create_app, prepare
from registry.db import Registry
from registry.models import Role
from registry.publish import builder, due, incremental, publish, rollback
from registry.publish.recovery import served_publication
from registry.schedule import DailyJobs
from registry.store import jobs
from registry.whitelist.app import create_read_app

PUBLISHED_ON = dt.date(2026, 11, 28)
DUE_ON = dt.date(2027, 1, 16)
"""Sommenstad Oefenen's agreement ran out on 15 January 2027: from the 16th not allowed."""
TOOL = "sommenstad-oefenen"
TOOL_URL = "https://oefenen.sommenstad-demo.nl/"


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, Path]:
    """(registry database, whitelist): the demo data published on 28 November 2026."""
    settings = Settings(db_path=tmp_path / "registry.db", today=lambda: PUBLISHED_ON)
    prepare(settings)
    return settings.db_path, settings.whitelist


def query(path: Path, sql: str, params=()) -> list[dict]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def versions(db_path: Path) -> list[dict]:
    return query(db_path, "SELECT version, actor, restores_version FROM publications "
                          "ORDER BY version")


def runs(db_path: Path) -> list[dict]:
    return query(db_path, "SELECT job, day, outcome FROM job_runs ORDER BY day")


def tool_row(whitelist: Path, tool_id: str) -> dict | None:
    found = query(whitelist, "SELECT * FROM tools WHERE id = ?", [tool_id])
    return found[0] if found else None


def edit_tool(registry: Registry, tool_id: str, **changes) -> None:
    tool = registry.get("tools", tool_id)
    fields = {f: getattr(tool, f) for f in models.ToolIn.__struct_fields__}
    registry.update("tools", tool_id, models.ToolIn(**fields | changes), "inkoop", None)


def test_a_due_publication_happens_once_and_the_check_answers_the_new_verdict(demo):
    db_path, whitelist = demo
    assert due.is_due(whitelist, DUE_ON)
    assert tool_row(whitelist, TOOL)["verdict"] == "allowed"

    publication = due.publish_if_due(db_path, whitelist, DUE_ON)

    assert publication.version == 2
    assert publication.actor == "automatisch"
    assert publication.changes.verdict_changed >= 1
    assert due.publish_if_due(db_path, whitelist, DUE_ON) is None  # the same day: done
    assert [v["version"] for v in versions(db_path)] == [1, 2]
    assert runs(db_path) == [{"job": "due-publication", "day": "2027-01-16",
                              "outcome": "published version 2"}]
    served = served_publication(whitelist)
    assert (served["version"], served["evaluated_on"]) == (2, "2027-01-16")
    assert tool_row(whitelist, TOOL)["verdict"] == "not_allowed"
    assert not due.is_due(whitelist, DUE_ON)
    with TestClient(create_read_app(whitelist, today=lambda: DUE_ON)) as client:
        answer = client.get("/api/check", params={"q": TOOL_URL}).json()
    assert (answer["tool"]["id"], answer["tool"]["verdict"]) == (TOOL, "not_allowed")


def test_a_due_publication_of_unchanged_records_is_incremental_with_a_full_builds_content(
        demo, tmp_path, monkeypatch):
    db_path, whitelist = demo
    registry = Registry(db_path)
    full = builder.build(registry, whitelist, DUE_ON, full=True, ready=tmp_path / "full.db")
    registry.close()
    patched = []
    build = incremental.build
    monkeypatch.setattr(incremental, "build", lambda *a, **k: patched.append(1) or build(*a, **k))

    publication = due.publish_if_due(db_path, whitelist, DUE_ON)

    assert patched == [1]  # from the served file, not from every record
    assert publication.sha256 == full.publication.sha256
    assert publication.changes == full.publication.changes
    assert query(db_path, "SELECT event_id IS NOT NULL AS known FROM publications "
                          "WHERE version = 2") == [{"known": 1}]


def test_nothing_is_published_when_nothing_is_due(demo):
    db_path, whitelist = demo
    assert not due.is_due(whitelist, PUBLISHED_ON)
    assert not due.is_due(whitelist, DUE_ON - dt.timedelta(days=1))  # the day before

    assert due.publish_if_due(db_path, whitelist, PUBLISHED_ON) is None

    assert [v["version"] for v in versions(db_path)] == [1]
    assert runs(db_path) == [{"job": "due-publication", "day": "2026-11-28",
                              "outcome": "not due"}]


def test_a_change_after_the_last_publication_waits_for_the_next_approved_one(demo):
    db_path, whitelist = demo
    registry = Registry(db_path)
    try:
        edit_tool(registry, TOOL, name="Sommenstad Nieuw")
        registry.archive("tools", "bordwerk-klassenbord", "inkoop", None)
    finally:
        registry.close()

    assert due.publish_if_due(db_path, whitelist, DUE_ON).version == 2

    row = tool_row(whitelist, TOOL)
    assert (row["name"], row["verdict"]) == ("Sommenstad Oefenen (demo)", "not_allowed")
    assert tool_row(whitelist, "bordwerk-klassenbord") is not None
    registry = Registry(db_path)
    try:  # the next publication, as publishers approve it, has them
        publish(registry, whitelist, DUE_ON, "sector")
    finally:
        registry.close()
    assert tool_row(whitelist, TOOL)["name"] == "Sommenstad Nieuw"
    assert tool_row(whitelist, "bordwerk-klassenbord") is None


def test_the_records_read_back_from_the_log_build_the_same_content(demo):
    db_path, whitelist = demo
    registry = Registry(db_path)
    try:
        event_id, policy_version = due.basis(registry)
        as_logged = builder.build(registry, whitelist, DUE_ON, source=lambda r: (
            due.records_as_of(r, event_id), due.policy_version_of(r, policy_version)))
        as_now = builder.build(registry, whitelist, DUE_ON, source=builder.current_records)
        fast = builder.build(registry, whitelist, DUE_ON, source=due.due_source(registry))
        try:
            assert as_logged.publication.sha256 == as_now.publication.sha256
            assert fast.publication.sha256 == as_now.publication.sha256
        finally:
            for built in (as_logged, as_now, fast):
                built.discard()
    finally:
        registry.close()


def test_after_a_rollback_the_due_publication_keeps_the_restored_content(demo):
    db_path, whitelist = demo
    registry = Registry(db_path)
    try:
        registry.archive("tools", "bordwerk-klassenbord", "inkoop", None)
        publish(registry, whitelist, PUBLISHED_ON, "sector")
        rollback.restore(registry, whitelist, 1, "sector")
    finally:
        registry.close()
    assert tool_row(whitelist, "bordwerk-klassenbord") is not None

    assert due.publish_if_due(db_path, whitelist, DUE_ON).version == 4
    assert tool_row(whitelist, "bordwerk-klassenbord") is not None  # v1's records, a day on
    assert due.publish_if_due(db_path, whitelist, DUE_ON + dt.timedelta(days=400)).version == 5
    assert tool_row(whitelist, "bordwerk-klassenbord") is not None  # and the next day's too


CONCURRENT = """
import datetime as dt, sys
from pathlib import Path
from registry.publish.due import publish_if_due
done = publish_if_due(Path(sys.argv[1]), Path(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]))
print(done.version if done else "-")
"""


def test_two_processes_at_once_publish_once(demo):
    db_path, whitelist = demo
    args = [sys.executable, "-c", CONCURRENT, str(db_path), str(whitelist), DUE_ON.isoformat()]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    said = sorted(p.communicate(timeout=120)[0].strip() for p in processes)
    assert [p.returncode for p in processes] == [0, 0]
    assert said == ["-", "2"]
    assert [v["version"] for v in versions(db_path)] == [1, 2]
    assert len(runs(db_path)) == 1


# --- the daily jobs --------------------------------------------------------------------------


def test_daily_jobs_run_at_start_and_on_each_new_day_and_survive_a_failure(caplog):
    days = [dt.date(2027, 1, 15)]
    settings = types.SimpleNamespace(today=lambda: days[-1])
    ran: queue.Queue = queue.Queue()

    def failing(settings, today):
        raise RuntimeError("de schijf is stuk")

    def counting(settings, today):
        ran.put(today)
        return "ok"

    async def scenario() -> DailyJobs:
        daily = DailyJobs(settings, [("failing", failing), ("counting", counting)],
                          interval=3600)
        daily.start()
        assert await asyncio.to_thread(ran.get, True, 30) == days[0]
        days.append(dt.date(2027, 1, 16))
        daily.wake()
        assert await asyncio.to_thread(ran.get, True, 30) == days[1]
        assert daily.running
        await daily.stop()
        assert not daily.running
        return daily

    with caplog.at_level(logging.INFO, logger="registry.schedule"):
        daily = asyncio.run(scenario())

    assert [(name, day) for name, day, _ in daily.done] == [
        ("failing", days[0]), ("counting", days[0]), ("failing", days[1]), ("counting", days[1])]
    assert daily.done[1][2] == "ok"
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failures == [
        "Daily job failing of 2027-01-15 failed: RuntimeError: de schijf is stuk",
        "Daily job failing of 2027-01-16 failed: RuntimeError: de schijf is stuk"]


def test_the_app_runs_the_daily_jobs_only_when_told(tmp_path):
    for daily_jobs in (False, True):
        settings = Settings(db_path=tmp_path / f"{daily_jobs}.db", today=lambda: PUBLISHED_ON,
                            daily_jobs=daily_jobs)
        app = create_app(settings)
        with TestClient(app):
            jobs_of_app = app.state.get("daily_jobs")
            assert (jobs_of_app is not None and jobs_of_app.running) is daily_jobs
        assert jobs_of_app is None or not jobs_of_app.running  # stopped at shutdown


# --- through `registry serve` with two workers ----------------------------------------------------


@pytest.mark.server
def test_registry_serve_with_two_workers_publishes_once(demo, server_factory, monkeypatch):
    db_path, whitelist = demo
    registry = Registry(db_path)
    try:
        _, secret = registry.tokens.create("sector", Role.publisher)
    finally:
        registry.close()
    monkeypatch.setenv("REGISTRY_TODAY", DUE_ON.isoformat())
    server = server_factory(db_path, workers=2)
    headers = {"Authorization": f"Bearer {secret}"}
    with server.client(headers=headers) as client:
        deadline = time.monotonic() + 60
        published = []
        while len(published) < 2 and time.monotonic() < deadline:
            published = client.get("/api/publications").json()
        assert [p["version"] for p in published] == [2, 1], server.output
        assert published[0]["actor"] == "automatisch"
        # Both workers tried: one published, the other found the day claimed.
        lines = ("Due publication of 2027-01-16: published version 2.",
                 "Due publication of 2027-01-16: claimed by another process already.")
        while not all(line in server.output for line in lines) and time.monotonic() < deadline:
            assert len(client.get("/api/publications").json()) == 2
        assert all(line in server.output for line in lines), server.output
        assert len(client.get("/api/publications").json()) == 2
        answer = client.get("/api/check", params={"q": TOOL_URL}).json()
        assert (answer["tool"]["id"], answer["tool"]["verdict"]) == (TOOL, "not_allowed")
    assert runs(db_path) == [{"job": "due-publication", "day": "2027-01-16",
                              "outcome": "published version 2"}]
    assert tool_row(whitelist, TOOL)["verdict"] == "not_allowed"


def test_the_command_publishes_only_what_is_due(demo, monkeypatch):
    from click.testing import CliRunner

    from registry.cli import main

    db_path, whitelist = demo
    command = ["publish", "--if-due", "--db", str(db_path), "--out", str(whitelist)]
    monkeypatch.setenv("REGISTRY_TODAY", (DUE_ON - dt.timedelta(days=1)).isoformat())
    early = CliRunner().invoke(main, command)
    assert early.exit_code == 0 and early.output.startswith("Nothing is due")
    monkeypatch.setenv("REGISTRY_TODAY", DUE_ON.isoformat())
    due_day = CliRunner().invoke(main, command)
    assert due_day.exit_code == 0, due_day.output
    assert due_day.output.startswith(f"Published version 2 to {whitelist}: 26 tools")
    assert due_day.output.strip().endswith("Published by automatisch.")
    again = CliRunner().invoke(main, command)
    assert again.output.startswith("Nothing is due")
    assert [v["version"] for v in versions(db_path)] == [1, 2]
    assert tool_row(whitelist, TOOL)["verdict"] == "not_allowed"


def test_a_failed_job_is_tried_again_the_same_day_and_the_others_are_not():
    day = dt.date(2027, 1, 15)
    settings = types.SimpleNamespace(today=lambda: day)
    attempts: list[int] = []
    ran: queue.Queue = queue.Queue()

    def flaky(settings, today):  # the mail server is down at the first try
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionRefusedError("de e-mailserver antwoordt niet")
        ran.put("flaky")
        return "sent"

    def counting(settings, today):
        ran.put("counting")
        return "ok"

    async def scenario() -> DailyJobs:
        daily = DailyJobs(settings, [("flaky", flaky), ("counting", counting)], interval=3600)
        daily.start()
        assert await asyncio.to_thread(ran.get, True, 30) == "counting"
        daily.wake()  # the next check of the same day
        assert await asyncio.to_thread(ran.get, True, 30) == "flaky"
        await daily.stop()
        return daily

    daily = asyncio.run(scenario())
    assert [(name, outcome) for name, _, outcome in daily.done] == [
        ("flaky", "failed: ConnectionRefusedError: de e-mailserver antwoordt niet"),
        ("counting", "ok"), ("flaky", "sent")]
