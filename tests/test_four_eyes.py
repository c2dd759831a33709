"""Four eyes (registry/publish/prepare.py, the API and /beheer/publiceren): one publisher
prepares a publication or a policy, another approves it; the preparer cannot approve their
own, and a change after the preparation blocks the approval until it is prepared again."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from registry.app import Settings
from registry.models import Role
from registry.publish import content_sha256, publish

TODAY = dt.date(2026, 11, 28)
PAGE = "/beheer/publiceren"
APPROVE_BUTTON = "Goedkeuren en publiceren"


class Day:
    """The app's clock of verdicts, moved by the test."""

    def __init__(self) -> None:
        self.day = TODAY

    def __call__(self) -> dt.date:
        return self.day


@pytest.fixture
def day() -> Day:
    return Day()


@pytest.fixture
def four_eyes() -> bool:
    """On, as by default; a test parametrizes it to turn it off."""
    return True


@pytest.fixture
def backoffice_settings(backoffice_settings: Settings, day: Day, four_eyes: bool) -> Settings:
    """The demo data, published as version 1 on start."""
    return dataclasses.replace(backoffice_settings, demo=True, today=day, four_eyes=four_eyes)


@pytest.fixture
def registry(backoffice_app):
    return backoffice_app.state.registry


@pytest.fixture
def api(backoffice_client, registry):
    """The app's client and Authorization headers of two publishers and procurement."""
    backoffice_client.auth_for = {
        name: {"Authorization": f"Bearer {registry.tokens.create(name, role)[1]}"}
        for name, role in (("anna", Role.publisher), ("bram", Role.publisher),
                           ("inkoop", Role.procurement))}
    return backoffice_client


@pytest.fixture
def whitelist(backoffice_settings: Settings) -> Path:
    return backoffice_settings.whitelist


def served(path: Path) -> tuple[int, str, str]:
    """(version, recorded sha256, sha256 of the content) of the served whitelist."""
    with closing(sqlite3.connect(path)) as conn:
        version, sha256 = conn.execute("SELECT version, sha256 FROM publication").fetchone()
        return version, sha256, content_sha256(conn)


def archive_a_tool(registry, tool_id: str = "bordwerk-klassenbord") -> None:
    registry.archive("tools", tool_id, "inkoop", None)


def prepare(api, who: str = "anna") -> dict:
    answer = api.post("/api/publications/prepared", headers=api.auth_for[who])
    assert answer.status_code == 201, answer.text
    return answer.json()


def approve(api, prepared_id: str, who: str = "bram"):
    return api.post(f"/api/publications/prepared/{prepared_id}/approve",
                    headers=api.auth_for[who])


def form(client, path: str) -> object:
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get(PAGE).text)[1]
    return client.post(path, data={"_csrf_token": token}, follow_redirects=False)


# --- the API -----------------------------------------------------------------------------------


def test_another_publisher_approves_and_the_frozen_content_is_served(api, registry, whitelist):
    archive_a_tool(registry)
    prepared = prepare(api)
    assert (prepared["status"], prepared["prepared_by"], prepared["version"],
            prepared["base_version"]) == ("prepared", "anna", 2, 1)
    assert prepared["changes"]["removed"] == 1
    assert prepared["changes"]["changes"][0] | {"reason": None} == {
        "tool_id": "bordwerk-klassenbord", "name": "Bordwerk Klassenbord (demo)",
        "change": "removed", "before": "not_allowed", "after": None, "reason": None,
        "failing": []}
    assert served(whitelist)[0] == 1  # nothing is served before the approval

    own = approve(api, prepared["id"], "anna")
    assert own.status_code == 403
    assert own.headers["content-type"] == "application/problem+json"
    assert "yourself" in own.json()["detail"] and served(whitelist)[0] == 1

    done = approve(api, prepared["id"], "bram")
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["version"], body["prepared_by"], body["approved_by"], body["actor"]) == (
        2, "anna", "bram", "bram")
    assert served(whitelist) == (2, prepared["sha256"], prepared["sha256"])
    latest = registry.publications.all()[0]
    assert (latest["prepared_by"], latest["approved_by"], latest["sha256"]) == (
        "anna", "bram", prepared["sha256"])
    listed = api.get("/api/publications/prepared", headers=api.auth_for["inkoop"]).json()
    assert [(p["id"], p["status"]) for p in listed] == [(prepared["id"], "approved")]
    assert list((whitelist.parent / "voorbereid").iterdir()) == []
    again = approve(api, prepared["id"], "bram")
    assert again.status_code == 409  # decided: never served twice


def test_a_record_change_after_preparation_blocks_approval_until_prepared_again(
        api, registry, whitelist):
    first = prepare(api)
    archive_a_tool(registry)
    blocked = approve(api, first["id"])
    assert blocked.status_code == 409
    assert blocked.headers["content-type"] == "application/problem+json"
    assert "records changed after it was prepared" in blocked.json()["detail"]
    assert "Prepare it again" in blocked.json()["detail"]
    assert served(whitelist)[0] == 1

    second = prepare(api)
    assert second["changes"]["removed"] == 1
    statuses = {p["id"]: p["status"] for p in
                api.get("/api/publications/prepared", headers=api.auth_for["anna"]).json()}
    assert statuses == {first["id"]: "superseded", second["id"]: "prepared"}
    assert [p.name for p in (whitelist.parent / "voorbereid").iterdir()] == [
        f"{second['id']}.db"]
    assert approve(api, second["id"]).status_code == 201
    assert served(whitelist)[:2] == (2, second["sha256"])


def test_a_publication_in_between_blocks_the_approval(api, registry, whitelist, day):
    prepared = prepare(api)
    publish(registry, whitelist, day(), "cli:operator")
    blocked = approve(api, prepared["id"])
    assert blocked.status_code == 409
    assert "another publication was recorded" in blocked.json()["detail"]
    assert served(whitelist)[0] == 2


def test_another_day_blocks_the_approval(api, day):
    prepared = prepare(api)
    day.day = TODAY + dt.timedelta(days=1)
    blocked = approve(api, prepared["id"])
    assert blocked.status_code == 409
    assert "prepared on another day" in blocked.json()["detail"]


def test_a_prepared_file_changed_on_disk_is_not_served(api, whitelist):
    prepared = prepare(api)
    path = whitelist.parent / "voorbereid" / f"{prepared['id']}.db"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE tools SET name = 'Vervalst' WHERE rowid = 1")
    blocked = approve(api, prepared["id"])
    assert blocked.status_code == 409
    assert "no longer matches the sha256" in blocked.json()["detail"]
    assert served(whitelist)[0] == 1


def test_a_file_a_killed_preparation_left_is_removed_by_the_next_one(api, whitelist):
    folder = whitelist.parent / "voorbereid"
    folder.mkdir(exist_ok=True)
    orphan, young = folder / "0123456789ab.db", folder / "ba9876543210.db"
    orphan.write_bytes(b"half")
    young.write_bytes(b"being built")  # another preparation may still be writing it
    hours_ago = time.time() - 2 * 3600
    os.utime(orphan, (hours_ago, hours_ago))
    first = prepare(api)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [young.name, f"{first['id']}.db"])


def test_procurement_can_neither_prepare_nor_approve_nor_withdraw(api, whitelist):
    prepared = prepare(api)
    for path in ("/api/publications/prepared", f"/api/publications/prepared/{prepared['id']}"
                 "/approve", f"/api/publications/prepared/{prepared['id']}/withdraw"):
        answer = api.post(path, headers=api.auth_for["inkoop"])
        assert answer.status_code == 403, path
    assert served(whitelist)[0] == 1
    listed = api.get("/api/publications/prepared", headers=api.auth_for["inkoop"]).json()
    assert [p["status"] for p in listed] == ["prepared"]


def test_withdrawing_removes_the_preparation(api, whitelist):
    prepared = prepare(api)
    withdrawn = api.post(f"/api/publications/prepared/{prepared['id']}/withdraw",
                         headers=api.auth_for["anna"])
    assert withdrawn.status_code == 200
    assert (withdrawn.json()["status"], withdrawn.json()["decided_by"]) == ("withdrawn", "anna")
    assert list((whitelist.parent / "voorbereid").iterdir()) == []
    assert approve(api, prepared["id"]).status_code == 409
    assert api.post("/api/publications/prepared/bestaat-niet/approve",
                    headers=api.auth_for["bram"]).status_code == 404


def test_publishing_directly_is_refused_with_four_eyes_on(api, whitelist):
    answer = api.post("/api/publications", headers=api.auth_for["anna"])
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert "POST /api/publications/prepared" in answer.json()["detail"]
    assert served(whitelist)[0] == 1


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.backoffice
def test_the_preparer_sees_no_approve_button_and_cannot_approve_on_the_page(
        staff_client, registry, whitelist):
    archive_a_tool(registry)
    anna, bram = staff_client(Role.publisher), staff_client(Role.publisher)
    page = anna.get(PAGE)
    assert page.status_code == 200
    assert "Bordwerk Klassenbord (demo)" in page.text  # the preview lists the change
    assert "Publicatie voorbereiden" in page.text and "/beheer/publiceren/nu" not in page.text
    assert form(anna, f"{PAGE}/voorbereiden").headers["location"] == f"{PAGE}?gedaan=voorbereid"
    prepared_id = registry.publications.prepared.list("publication")[0]["id"]

    own = anna.get(PAGE).text
    assert "Je hebt dit zelf voorbereid" in own and APPROVE_BUTTON not in own
    refused = form(anna, f"{PAGE}/{prepared_id}/goedkeuren")
    assert refused.status_code == 403 and "Je hebt dit zelf voorbereid" in refused.text
    assert served(whitelist)[0] == 1

    assert APPROVE_BUTTON in bram.get(PAGE).text
    done = form(bram, f"{PAGE}/{prepared_id}/goedkeuren")
    assert done.headers["location"] == f"{PAGE}?gedaan=gepubliceerd"
    latest = registry.publications.all()[0]
    assert (latest["version"], latest["prepared_by"], latest["approved_by"]) == (
        2, anna.account.email, bram.account.email)
    assert "De nieuwe witte lijst is gepubliceerd." in bram.get(done.headers["location"]).text


@pytest.mark.backoffice
def test_the_page_says_why_a_changed_preparation_cannot_be_approved(staff_client, registry):
    anna, bram = staff_client(Role.publisher), staff_client(Role.publisher)
    form(anna, f"{PAGE}/voorbereiden")
    prepared_id = registry.publications.prepared.list("publication")[0]["id"]
    archive_a_tool(registry)
    seen = bram.get(PAGE).text
    assert "gewijzigd nadat de publicatie is voorbereid" in seen
    assert "Bereid de publicatie opnieuw voor." in seen and APPROVE_BUTTON not in seen
    blocked = form(bram, f"{PAGE}/{prepared_id}/goedkeuren")
    assert blocked.status_code == 409
    assert "Dit kan niet meer worden goedgekeurd" in blocked.text
    assert "Bereid de publicatie opnieuw voor." in blocked.text
    assert registry.publications.all()[0]["version"] == 1
    form(bram, f"{PAGE}/voorbereiden")  # prepared again, now by Bram: Anna approves
    again = registry.publications.prepared.list("publication", "prepared")[0]["id"]
    assert form(anna, f"{PAGE}/{again}/goedkeuren").status_code == 303
    assert registry.publications.all()[0]["approved_by"] == anna.account.email


@pytest.mark.backoffice
def test_procurement_cannot_use_the_publishing_page(staff_client, registry):
    anna, inkoop = staff_client(Role.publisher), staff_client(Role.procurement)
    form(anna, f"{PAGE}/voorbereiden")
    prepared_id = registry.publications.prepared.list("publication")[0]["id"]
    assert inkoop.get(PAGE).status_code == 403
    token = re.search(r'name="_csrf_token" value="([^"]+)"', inkoop.get("/beheer").text)[1]
    for path in (f"{PAGE}/voorbereiden", f"{PAGE}/{prepared_id}/goedkeuren",
                 f"{PAGE}/{prepared_id}/intrekken"):
        answer = inkoop.post(path, data={"_csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 403, path
    assert registry.publications.prepared.get(prepared_id)["status"] == "prepared"


@pytest.mark.backoffice
def test_a_preparation_is_withdrawn_on_the_page(staff_client, registry, whitelist):
    anna, bram = staff_client(Role.publisher), staff_client(Role.publisher)
    form(anna, f"{PAGE}/voorbereiden")
    prepared_id = registry.publications.prepared.list("publication")[0]["id"]
    done = form(bram, f"{PAGE}/{prepared_id}/intrekken")
    assert done.headers["location"] == f"{PAGE}?gedaan=ingetrokken"
    assert registry.publications.prepared.get(prepared_id)["status"] == "withdrawn"
    assert list((whitelist.parent / "voorbereid").iterdir()) == []
    page = bram.get(done.headers["location"]).text
    assert "De voorbereiding is ingetrokken." in page
    assert "Er wacht geen publicatie op goedkeuring." in page
    again = form(bram, f"{PAGE}/{prepared_id}/goedkeuren")
    assert again.status_code == 409 and "wacht niet meer op goedkeuring" in again.text


@pytest.mark.backoffice
def test_the_page_refuses_publishing_at_once_with_four_eyes_on(staff_client, registry):
    anna = staff_client(Role.publisher)
    answer = form(anna, f"{PAGE}/nu")
    assert answer.status_code == 409
    assert "Direct publiceren kan niet" in answer.text
    assert registry.publications.all()[0]["version"] == 1


# --- policies ----------------------------------------------------------------------------------


def stricter_policy(api) -> dict:
    policy = api.get("/api/policy").json()
    policy["version"] = "2027.1"
    policy["rules"]["residual_risk"]["maximum"] = "low"
    return policy


def test_a_policy_is_prepared_with_its_what_if_and_approved_by_another(api, registry):
    answer = api.put("/api/policy", json=stricter_policy(api),
                     headers=api.auth_for["anna"] | {"If-Match": '"2026.1"'})
    assert answer.status_code == 202, answer.text
    prepared = answer.json()
    assert (prepared["kind"], prepared["version"], prepared["policy_version"]) == (
        "policy", "2027.1", "2026.1")
    changes = prepared["changes"]["changes"]
    assert changes and all(c["after"] == "not_allowed" for c in changes)
    assert all("restrisico" in c["reason"] for c in changes)
    assert api.get("/api/policy").json()["version"] == "2026.1"  # not in force yet

    path = f"/api/policy/prepared/{prepared['id']}/approve"
    assert api.post(path, headers=api.auth_for["anna"]).status_code == 403
    assert api.post(path, headers=api.auth_for["inkoop"]).status_code == 403
    done = api.post(path, headers=api.auth_for["bram"])
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2027.1"'
    assert api.get("/api/policy").json()["version"] == "2027.1"
    events = [e for e in registry.audit.events() if e.kind == "policy"]
    assert events[-1].actor == "bram"
    listed = api.get("/api/policy/prepared", headers=api.auth_for["inkoop"]).json()
    assert [(p["status"], p["prepared_by"], p["decided_by"]) for p in listed] == [
        ("approved", "anna", "bram")]


def test_a_policy_changed_since_its_preparation_cannot_be_approved(api, registry):
    prepared = api.put("/api/policy", json=stricter_policy(api),
                       headers=api.auth_for["anna"] | {"If-Match": "*"}).json()
    other = stricter_policy(api) | {"version": "2026.9"}
    second = api.put("/api/policy", json=other,
                     headers=api.auth_for["bram"] | {"If-Match": "*"}).json()
    assert registry.publications.prepared.get(prepared["id"])["status"] == "superseded"
    assert api.post(f"/api/policy/prepared/{second['id']}/approve",
                    headers=api.auth_for["anna"]).status_code == 200
    registry.publications.prepared.add(  # an old preparation of 2026.1, still pending
        {k: v for k, v in registry.publications.prepared.get(prepared["id"]).items()
         if k not in ("status", "prepared_by", "decided_by", "decided_at", "note")}
        | {"id": "oud"}, "anna")
    blocked = api.post("/api/policy/prepared/oud/approve", headers=api.auth_for["bram"])
    assert blocked.status_code == 409
    assert "the policy changed after it was prepared" in blocked.json()["detail"]
    assert api.get("/api/policy").json()["version"] == "2026.9"


@pytest.mark.backoffice
def test_the_page_shows_a_pending_policy_and_another_publisher_approves_it(
        api, staff_client, registry):
    anna, bram = staff_client(Role.publisher), staff_client(Role.publisher)
    policy = stricter_policy(api)
    prepared = api.put("/api/policy", json=policy,
                       headers=api.auth_for["anna"] | {"If-Match": "*"}).json()
    registry.db["prepared"].update(prepared["id"], {"prepared_by": anna.account.email})
    own = anna.get(PAGE).text
    assert "Versie 2027.1 (nu geldt versie 2026.1)" in own
    assert "Je hebt dit zelf voorbereid" in own
    seen = bram.get(PAGE).text
    first = prepared["changes"]["changes"][0]
    assert first["name"] in seen and first["reason"] in seen
    done = form(bram, f"{PAGE}/{prepared['id']}/goedkeuren")
    assert done.headers["location"] == f"{PAGE}?gedaan=beleid"
    assert api.get("/api/policy").json()["version"] == "2027.1"


# --- four eyes off -----------------------------------------------------------------------------


@pytest.mark.backoffice
@pytest.mark.parametrize("four_eyes", [False])
def test_with_four_eyes_off_the_page_and_the_api_publish_at_once(api, staff_client, registry):
    sanne = staff_client(Role.publisher)
    page = sanne.get(PAGE).text
    assert f"{PAGE}/nu" in page and "Publicatie voorbereiden" not in page
    assert form(sanne, f"{PAGE}/nu").headers["location"] == f"{PAGE}?gedaan=gepubliceerd"
    latest = registry.publications.all()[0]
    assert (latest["version"], latest["prepared_by"], latest["approved_by"]) == (
        2, sanne.account.email, sanne.account.email)
    direct = api.post("/api/publications", headers=api.auth_for["anna"])
    assert direct.status_code == 201 and direct.json()["version"] == 3
    stored = api.put("/api/policy", json=stricter_policy(api),
                     headers=api.auth_for["anna"] | {"If-Match": "*"})
    assert stored.status_code == 200 and stored.json()["version"] == "2027.1"
