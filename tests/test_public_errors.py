"""Errors on the public pages: a Dutch HTML page for a browser (404, 405, 400, 429 and 503 on
`/`, `/tools…`, `/uitleg`, `/embed`, `/insluiten` and unknown paths), problem details for
everyone else and always under /api; the back office keeps its own pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from litestar.testing import TestClient

from registry.app import Settings, create_app, prepare
from registry.limits import EXPORT_LIMIT, LIST_LIMIT
from registry.models import Role
from registry.whitelist.app import create_read_app

TODAY = dt.date(2026, 11, 28)
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(tmp_path_factory, peer_from_header):
    """Both wings on the demo data, reachable from several client addresses."""
    folder = tmp_path_factory.mktemp("errors")
    app = create_app(Settings(db_path=folder / "registry.db", today=lambda: TODAY))
    with TestClient(peer_from_header(app)) as client:
        client.app_ = app
        yield client


def heading(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S)[1].strip()


def assert_dutch_page(response, status: int, title: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in response.text
    assert heading(response) == title
    assert f"Foutcode {status}." in response.text
    assert 'href="/tools"' in response.text and 'href="/"' in response.text
    for english in ("Not Found", "Method Not Allowed", "Bad Request", "Too Many Requests"):
        assert english not in response.text


@pytest.mark.parametrize("path", [
    "/bestaat-niet", "/tools/bestaat-niet", "/tools/bestaat/niet", "/uitleg/extra",
    "/embed/extra", "/insluiten/extra", "/static/bestaat-niet.css",
])
def test_an_unknown_address_is_a_dutch_404_page(client, path):
    response = client.get(path, headers=BROWSER)
    assert_dutch_page(response, 404, "Deze pagina bestaat niet")
    assert "set-cookie" not in response.headers


def test_a_tool_that_is_not_listed_points_to_the_list(client):
    response = client.get("/tools/bestaat-niet", headers=BROWSER)
    assert "Zoek hem dan in" in response.text
    assert "Zoek hem dan in" not in client.get("/bestaat-niet", headers=BROWSER).text


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/"), ("DELETE", "/"), ("POST", "/tools"), ("PUT", "/tools/rekenen-noorderlicht"),
    ("POST", "/uitleg"), ("POST", "/embed"), ("PATCH", "/insluiten"),
])
def test_a_wrong_method_is_a_dutch_405_page_that_says_what_is_allowed(client, method, path):
    response = client.request(method, path, headers=BROWSER)
    assert_dutch_page(response, 405, "Dit kan op deze pagina niet")
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", [
    "/?q=" + "x" * 4001,
    "/tools?q=" + "x" * 201,
    "/tools?oordeel=" + "x" * 41,
    "/embed?niveau=" + "x" * 21,
    "/insluiten?categorie=" + "x" * 41,
])
def test_a_malformed_address_is_a_dutch_400_page(client, path):
    assert_dutch_page(client.get(path, headers=BROWSER), 400, "Dit adres klopt niet")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/bestaat-niet", 404),
    ("POST", "/tools", 405),
    ("GET", "/?q=" + "x" * 4001, 400),
])
def test_other_clients_keep_problem_details(client, method, path, status):
    for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        response = client.request(method, path, headers=accept)
        assert response.status_code == status
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == status


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/bestaat-niet", 404),
    ("GET", "/api/check?q=" + "x" * 4001, 400),
    ("GET", "/api/tools", 401),
    ("DELETE", "/api/check", 405),
])
def test_the_api_answers_problem_details_even_to_a_browser(client, method, path, status):
    response = client.request(method, path, headers=BROWSER)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


def hammer(client, path: str, limit: int, peer: str) -> None:
    headers = {"X-Test-Peer": peer}
    for n in range(limit):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (n, response.text[:200])


def assert_dutch_429(response) -> None:
    assert_dutch_page(response, 429, "Even wachten")
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 3600
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert "delen alle computers vaak één internetadres" in text
    if wait < 60:
        assert f"Probeer het over {wait} seconde" in text
    else:
        assert f"Probeer het over {-(-wait // 60)} minu" in text
    assert response.headers["ratelimit-remaining"] == "0"


def test_too_many_pages_from_one_address_is_a_dutch_429_page_that_says_when(client):
    limit = LIST_LIMIT.rate_limit[1]
    hammer(client, "/tools", limit, "192.0.2.50")
    me = {"X-Test-Peer": "192.0.2.50"}
    assert_dutch_429(client.get("/tools", headers=BROWSER | me))
    assert_dutch_429(client.get("/tools/rekenen-noorderlicht", headers=BROWSER | me))
    refused = client.get("/tools", headers=me)  # a script gets the problem
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    other = client.get("/tools", headers=BROWSER | {"X-Test-Peer": "192.0.2.51"})
    assert other.status_code == 200


def test_too_many_downloads_of_the_whitelist_is_a_dutch_429_page(client):
    limit = EXPORT_LIMIT.rate_limit[1]
    me = {"X-Test-Peer": "192.0.2.52"}
    hammer(client, "/lijst/witte-lijst.db", limit, "192.0.2.52")
    response = client.get("/lijst/witte-lijst.db", headers=BROWSER | me)
    assert_dutch_429(response)
    assert int(response.headers["retry-after"]) > 60  # an hour's window: said in minutes


def test_the_check_page_too(client):
    from registry.limits import CHECK_LIMIT

    hammer(client, "/", CHECK_LIMIT.rate_limit[1], "192.0.2.53")
    assert_dutch_429(client.get("/", headers=BROWSER | {"X-Test-Peer": "192.0.2.53"}))


def test_the_back_offices_unknown_addresses_are_left_as_they_were(client):
    response = client.get("/beheer/bestaat-niet", headers=BROWSER)
    assert response.status_code == 404
    assert "Foutcode" not in response.text


@pytest.mark.backoffice
def test_the_back_office_keeps_its_own_error_pages(staff_client):
    officer = staff_client(Role.procurement)
    response = officer.get("/beheer/tools/bestaat-niet", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "/beheer/static/" in response.text  # the back office's page, with its own style
    assert "Foutcode" not in response.text


def test_a_replica_without_a_publication_says_so_in_dutch(tmp_path):
    app = create_read_app(tmp_path / "witte-lijst.db", today=lambda: TODAY)
    with TestClient(app) as replica:
        for path in ("/tools", "/tools/rekenen-noorderlicht"):
            assert_dutch_page(replica.get(path, headers=BROWSER), 503, "Nog geen witte lijst")
        assert replica.get("/tools").headers["content-type"].startswith("application/problem+json")


def test_a_replica_answers_a_browser_in_dutch_too(tmp_path):
    prepare(Settings(db_path=tmp_path / "registry.db", today=lambda: TODAY))
    app = create_read_app(tmp_path / "witte-lijst.db", today=lambda: TODAY)
    with TestClient(app) as replica:
        assert_dutch_page(replica.get("/nergens", headers=BROWSER), 404, "Deze pagina bestaat niet")
        assert_dutch_page(replica.post("/uitleg", headers=BROWSER), 405,
                          "Dit kan op deze pagina niet")


def test_a_form_too_large_is_a_dutch_page_that_blames_no_one(client):
    response = client.post("/aanvragen", headers=BROWSER | {"X-Test-Peer": "192.0.2.54"},
                           data={"tool_name": "x" * (2 * 1024 * 1024)})
    assert_dutch_page(response, 413, "Dit kunnen we niet verwerken")
    assert "Er ging bij ons iets mis" not in response.text
