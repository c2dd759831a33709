"""The change feed: valid Atom (RFC 4287), every publication's changes kept, per school type,
and every link in it an address that answers, under the mount's prefix too."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.db import Registry
from registry.importer import load_demo
from registry.publish import publish
from registry.whitelist.app import create_read_app

A = "{http://www.w3.org/2005/Atom}"
FEED = "/lijst/-/wijzigingen.atom"
PUBLIC_URL = "https://lijst.example.nl"
DAYS = [dt.date(2026, 11, 28), dt.date(2027, 3, 1), dt.date(2027, 6, 1)]
"""The demo published three times: the second sees an agreement run out (15 January 2027)."""
REMOVED = "bordwerk-klassenbord"


@pytest.fixture(scope="module")
def whitelist(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feed")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    out = folder / "witte-lijst.db"
    for n, day in enumerate(DAYS):
        if n == 2:
            registry.archive("tools", REMOVED, "inkoop", None)
        publish(registry, out, day, "sector",
                now=dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC))
    registry.close()
    return out


@pytest.fixture(scope="module")
def client(whitelist):
    app = create_read_app(whitelist, public_url=PUBLIC_URL, today=lambda: DAYS[-1])
    with TestClient(app) as client:
        yield client


def atom(client, path: str = FEED) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)


def local(url: str) -> str:
    """The path and query of an absolute link of the feed, to ask the test client."""
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_feed_is_atom_with_every_required_element(client):
    feed = atom(client)
    assert feed.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert feed.find(f"{A}{name}").text, name
    assert feed.find(f"{A}author/{A}name").text  # required where entries have no author
    self_link = feed.find(f"{A}link[@rel='self']").get("href")
    assert self_link == PUBLIC_URL + FEED
    entries = feed.findall(f"{A}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert entry.find(f"{A}{name}").text, name
        dt.datetime.fromisoformat(entry.find(f"{A}updated").text.replace("Z", "+00:00"))
        assert entry.find(f"{A}link").get("href").startswith(PUBLIC_URL + "/")
    ids = [entry.find(f"{A}id").text for entry in entries]
    assert len(ids) == len(set(ids))


def test_the_feed_keeps_every_publications_changes(client, whitelist):
    entries = atom(client).findall(f"{A}entry")
    by_version = {}
    for entry in entries:
        version = int(entry.find(f"{A}id").text.rpartition("#")[2].split("-")[0])
        by_version.setdefault(version, []).append(entry)
    assert sorted(by_version) == [1, 2, 3]  # two more publications after the first
    with sqlite3.connect(whitelist) as conn:
        tools = conn.execute("SELECT count(*) FROM tools").fetchone()[0]
    assert len(by_version[1]) == tools + 1  # every tool added; one of them removed since
    titles = [entry.find(f"{A}title").text for entry in by_version[2]]
    assert "Sommenstad Oefenen (demo): Oordeel gewijzigd" in titles
    changed = next(e for e in by_version[2] if "Sommenstad" in e.find(f"{A}title").text)
    summary = changed.find(f"{A}summary").text
    assert "van ‘Toegestaan’ naar ‘Niet toegestaan’" in summary  # from what to what
    assert "verlopen" in summary  # why
    assert changed.find(f"{A}updated").text == "2027-03-01T09:00:00Z"
    assert [e.find(f"{A}title").text for e in by_version[3]] == [
        "Bordwerk Klassenbord (demo): Verwijderd"]


def test_every_link_of_the_feed_answers(client):
    feed = atom(client)
    links = {link.get("href") for link in feed.iter(f"{A}link")}
    assert PUBLIC_URL + "/tools/sommenstad-oefenen" in links
    for link in sorted(links):
        response = client.get(local(link))
        assert response.status_code == 200, link
    self_link = feed.find(f"{A}link[@rel='self']").get("href")
    assert ET.fromstring(client.get(local(self_link)).content).find(f"{A}id").text == (
        feed.find(f"{A}id").text)


@pytest.mark.parametrize("level", ["PO", "VO", "SO"])
def test_a_feed_per_school_type(client, whitelist, level):
    feed = atom(client, f"{FEED}?niveau={level}")
    assert feed.find(f"{A}link[@rel='self']").get("href") == f"{PUBLIC_URL}{FEED}?niveau={level}"
    with sqlite3.connect(whitelist) as conn:
        expected = {f"{version}-{tool}" for version, tool in conn.execute(
            "SELECT publication_version, tool_id FROM changelog WHERE EXISTS "
            "(SELECT 1 FROM json_each(levels) WHERE value = ?)", [level])}
    got = {e.find(f"{A}id").text.rpartition("#")[2] for e in feed.findall(f"{A}entry")}
    assert got == expected and 0 < len(got) < len(atom(client).findall(f"{A}entry"))
    assert client.get(local(feed.find(f"{A}link[@rel='self']").get("href"))).status_code == 200


@pytest.mark.parametrize("level", ["XX", "P", "PO'--", ""])
def test_an_unknown_school_type_is_a_dutch_400(client, level):
    response = client.get(FEED, params={"niveau": level})
    assert response.status_code == 400
    assert "Kies voor niveau PO, VO of SO" in response.text


def test_the_old_feed_address_leads_to_the_feed(client):
    response = client.get("/lijst/witte-lijst/wijzigingen_feed.atom", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == FEED


def test_a_file_published_before_the_changelog_keeps_its_changes(tmp_path):
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    out = tmp_path / "witte-lijst.db"
    publish(registry, out, DAYS[0], "sector")
    with sqlite3.connect(out) as conn:  # as a file of the previous format
        conn.execute("DROP TABLE changelog")
    publish(registry, out, DAYS[1], "sector")
    registry.close()
    with sqlite3.connect(out) as conn:
        versions = dict(conn.execute(
            "SELECT publication_version, count(*) FROM changelog GROUP BY 1"))
        tools = conn.execute("SELECT count(*) FROM tools").fetchone()[0]
    assert versions[1] == tools and versions[2] >= 1


def test_a_verdict_that_changes_by_itself_is_in_the_feed_without_a_new_publication(tmp_path):
    registry = Registry(tmp_path / "registry.db")
    registry.migrate()
    load_demo(registry)
    publish(registry, tmp_path / "witte-lijst.db", DAYS[0], "sector",
            now=dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC))
    registry.close()
    day = [dt.date(2026, 12, 1)]
    app = create_read_app(tmp_path / "witte-lijst.db", public_url=PUBLIC_URL,
                          today=lambda: day[0])
    with TestClient(app) as client:
        def titles_and_ids():
            return {e.find(f"{A}id").text.rpartition("#")[2]: e for e in
                    atom(client).findall(f"{A}entry")}

        assert not [key for key in titles_and_ids() if key.startswith("op-")]
        day[0] = dt.date(2027, 2, 1)  # past the agreement's end on 15 January 2027
        entries = titles_and_ids()
        entry = entries["op-2027-01-16-sommenstad-oefenen"]
        assert entry.find(f"{A}title").text == "Sommenstad Oefenen (demo): Oordeel gewijzigd"
        assert entry.find(f"{A}summary").text.startswith(
            "Op 16 januari 2027 veranderde het oordeel vanzelf van ‘Toegestaan’ in "
            "‘Niet toegestaan’, zonder nieuwe publicatie.")
        assert atom(client).find(f"{A}updated").text == "2027-01-16T00:00:00Z"
        assert client.get(local(entry.find(f"{A}link").get("href"))).status_code == 200
        assert "op-2027-01-16-sommenstad-oefenen" not in {
            e.find(f"{A}id").text.rpartition("#")[2]
            for e in atom(client, f"{FEED}?niveau=VO").findall(f"{A}entry")}


@pytest.mark.parametrize("path", ["/", "/uitleg", "/insluiten", "/tools",
                                  "/tools/sommenstad-oefenen"])
def test_our_own_pages_link_the_feed(client, path):
    page = client.get(path).text
    feed = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"',
                     page)
    assert feed and feed[1] == FEED and client.get(feed[1]).status_code == 200
