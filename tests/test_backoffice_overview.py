"""The overview at /beheer, and what it is built on: the live verdicts kept up to date from the
audit log (`registry.publish.preview`) and the storage queries behind them
(`registry.store.overview`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading

import msgspec
import pytest

from registry import models
from registry.backoffice.overview import expiring
from registry.db import Registry
from registry.importer import load_demo
from registry.models import Role
from registry.policy import Policy
from registry.publish import publish
from registry.publish.preview import LiveVerdicts, read_published
from registry.store import overview as queries
from registry.verdict import VerdictCode
from registry.verdicts import Records, current_policy
from registry.verdicts import expiring as expiring_from_records

TODAY = dt.date(2026, 11, 28)


@pytest.fixture
def backoffice_settings(backoffice_settings):
    """The demo data, published once on `TODAY` as `registry serve` does."""
    return dataclasses.replace(backoffice_settings, demo=True)


@pytest.fixture
def officer(staff_client):
    return staff_client(Role.procurement)


@pytest.fixture
def registry(backoffice_app) -> Registry:
    return backoffice_app.state.registry


def full_codes(registry: Registry, today: dt.date) -> dict[str, VerdictCode]:
    """Every live tool's verdict, worked out from scratch."""
    records = Records.load(registry)
    policy = current_policy(registry)
    return {t: v.code for t, v in records.verdicts(policy, today).items()}


def counts_on_page(html: str) -> dict[str, int]:
    rows = re.findall(r'\?oordeel=(\w+)">.*?</a></th>\s*<td class="number">(\d+)</td>', html)
    return {code: int(n) for code, n in rows}


def edited(tool: models.Tool, **changes) -> models.ToolIn:
    fields = {f: getattr(tool, f) for f in models.ToolIn.__struct_fields__}
    return models.ToolIn(**fields | changes)


# --- the page ----------------------------------------------------------------------------------


def test_the_overview_counts_every_live_tool_by_its_verdict(officer, registry):
    page = officer.get("/beheer")
    assert page.status_code == 200
    expected = {code.value: 0 for code in VerdictCode}
    for code in full_codes(registry, TODAY).values():
        expected[code] += 1
    assert counts_on_page(page.text) == expected
    assert sum(expected.values()) == 26 and expected["not_allowed"] == 9
    assert 'aria-current="page">Overzicht' in page.text


def test_the_overview_names_the_last_publication_and_that_the_next_changes_nothing(officer):
    page = officer.get("/beheer").text
    assert re.search(r"<strong>versie 1</strong>, gepubliceerd op\s+\d{1,2} \w+ \d{4} om "
                     r"\d\d:\d\d door demo-data", page)
    assert "Een nieuwe publicatie zou nu <strong>niets veranderen</strong>" in page


def test_a_change_shows_in_the_counts_and_in_what_the_next_publication_would_change(
        officer, registry, backoffice_app):
    officer.get("/beheer")
    tool = registry.get("tools", "noorderlicht-rekenen")
    registry.update("tools", tool.id, edited(tool, data_locations=[]), "inkoop@school.example",
                    None)
    page = officer.get("/beheer").text
    counts = counts_on_page(page)
    assert counts["allowed"] == 7 and counts["not_allowed"] == 10
    assert "Een nieuwe publicatie zou nu <strong>1 tool</strong>" in page
    assert "1 met een ander oordeel" in page
    row = re.search(r'<a href="/beheer/tools/noorderlicht-rekenen">(.*?)</a></td>\s*'
                    r'<td><span class="verdict verdict-allowed">Toegestaan</span></td>\s*'
                    r'<td><span class="verdict verdict-not_allowed">Niet toegestaan</span>', page)
    assert row and row[1] == tool.name
    # Only the changed tool was worked out again, not all 26.
    assert backoffice_app.state.overview_keeper.verdicts.evaluated == 1


def test_what_expires_within_90_days_links_to_the_record(officer):
    page = officer.get("/beheer").text
    row = re.search(r'<a href="/beheer/overeenkomsten/sommenstad-2025">Verwerkersovereenkomst '
                    r'sommenstad-2025</a></td>\s*<td>(.*?)</td>\s*<td>15 januari 2027</td>\s*'
                    r'<td class="number">48 dagen</td>', page)
    assert row and row[1].startswith("Sommenstad B.V. (demo): ")


def test_open_review_requests_are_listed_most_asked_first(officer, registry):
    page = officer.get("/beheer").text
    assert "Er zijn geen open verzoeken." in page
    registry.reviews.request(models.ReviewRequestIn(url="https://quizzer.example/"),
                             "quizzer.example", None)
    for _ in range(3):
        registry.reviews.request(models.ReviewRequestIn(tool_name="Woordwolk"), None, "woordwolk")
    page = officer.get("/beheer").text
    assert "Er zijn 2 open verzoeken" in page
    rows = re.findall(r"<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td class=\"number\">(\d+) keer",
                      page)
    assert rows == [("Woordwolk", "", "3"), ("(geen naam)", "quizzer.example", "1")]


def test_the_overview_needs_a_signed_in_officer(backoffice_client, staff_client):
    answer = backoffice_client.get("/beheer", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/beheer/inloggen?volgende=%2Fbeheer"
    waiting = staff_client(None)
    assert waiting.get("/beheer").status_code == 403


def test_while_every_verdict_is_worked_out_the_page_says_so_and_does_not_wait(
        officer, backoffice_app):
    from registry.backoffice.overview import Keeper

    release, started = threading.Event(), threading.Event()
    state = backoffice_app.state
    kept = state.overview_keeper = Keeper(state.registry.path, state.settings.whitelist,
                                          wait_seconds=0)
    refresh = kept.verdicts.refresh

    def slow_refresh(*args):
        started.set()
        release.wait()
        refresh(*args)

    kept.verdicts.refresh = slow_refresh
    page = officer.get("/beheer").text
    assert "De oordelen van alle tools worden nu uitgerekend" in page
    assert "Verloopt binnen 90 dagen" in page  # the rest of the page is there
    assert started.wait(timeout=30)  # the work began in the background (it may lag the page)
    running = kept._running
    release.set()
    running.join()
    kept.wait_seconds = 30
    page = officer.get("/beheer").text
    assert "worden nu uitgerekend" not in page
    assert counts_on_page(page)["not_allowed"] == 9


# --- live verdicts kept up to date -------------------------------------------------------------


@pytest.fixture
def demo(tmp_path) -> Registry:
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    yield registry
    registry.close()


def test_live_verdicts_follow_every_kind_of_change(demo):
    live = LiveVerdicts()
    live.refresh(demo, TODAY, None)
    assert live.evaluated == 26 and live.codes == full_codes(demo, TODAY)

    tool = demo.get("tools", "noorderlicht-rekenen")
    demo.update("tools", tool.id, edited(tool, data_locations=["US"]), "t", None)
    agreement = demo.get("agreements", "sommenstad-2025")
    demo.archive("agreements", agreement.id, "t", None)
    assessment = demo.all("assessments")[0]
    demo.archive("assessments", assessment.id, "t", None)
    vendor = demo.get("vendors", "denkvonk")
    demo.archive("vendors", vendor.id, "t", None)
    live.refresh(demo, TODAY, None)
    assert live.codes == full_codes(demo, TODAY)
    touched = {tool.id, *agreement.tool_ids, assessment.tool_id,
               *(t.id for t in demo.all("tools") if t.vendor_id == "denkvonk")}
    assert live.evaluated == len(touched)
    assert live.unlisted == {t.id for t in demo.all("tools") if t.vendor_id == "denkvonk"}

    demo.archive("tools", tool.id, "t", None)
    live.refresh(demo, TODAY, None)
    assert tool.id not in live.codes and live.codes == full_codes(demo, TODAY)


def test_live_verdicts_work_out_again_what_changes_by_itself_when_days_pass(demo):
    live = LiveVerdicts()
    live.refresh(demo, TODAY, None)
    later = dt.date(2027, 6, 1)
    live.refresh(demo, later, None)
    assert live.codes == full_codes(demo, later)
    assert live.codes != full_codes(demo, TODAY)  # the demo's dates do run out
    assert 0 < live.evaluated < 26


def test_a_new_policy_means_every_verdict_again(demo):
    live = LiveVerdicts()
    live.refresh(demo, TODAY, None)
    policy = msgspec.to_builtins(current_policy(demo))
    policy["version"] = "2027.1"
    policy["rules"]["residual_risk"]["maximum"] = "low"
    demo.policies.save(policy, "sector", None)
    live.refresh(demo, TODAY, None)
    assert live.evaluated == 26 and live.policy_version == "2027.1"
    assert live.codes == full_codes(demo, TODAY)


def test_live_verdicts_start_from_the_published_file_and_redo_only_what_it_may_lack(
        demo, tmp_path):
    out = tmp_path / "witte-lijst.db"
    publish(demo, out, TODAY, "sector")
    tool = demo.get("tools", "noorderlicht-rekenen")
    demo.update("tools", tool.id, edited(tool, data_locations=[]), "t", None)
    publish(demo, out, TODAY, "sector")  # version 2: may lack what changed after version 1
    other = demo.get("tools", "sommenstad-oefenen")
    demo.update("tools", other.id, edited(other, data_locations=["CN"]), "t", None)
    demo.archive("vendors", "denkvonk", "t", None)
    published = read_published(out)
    assert published.version == 2

    live = LiveVerdicts()
    later = dt.date(2027, 2, 1)
    live.refresh(demo, later, published)
    assert live.codes == full_codes(demo, later)
    assert live.evaluated < 26

    upcoming = live.next_publication(published)
    denkvonk = sorted(t.id for t in demo.all("tools") if t.vendor_id == "denkvonk")
    assert upcoming.removed == denkvonk and upcoming.added == []
    assert ("sommenstad-oefenen", published.verdicts["sommenstad-oefenen"], "not_allowed") \
        in upcoming.verdict_changed
    # What the next publication would change is what it does change.
    done = publish(demo, out, later, "sector")
    assert (done.changes.added, done.changes.removed, done.changes.verdict_changed) == (
        len(upcoming.added), len(upcoming.removed), len(upcoming.verdict_changed))


def test_a_file_of_another_policy_is_not_a_start(demo, tmp_path):
    out = tmp_path / "witte-lijst.db"
    publish(demo, out, TODAY, "sector")
    publish(demo, out, TODAY, "sector")
    policy = msgspec.to_builtins(current_policy(demo)) | {"version": "2027.1"}
    demo.policies.save(policy, "sector", None)
    live = LiveVerdicts()
    live.refresh(demo, TODAY, read_published(out))
    assert live.evaluated == 26


# --- the storage queries -----------------------------------------------------------------------


def test_the_tools_an_event_concerns_follow_the_declared_references(demo):
    start = queries.last_event_id(demo.store)
    assert queries.tools_touched_since(demo.store, start) == set()
    agreement = demo.get("agreements", "sommenstad-2025")
    demo.archive("agreements", agreement.id, "t", None)
    assert queries.tools_touched_since(demo.store, start) == set(agreement.tool_ids)
    mark = queries.last_event_id(demo.store)
    demo.archive("vendors", "denkvonk", "t", None)
    assert queries.tools_touched_since(demo.store, mark) == {
        t.id for t in demo.all("tools") if t.vendor_id == "denkvonk"}
    assert queries.live_tools_of_archived_vendors(demo.store) == sorted(
        t.id for t in demo.all("tools") if t.vendor_id == "denkvonk")


@pytest.mark.parametrize("today", [TODAY, dt.date(2027, 1, 15), dt.date(2027, 3, 1),
                                   dt.date(2027, 9, 30), dt.date(2028, 2, 29)])
def test_what_expires_is_what_the_verdicts_say_expires(demo, today):
    policy = current_policy(demo)
    expected = [(e.kind, e.id, e.last_valid_day)
                for e in expiring_from_records(Records.load(demo), policy, today, 90)]
    items, total = expiring(demo, today, shown=None)
    found = [(e.kind, e.id, e.last_day) for e in items]
    assert found == expected and total == len(expected)
    assert found  # each of these days has something expiring in the demo data
    first, same_total = expiring(demo, today, shown=1)
    assert [(e.kind, e.id, e.last_day) for e in first] == expected[:1] and same_total == total


def test_expiring_follows_the_policys_reassessment_interval(demo):
    policy = msgspec.convert(msgspec.to_builtins(current_policy(demo)), Policy)
    months = policy.rules.reassessment.interval_months
    document = msgspec.to_builtins(policy) | {"version": "2027.1"}
    document["rules"]["reassessment"]["interval_months"] = months - 6
    demo.policies.save(document, "sector", None)
    day = dt.date(2027, 3, 1)
    expected = [(e.kind, e.id, e.last_valid_day) for e in expiring_from_records(
        Records.load(demo), current_policy(demo), day, 90)]
    assert [(e.kind, e.id, e.last_day) for e in expiring(demo, day, shown=None)[0]] == expected
