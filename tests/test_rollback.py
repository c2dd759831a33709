"""Rollback: version N's content served again as version N+2, byte for byte (the same content
sha256), saying so in the changelog and the feed; only kept files, only by a publisher."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import pytest
from litestar.testing import TestClient
from playwright.sync_api import Page, expect

from registry import models
from registry.app import Settings, create_app
from registry.db import Registry
from registry.errors import Conflict
from registry.models import Role
from registry.publish import content_sha256, kept, publish
from registry.publish.recovery import served_publication
from registry.publish.rollback import NotKept, restore
from registry.whitelist.app import create_read_app

TODAY = dt.date(2026, 11, 28)
REMOVED = "bordwerk-klassenbord"
RENAMED = "sommenstad-oefenen"
A = "{http://www.w3.org/2005/Atom}"
FEED = "/lijst/-/wijzigingen.atom"
PUBLIC_URL = "https://lijst.example.nl"


def change_records(registry: Registry) -> None:
    """What version 2 changes: a tool gone, another renamed."""
    registry.archive("tools", REMOVED, "inkoop", None)
    tool = registry.get("tools", RENAMED)
    fields = {f: getattr(tool, f) for f in models.ToolIn.__struct_fields__}
    registry.update("tools", RENAMED, models.ToolIn(**fields | {"name": "Sommenstad Nieuw"}),
                    "inkoop", None)


@pytest.fixture
def registry(demo_registry: Registry) -> Registry:
    return demo_registry  # not conftest's `registry`, the API client's


@pytest.fixture
def two_versions(registry, whitelist):
    """Versions 1 and 2 published, 2 with `change_records`."""
    first = publish(registry, whitelist, TODAY, "sector")
    change_records(registry)
    second = publish(registry, whitelist, TODAY, "sector")
    return first, second


def query(path: Path, sql: str, params=()) -> list[dict]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(sql, params)]


def test_a_rollback_serves_version_ns_content_as_version_n_plus_2(registry, whitelist,
                                                                  two_versions):
    first, second = two_versions
    assert second.sha256 != first.sha256

    third = restore(registry, whitelist, 1, "sector")

    assert (third.version, third.restores_version, third.sha256) == (3, 1, first.sha256)
    served = served_publication(whitelist)
    assert served["content_sha256"] == first.sha256 == served["sha256"]
    assert (served["version"], served["previous_version"], served["restores_version"]) == (3, 2, 1)
    assert served["evaluated_on"] == TODAY.isoformat()
    recorded = registry.publications.all()[0]
    assert (recorded["version"], recorded["restores_version"], recorded["actor"]) == (3, 1,
                                                                                     "sector")
    event = registry.audit.events("kind = 'publication' AND record_id = '3'")[0]
    assert event.after["restores_version"] == 1 and event.actor == "sector"
    names = {r["id"]: r["name"] for r in query(whitelist, "SELECT id, name FROM tools")}
    assert REMOVED in names and names[RENAMED] == "Sommenstad Oefenen (demo)"
    # The changelog keeps versions 1 and 2 and adds what version 3 changes, saying why.
    changelog = query(whitelist, "SELECT publication_version AS v, tool_id, change, reason "
                                 "FROM changelog WHERE publication_version > 1")
    assert [(c["v"], c["tool_id"], c["change"]) for c in changelog] == [
        (2, REMOVED, "removed"), (3, REMOVED, "added")]
    assert changelog[1]["reason"].startswith("Herstelt versie 1. Nieuw op de lijst")
    assert third.changes.since_version == 2 and third.changes.added == 1
    assert kept.versions(whitelist).keys() == {1, 2, 3}
    with closing(sqlite3.connect(kept.kept_path(whitelist, 1))) as conn:
        assert content_sha256(conn) == first.sha256  # the kept file itself is untouched
        assert conn.execute("SELECT version FROM publication").fetchone()[0] == 1


def test_the_feed_and_the_changelog_say_which_version_is_restored(registry, whitelist,
                                                                  two_versions):
    restore(registry, whitelist, 1, "sector")
    app = create_read_app(whitelist, public_url=PUBLIC_URL, today=lambda: TODAY)
    with TestClient(app) as client:
        response = client.get(FEED)
        assert response.status_code == 200, response.text
        entries = ET.fromstring(response.content).findall(f"{A}entry")
        titles = [e.find(f"{A}title").text for e in entries]
        assert "Versie 3: herstelt versie 1" in titles
        readded = [e for e in entries if e.find(f"{A}id").text.endswith(f"#3-{REMOVED}")]
        assert len(readded) == 1
        assert readded[0].find(f"{A}title").text.endswith("(Herstelt versie 1)")
        assert "Herstelt versie 1." in readded[0].find(f"{A}summary").text
        own = next(e for e in entries if e.find(f"{A}title").text.startswith("Versie 3"))
        assert "zet de inhoud van versie 1 terug" in own.find(f"{A}summary").text
        link = urllib.parse.urlsplit(own.find(f"{A}link").get("href"))
        changelog = client.get(link.path, params={"publication_version": "3"})
        assert changelog.status_code == 200
        assert "Herstelt versie 1." in changelog.text


def test_only_a_kept_publication_that_is_not_served_can_be_restored(registry, whitelist):
    for _ in range(kept.KEEP + 2):
        last = publish(registry, whitelist, TODAY, "sector")
    before = whitelist.read_bytes()
    with pytest.raises(NotKept, match="only the files of the last 10 publications are kept"):
        restore(registry, whitelist, 1, "sector")
    with pytest.raises(NotKept, match="No publication with version 99"):
        restore(registry, whitelist, 99, "sector")
    with pytest.raises(Conflict, match=f"Publication {last.version} is the one served now"):
        restore(registry, whitelist, last.version, "sector")
    assert registry.publications.all()[0]["version"] == last.version
    assert whitelist.read_bytes() == before
    assert restore(registry, whitelist, 3, "sector").version == last.version + 1  # still kept


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path):
    """The app on the demo data (version 1 published by `prepare`, then version 2), with the
    Authorization headers of a publisher and a procurement token."""
    settings = Settings(db_path=tmp_path / "api" / "registry.db", today=lambda: TODAY,
                        four_eyes=False)
    with TestClient(create_app(settings)) as client:
        registry = client.app.state.registry
        change_records(registry)
        publish(registry, settings.whitelist, TODAY, "sector")
        client.headers_of = {
            role: {"Authorization": f"Bearer {registry.tokens.create(role.value, role)[1]}"}
            for role in (Role.publisher, Role.procurement)}
        client.whitelist = settings.whitelist
        yield client


def test_the_api_restores_a_kept_publication_for_a_publisher(api):
    v1 = api.app.state.registry.publications.all()[-1]
    assert api.post("/api/publications/1/restore",
                    headers=api.headers_of[Role.procurement]).status_code == 403
    assert api.post("/api/publications/1/restore").status_code == 401
    assert len(api.app.state.registry.publications.all()) == 2

    response = api.post("/api/publications/1/restore", headers=api.headers_of[Role.publisher])

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["version"], body["restores_version"], body["sha256"]) == (3, 1, v1["sha256"])
    assert body["actor"] == "publisher"  # the token's name
    assert served_publication(api.whitelist)["content_sha256"] == v1["sha256"]
    listed = api.get("/api/publications", headers=api.headers_of[Role.procurement]).json()
    assert listed[0]["restores_version"] == 1


@pytest.mark.parametrize(("version", "status", "detail"), [
    (99, 404, "No publication with version 99."),
    (2, 409, "Publication 2 is the one served now; there is nothing to restore."),
])
def test_the_api_says_why_a_version_cannot_be_restored(api, version, status, detail):
    response = api.post(f"/api/publications/{version}/restore",
                        headers=api.headers_of[Role.publisher])
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail
    assert len(api.app.state.registry.publications.all()) == 2


def test_the_api_says_a_version_is_no_longer_kept(api):
    kept.kept_path(api.whitelist, 1).unlink()
    response = api.post("/api/publications/1/restore", headers=api.headers_of[Role.publisher])
    assert response.status_code == 404
    assert "only the files of the last 10 publications are kept" in response.json()["detail"]


# --- the back office -------------------------------------------------------------------------


@pytest.fixture
def backoffice_settings(backoffice_settings):
    """The demo data, published by `prepare` as version 1."""
    return dataclasses.replace(backoffice_settings, demo=True, four_eyes=False)


@pytest.fixture
def second_version(backoffice_app, backoffice_settings):
    registry = backoffice_app.state.registry
    change_records(registry)
    publish(registry, backoffice_settings.whitelist, TODAY, "sector")
    return backoffice_settings.whitelist


RESTORE = "/beheer/publicaties/1/terugzetten"


@pytest.mark.backoffice
def test_a_publisher_restores_a_version_from_the_list_after_confirming(
        staff_client, second_version, post_form, backoffice_app):
    client = staff_client(Role.publisher)
    page = client.get("/beheer/publicaties")
    assert page.status_code == 200
    assert page.text.count("Deze versie terugzetten") == 1  # version 1; 2 is served
    assert f'href="{RESTORE}"' in page.text
    confirm = client.get(RESTORE)
    assert confirm.status_code == 200 and "Ja, zet versie 1 terug" in confirm.text
    assert 'name="_csrf_token"' in confirm.text
    refused = client.post(RESTORE, data={}, follow_redirects=False)
    assert refused.status_code == 403 and "Dit formulier is niet meer geldig" in refused.text
    assert len(backoffice_app.state.registry.publications.all()) == 2

    done = post_form(client, RESTORE, {})

    assert done.status_code == 303
    assert done.headers["location"] == "/beheer/publicaties?teruggezet=3"
    page = client.get(done.headers["location"])
    assert "Versie 3 zet versie 1 terug." in page.text
    assert "Herstelt versie 1, gepubliceerd door " + client.account.email in page.text
    recorded = backoffice_app.state.registry.publications.all()[0]
    assert (recorded["version"], recorded["restores_version"]) == (3, 1)
    assert recorded["actor"] == client.account.email
    assert served_publication(second_version)["content_sha256"] == \
        backoffice_app.state.registry.publications.all()[-1]["sha256"]


@pytest.mark.backoffice
def test_procurement_sees_the_publications_but_cannot_restore(staff_client, second_version,
                                                              csrf_token, backoffice_app):
    client = staff_client(Role.procurement)
    page = client.get("/beheer/publicaties")
    assert page.status_code == 200
    assert re.search(r"<th scope=\"row\">2 \(nu gepubliceerd\)</th>", page.text)
    assert "Deze versie terugzetten" not in page.text
    assert client.get(RESTORE).status_code == 403
    token = csrf_token(client, "/beheer/publicaties")
    refused = client.post(RESTORE, data={"_csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403 and "niet de rol die hiervoor nodig is" in refused.text
    assert len(backoffice_app.state.registry.publications.all()) == 2


@pytest.mark.backoffice
def test_the_page_says_when_a_version_is_not_kept_or_served(staff_client, second_version,
                                                            post_form):
    client = staff_client(Role.publisher)
    served = client.get("/beheer/publicaties/2/terugzetten")
    assert served.status_code == 409
    assert "Versie 2 is de versie die nu gepubliceerd is." in served.text
    kept.kept_path(second_version, 1).unlink()
    gone = post_form(client, RESTORE, {}, page="/beheer/publicaties")
    assert gone.status_code == 404
    assert "alleen de laatste 10 gepubliceerde bestanden worden bewaard" in gone.text
    assert client.get("/beheer/publicaties/99/terugzetten").status_code == 404


# --- in a browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(backoffice_site):
    """The browser plugin's `page` opens pages of this module's server."""
    return backoffice_site.server


@pytest.mark.browser
def test_the_publications_pages_have_no_wcag_21_aa_violations(page: Page, backoffice_site,
                                                             journey, axe_violations):
    registry = Registry(backoffice_site.db_path)
    try:  # a second version, so that the first can be restored
        change_records(registry)
        publish(registry, backoffice_site.db_path.parent / "witte-lijst.db",
                dt.date.fromisoformat(journey.TODAY), "sector")
    finally:
        registry.close()
    journey.sign_in_with_password(page, backoffice_site.email("publisher"),
                                  backoffice_site.password)
    page.goto("/beheer/publicaties")
    expect(page.get_by_role("heading", name="Publicaties", level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Deze versie terugzetten (versie 1)").click()
    expect(page.get_by_role("heading", name="Versie 1 terugzetten", level=1)).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ja, zet versie 1 terug").click()
    expect(page.get_by_role("status")).to_have_text("Versie 3 zet versie 1 terug.")
    assert axe_violations(page) == []
    rows = json.dumps([r.inner_text() for r in page.locator("tbody tr").all()])
    assert "Herstelt versie 1" in rows
