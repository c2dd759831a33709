"""`registry serve --read-only --whitelist FILE`: a replica that serves the public side from a
published file alone, with nothing of the write side loaded and no database."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.labels import NOT_PUBLISHED

DAY = "2026-11-28"  # the day `demo_published` publishes on
TOOL = "maakplaats-klassenklok"

FACTORY = """
import json, sys
from registry.whitelist.app import read_app_from_env
read_app_from_env()
print(json.dumps(sorted(m for m in sys.modules if m.partition(".")[0] == "registry")))
"""


def floor() -> set[str]:
    """The modules both wings may use: `FLOOR` of tests/test_architecture.py, read from its
    text (a test module imports no other), so there is one list."""
    tree = ast.parse((Path(__file__).parent / "test_architecture.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["FLOOR"]:
            return ast.literal_eval(node.value)
    raise AssertionError("tests/test_architecture.py has no FLOOR")


def test_the_read_only_workers_load_nothing_of_the_write_side(tmp_path):
    """What a worker of `serve --read-only` runs (granian imports the factory's module and
    calls it), in a fresh interpreter: only the read wing and the floor are loaded."""
    env = os.environ | {"REGISTRY_WHITELIST": str(tmp_path / "witte-lijst.db"),
                        "REGISTRY_TODAY": DAY, "REGISTRY_CACHE_MB": "8"}
    done = subprocess.run([sys.executable, "-c", FACTORY], capture_output=True, text=True,
                          env=env, check=True)
    loaded = set(json.loads(done.stdout))
    assert {"registry.whitelist.app", "registry.whitelist.api", "registry.published"} <= loaded
    # The clock reads $REGISTRY_TODAY and imports nothing (part of the floor in all but name).
    allowed = floor() | {"registry.clock"}
    assert {m for m in loaded if m not in allowed and not m.startswith("registry.whitelist")
            } == set()
    assert not (tmp_path / "registry.db").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--read-only"], "--read-only needs --whitelist FILE"),
    (["--read-only", "--whitelist", "w.db", "--db", "r.db"], "it takes no --db."),
    (["--read-only", "--whitelist", "w.db", "--no-demo"], "it takes no --demo/--no-demo."),
])
def test_read_only_is_told_what_it_needs(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGISTRY_WHITELIST", raising=False)
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2 and message in result.output
    assert list(tmp_path.iterdir()) == []  # no database was created


PAGES = [  # (path, what the page says)
    ("/?q=Klassenklok", "Wat doe je nu?"),
    ("/api/check?q=Klassenklok", TOOL),
    ("/api/embed/tools?level=PO", '"tools"'),
    ("/embed", "Toegestane tools"),
    (f"/tools/{TOOL}", "Klassenklok"),
    ("/lijst/", "Witte lijst digitale leermiddelen"),
    (f"/lijst/witte-lijst/tools/{TOOL}", "Klassenklok"),
    ("/static/style.css", "{"),
]
WRITE_SIDE = [("POST", "/api/vendors"), ("GET", "/api/vendors"), ("GET", "/beheer"),
              ("GET", "/beheer/inloggen"), ("POST", "/api/publications"), ("GET", "/api/docs"),
              ("POST", "/aanvragen"), ("GET", "/api/stats")]


@pytest.mark.server
def test_a_read_only_server_serves_the_public_side_and_nothing_else(
        demo_published, read_only_factory, monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_TODAY", DAY)
    monkeypatch.setenv("REGISTRY_DB", str(tmp_path / "registry.db"))  # never opened
    whitelist = demo_published[1]
    server = read_only_factory(whitelist)
    assert f"Whitelist: {whitelist}" in server.output
    assert f"Serving read-only on http://127.0.0.1:{server.port}/" in server.output
    with server.client() as http:
        for path, text in PAGES:
            page = http.get(path)
            assert page.status_code == 200 and text in page.text, path
            assert "set-cookie" not in page.headers, path
            assert page.headers["x-content-type-options"] == "nosniff", path
            assert page.headers["referrer-policy"] == "no-referrer", path
            assert "default-src" in page.headers["content-security-policy"], path
        assert http.get("/api/check", params={"q": "Klassenklok"}).json()["tool"][
            "valid_on"] == DAY  # $REGISTRY_TODAY reaches the workers
        assert http.get("/").headers["x-frame-options"] == "DENY"
        for method, path in WRITE_SIDE:
            response = http.request(method, path)
            assert response.status_code in (404, 405), (method, path)
            assert "set-cookie" not in response.headers, (method, path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.server
def test_a_replica_without_its_file_answers_503_until_it_arrives(
        demo_published, read_only_factory, tmp_path):
    whitelist = tmp_path / "replica" / "witte-lijst.db"
    whitelist.parent.mkdir()
    server = read_only_factory(whitelist)
    assert "not there yet" in server.output
    with server.client() as http:
        check = http.get("/api/check", params={"q": "Klassenklok"})
        assert check.status_code == 503 and check.json()["detail"] == NOT_PUBLISHED
        assert http.get("/lijst/").status_code == 503
        assert NOT_PUBLISHED in http.get("/embed").text
        # As a replica puts a publication in place: a whole file, swapped in at once.
        incoming = whitelist.with_name(".incoming.db")
        shutil.copy(demo_published[1], incoming)
        os.replace(incoming, whitelist)
        check = http.get("/api/check", params={"q": "Klassenklok"})
        assert check.status_code == 200 and check.json()["tool"]["id"] == TOOL
        assert http.get("/lijst/").status_code == 200


@pytest.mark.server
def test_the_full_server_publishes_where_whitelist_says(tmp_path, server_factory):
    """Without --read-only, --whitelist is where the registry publishes and serves from."""
    elsewhere = tmp_path / "public" / "witte-lijst.db"
    elsewhere.parent.mkdir()
    server = server_factory(tmp_path / "registry.db", "--whitelist", str(elsewhere), workers=1)
    assert f"Whitelist: {elsewhere}" in server.output
    assert elsewhere.exists() and not (tmp_path / "witte-lijst.db").exists()
    with server.client() as http:
        assert http.get("/api/check", params={"q": "Klassenklok"}).status_code == 200
