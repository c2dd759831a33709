"""Datasette mounted under /lijst inside the app: links, redirects, and new publications."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.publish import publish

TODAY = dt.date(2026, 11, 28)
PREFIX = "/lijst"
LINK = re.compile(r"""(?:href|src|action)=["']([^"'#]+)""")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("mount") / "registry.db"
    with TestClient(create_app(Settings(db_path=path, today=lambda: TODAY))) as client:
        yield client


def links(html: str, base: str) -> list[str]:
    out = []
    for link in LINK.findall(html):
        absolute = urljoin(base, link.replace("&amp;", "&"))
        parts = urlsplit(absolute)
        if parts.netloc in ("", "testserver.local"):
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_no_link_on_the_whitelist_pages_doubles_the_prefix(demo):
    start = [f"{PREFIX}/", f"{PREFIX}/witte-lijst", f"{PREFIX}/witte-lijst/tools",
             f"{PREFIX}/witte-lijst/tools?_search=reken", f"{PREFIX}/witte-lijst/tools/sommenstad-oefenen",
             f"{PREFIX}/witte-lijst/changes", f"{PREFIX}/witte-lijst/tools?_facet=verdict"]
    queue, seen, pages = deque(start), set(start), 0
    while queue and pages < 60:
        url = queue.popleft()
        response = demo.get(url)
        assert response.status_code < 500, url
        pages += 1
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for link in links(response.text, f"http://testserver.local{url}"):
            assert f"{PREFIX}{PREFIX}" not in link, f"{url} links to {link}"
            path = urlsplit(link).path
            assert path.startswith(f"{PREFIX}/") or path in ("/", "/uitleg", PREFIX) or \
                path.startswith(("/static/", "/insluiten", "/embed")), f"{url} links to {link}"
            if path.startswith(f"{PREFIX}/") and link not in seen and ".db" not in path:
                seen.add(link)
                queue.append(link)
    assert pages >= 30


@pytest.mark.parametrize(
    ("path", "location"),
    [
        (f"{PREFIX}/witte-lijst/", f"{PREFIX}/witte-lijst"),
        (f"{PREFIX}/witte-lijst/tools/", f"{PREFIX}/witte-lijst/tools"),
    ],
)
def test_redirects_keep_the_prefix(demo, path, location):
    response = demo.get(path, follow_redirects=False)
    assert response.status_code in (301, 302)
    assert response.headers["location"] == location


def test_bare_prefix_answers(demo):
    assert demo.get(PREFIX).status_code == 200


def test_a_new_publication_is_served_right_away(demo):
    registry, path = demo.app.state.registry, demo.app.state.whitelist_path
    before = demo.get(f"{PREFIX}/witte-lijst/publication.json?_shape=array").json()[0]["version"]
    publish(registry, path, TODAY, "test")
    after = demo.get(f"{PREFIX}/witte-lijst/publication.json?_shape=array").json()[0]["version"]
    assert after == before + 1
    assert demo.get("/api/check", params={"q": "klassenklok"}).json()["publication"]["version"] == after
