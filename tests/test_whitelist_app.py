"""The read wing alone (`create_read_app`): a replica with nothing but a published file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.app import create_read_app
from registry.db import Registry
from registry.importer import load_demo
from registry.labels import NOT_PUBLISHED
from registry.publish import publish

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def whitelist(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("replica")
    registry = Registry(folder / "registry.db")
    registry.migrate()
    load_demo(registry)
    publish(registry, folder / "witte-lijst.db", TODAY, "sector")
    registry.close()
    (folder / "registry.db").unlink()  # a replica has the published file only
    return folder / "witte-lijst.db"


@pytest.fixture(scope="module")
def replica(whitelist) -> TestClient:
    with TestClient(create_read_app(whitelist, today=lambda: TODAY)) as client:
        yield client


def test_a_replica_answers_teachers_from_the_file(replica):
    answer = replica.get("/api/check", params={"q": "https://de-regenboog.schoolplein-demo.nl"})
    assert answer.status_code == 200
    assert answer.json()["tool"]["id"] == "schoolplein-las"
    page = replica.get("/", params={"q": "Klassenklok"})
    assert page.status_code == 200 and "Wat doe je nu?" in page.text
    assert "Toegestane tools" in replica.get("/embed").text
    assert replica.get("/api/embed/tools", params={"level": "PO"}).json()["tools"]
    assert replica.get("/uitleg").status_code == replica.get("/favicon.ico").status_code == 200
    assert replica.get("/static/style.css").status_code == 200
    assert replica.get("/api/health").json() == {"status": "ok"}


def test_a_replica_serves_the_whitelist_with_its_metadata(replica):
    home = replica.get("/lijst/")
    assert home.status_code == 200 and "Witte lijst digitale leermiddelen" in home.text
    assert "default-src 'self'" in home.headers["content-security-policy"]
    tools = replica.get("/lijst/witte-lijst/tools.json", params={"_shape": "array"}).json()
    assert any(t["id"] == "schoolplein-las" for t in tools)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/aanvragen"),  # the review form is the writer's
    ("POST", "/api/review-requests"),
    ("GET", "/api/stats"),  # behind a token of the registry
    ("GET", "/api/tools"),
    ("GET", "/api/docs"),
])
def test_a_replica_has_no_write_side(replica, method, path):
    response = replica.request(method, path)
    assert response.status_code in (404, 405)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_replicas_errors_are_problems(replica):
    response = replica.get("/api/check", params={"q": "x" * 4001})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "q"
    assert replica.get("/api/embed/tools", params={"level": "XX"}).status_code == 400


def test_a_replica_without_a_file_says_so(tmp_path):
    with TestClient(create_read_app(tmp_path / "witte-lijst.db")) as client:
        check = client.get("/api/check", params={"q": "x"})
        assert check.status_code == 503 and check.json()["detail"] == NOT_PUBLISHED
        assert client.get("/lijst/").status_code == 503
        assert NOT_PUBLISHED in client.get("/embed").text
