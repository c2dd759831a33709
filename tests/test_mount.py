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


# --- pages kept per publication ---------------------------------------------------------------


def served(client):
    return client.app.state.datasette._served


def test_a_page_is_built_once_per_publication_and_the_same_when_kept(demo):
    url = f"{PREFIX}/witte-lijst/tools?_search=reken"
    built = demo.get(url)
    pages = served(demo).pages
    assert (b"/witte-lijst/tools", b"_search=reken") in pages.keys()
    kept = demo.get(url)
    assert (kept.status_code, kept.content) == (built.status_code, built.content)
    assert [(k, v) for k, v in kept.headers.items() if k != "date"] == \
        [(k, v) for k, v in built.headers.items() if k != "date"]
    publish(demo.app.state.registry, demo.app.state.whitelist_path, TODAY, "test")
    assert demo.get(url).status_code == 200
    assert served(demo).pages is not pages
    assert len(served(demo).pages) == 1


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/witte-lijst/tools/bestaat-niet", {}),  # a 404
    ("GET", "/witte-lijst/tools?_size=nope", {}),  # a 400
    ("HEAD", "/witte-lijst/tools", {}),
    ("POST", "/witte-lijst/tools", {}),
    ("GET", "/witte-lijst/tools?_sort=id", {"Cookie": "ds_actor=someone"}),
])
def test_what_is_not_kept(demo, method, path, headers):
    demo.get(f"{PREFIX}/witte-lijst")  # a new publication (earlier test) gets its instance
    before = served(demo).pages.keys()
    demo.request(method, PREFIX + path, headers=headers)
    assert served(demo).pages.keys() == before


def test_big_pages_are_sent_not_kept(demo, monkeypatch):
    from registry import mount

    monkeypatch.setattr(mount, "MAX_KEPT_PAGE", 100)
    big = f"{PREFIX}/witte-lijst/tools.json?_size=5"
    response = demo.get(big)
    assert response.status_code == 200 and len(response.content) > 100
    assert (b"/witte-lijst/tools.json", b"_size=5") not in served(demo).pages.keys()


def test_requests_during_a_start_share_one_new_instance(tmp_path, monkeypatch):
    import asyncio

    from registry import mount

    path = tmp_path / "witte-lijst.db"
    with TestClient(create_app(Settings(db_path=tmp_path / "registry.db",
                                        today=lambda: TODAY))) as client:
        path.write_bytes(client.app.state.whitelist_path.read_bytes())
    real, started = mount.Datasette, []

    def counting(*args, **kwargs):
        started.append(kwargs["immutables"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mount, "Datasette", counting)
    served = mount.DatasetteMount(path, PREFIX)

    async def at_once(n: int) -> set[int]:
        return {id(s) for s in await asyncio.gather(*(served._current() for _ in range(n)))}

    assert len(asyncio.run(at_once(5))) == 1
    assert len(started) == 1  # the other four waited for it
    assert len(asyncio.run(at_once(3))) == 1  # another event loop, its own lock: none started
    assert len(started) == 1
