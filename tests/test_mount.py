"""Datasette mounted under /lijst inside the app: links, redirects, and new publications."""

from __future__ import annotations

import asyncio
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
PUBLIC_URL = "https://lijst.example.nl"
"""Where the demo app says it is served (`Settings.public_url`); the test client asks
http://testserver.local, so a link on that host was built from the request's Host header."""
FORGED = "poisoned-host.test"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("mount") / "registry.db"
    with TestClient(create_app(Settings(db_path=path, today=lambda: TODAY,
                                        public_url=PUBLIC_URL))) as client:
        yield client


def links(html: str, base: str) -> list[str]:
    out = []
    for link in LINK.findall(html):
        absolute = urljoin(base, link.replace("&amp;", "&"))
        parts = urlsplit(absolute)
        if f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL:
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
        for link in links(response.text, f"{PUBLIC_URL}{url}"):
            assert f"{PREFIX}{PREFIX}" not in link, f"{url} links to {link}"
            path = urlsplit(link).path
            assert path.startswith(f"{PREFIX}/") or path in ("/", "/uitleg", "/tools", PREFIX) \
                or path.startswith(("/static/", "/insluiten", "/embed", "/tools/")), \
                f"{url} links to {link}"
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


def same_headers(response) -> list[tuple[str, str]]:
    """The headers that are the same for every asker (not the date, not their rate limit)."""
    return [(k, v) for k, v in response.headers.items()
            if k != "date" and not k.startswith("ratelimit-")]


def test_datasette_reads_the_file_with_two_threads_and_small_page_caches(demo):
    """Two query threads per worker, and SQLite's page cache of each connection to the
    published file 256 KiB instead of 2 MB: the kernel keeps the file's pages for all."""
    assert demo.get(f"{PREFIX}/witte-lijst/tools.json?_size=1").status_code == 200
    datasette = served(demo).datasette
    assert datasette.setting("num_sql_threads") == 2
    assert datasette.executor._max_workers == 2

    async def cache_sizes():
        return [(await datasette.databases[name].execute("PRAGMA cache_size")).first()[0]
                for name in ("witte-lijst", "_internal")]

    published, internal = asyncio.run(cache_sizes())
    assert published == -256
    assert internal != -256


def test_a_page_is_built_once_per_publication_and_the_same_when_kept(demo):
    url = f"{PREFIX}/witte-lijst/tools?_search=reken"
    built = demo.get(url)
    pages = served(demo).pages
    assert (b"/witte-lijst/tools", b"_search=reken") in pages.keys()
    kept = demo.get(url)
    assert (kept.status_code, kept.content) == (built.status_code, built.content)
    assert same_headers(kept) == same_headers(built)
    # Kept compressed: what it costs the budget is a fraction of the page; the page asked
    # again is also kept unpacked, in a budget of its own.
    assert pages.size < len(built.content) / 2
    assert served(demo).hot.get((b"/witte-lijst/tools", b"_search=reken")) == built.content
    assert demo.get(url).content == built.content
    publish(demo.app.state.registry, demo.app.state.whitelist_path, TODAY, "test")
    assert demo.get(url).status_code == 200
    assert served(demo).pages is not pages
    assert len(served(demo).pages) == 1


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/witte-lijst/tools/bestaat-niet", {}),  # a 404
    ("GET", "/witte-lijst/tools?_size=nope", {}),  # a 400
    ("HEAD", "/witte-lijst/tools", {}),
    ("POST", "/witte-lijst/tools", {}),
])
def test_what_is_not_kept(demo, method, path, headers):
    demo.get(f"{PREFIX}/witte-lijst")  # a new publication (earlier test) gets its instance
    before = served(demo).pages.keys()
    demo.request(method, PREFIX + path, headers=headers)
    assert served(demo).pages.keys() == before


@pytest.mark.parametrize("path", [
    "/witte-lijst/tools?_facet=category_label",
    "/witte-lijst/tools.json?_size=3&_facet=verdict_label",
    "/witte-lijst/tools.csv?_size=3",
    "/witte-lijst/vendors",
])
def test_forged_host_never_kept(demo, path):
    # Datasette builds absolute links (next_url, facet toggles, the JSON alternate) from the
    # Host it is given: the forged request comes first, so it is the one whose answer is kept.
    forged = demo.get(PREFIX + path, headers={"Host": FORGED})
    normal = demo.get(PREFIX + path)
    assert forged.status_code == normal.status_code == 200
    assert (forged.content, same_headers(forged)) == (normal.content, same_headers(normal))
    assert FORGED not in normal.text and "testserver.local" not in normal.text
    assert not any(FORGED in value for value in normal.headers.values())
    assert (path.split("?")[0].encode(), path.partition("?")[2].encode()) in \
        served(demo).pages.keys()


def test_absolute_links_use_the_public_url(demo):
    demo.get(f"{PREFIX}/witte-lijst/tools.json?_size=2", headers={"Host": FORGED})
    page = demo.get(f"{PREFIX}/witte-lijst/tools.json?_size=2").json()
    assert page["next_url"].startswith(f"{PUBLIC_URL}{PREFIX}/witte-lijst/tools.json?")
    html = demo.get(f"{PREFIX}/witte-lijst/tools", headers={"Host": FORGED}).text
    assert f'href="{PUBLIC_URL}{PREFIX}/witte-lijst/tools.json"' in html


@pytest.mark.parametrize("headers", [
    {"Cookie": "ds_actor=someone; ds_messages=x; ds_csrftoken=y"},
    {"Authorization": "Bearer dstok_something"},
    {"Accept": "application/json", "If-None-Match": "*", "X-Forwarded-Host": FORGED,
     "X-Forwarded-Proto": "https", "Forwarded": f"host={FORGED}"},
])
def test_no_request_header_reaches_datasette(demo, headers):
    # So the answer kept for one is the answer for all: it depends on method, path and query.
    path = f"{PREFIX}/witte-lijst/tools?_sort=id&_size=5"
    asked = demo.get(path, headers=headers)
    anonymous = demo.get(path)
    assert (asked.status_code, asked.content) == (anonymous.status_code, anonymous.content)
    assert same_headers(asked) == same_headers(anonymous)
    assert "private" not in asked.headers.get("cache-control", "")


def test_a_public_url_must_be_an_origin():
    from registry.whitelist import mount

    assert mount.origin("https://lijst.example.nl:8443/") == ("https", b"lijst.example.nl:8443")
    for wrong in ["lijst.example.nl", "ftp://lijst.example.nl", "https://", "https://x.nl/pad",
                  "https://x.nl?q=1", "https://user@x.nl", "https://x.nl#a", "https://x .nl"]:
        with pytest.raises(ValueError, match="public URL"):
            mount.origin(wrong)


def test_serve_checks_the_public_url_and_hands_it_to_the_workers(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.app import ENV_PUBLIC_URL
    from registry.cli import main

    option = next(p for p in main.commands["serve"].params if p.name == "public_url")
    assert (option.envvar, option.default) == (ENV_PUBLIC_URL, None)
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "r.db"),
                                       "--public-url", "ftp://lijst.example.nl"])
    assert result.exit_code == 2 and "--public-url" in result.output
    assert not (tmp_path / "r.db").exists()  # refused before anything was made
    monkeypatch.setenv(ENV_PUBLIC_URL, PUBLIC_URL)  # what `registry serve --public-url` sets
    settings = Settings.from_env()
    assert settings.public_url == PUBLIC_URL
    assert create_app(settings).state.datasette.host == b"lijst.example.nl"
    monkeypatch.delenv(ENV_PUBLIC_URL)
    assert Settings.from_env().public_url == Settings().public_url == "http://127.0.0.1:8000"


def test_big_pages_are_sent_not_kept(demo, monkeypatch):
    from registry.whitelist import mount

    monkeypatch.setattr(mount, "MAX_KEPT_PAGE", 100)
    big = f"{PREFIX}/witte-lijst/tools.json?_size=5"
    response = demo.get(big)
    assert response.status_code == 200 and len(response.content) > 100
    assert (b"/witte-lijst/tools.json", b"_size=5") not in served(demo).pages.keys()


def test_requests_during_a_start_share_one_new_instance(tmp_path, monkeypatch):
    import asyncio

    from registry.whitelist import mount

    path = tmp_path / "witte-lijst.db"
    with TestClient(create_app(Settings(db_path=tmp_path / "registry.db",
                                        today=lambda: TODAY))) as client:
        path.write_bytes(client.app.state.whitelist_path.read_bytes())
    import datasette.app

    real, started = datasette.app.Datasette, []

    def counting(*args, **kwargs):
        started.append(kwargs["immutables"])
        return real(*args, **kwargs)

    monkeypatch.setattr(datasette.app, "Datasette", counting)  # mount imports it when it starts
    served = mount.DatasetteMount(path, PREFIX)

    async def at_once(n: int) -> set[int]:
        return {id(s) for s in await asyncio.gather(*(served._current() for _ in range(n)))}

    assert len(asyncio.run(at_once(5))) == 1
    assert len(started) == 1  # the other four waited for it
    assert len(asyncio.run(at_once(3))) == 1  # another event loop, its own lock: none started
    assert len(started) == 1
