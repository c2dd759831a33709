"""Fixtures named for what they return: a registry on a temporary database, an app, clients."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from registry.app import Settings, create_app
from registry.db import Registry
from registry.importer import load_demo
from registry.models import Role

VENDOR = {"id": "rekenfabriek", "name": "Rekenfabriek B.V.", "country": "NL", "kvk_number": "12345678"}
TOOL = {
    "id": "rekenrijk",
    "vendor_id": "rekenfabriek",
    "name": "Rekenrijk",
    "category": "practice",
    "levels": ["PO"],
    "domains": [{"host": "rekenrijk.nl", "include_subdomains": True}],
}
AGREEMENT = {
    "id": "rekenfabriek-vo",
    "vendor_id": "rekenfabriek",
    "tool_ids": ["rekenrijk"],
    "model_version": "model_4",
    "status": "signed",
    "signed_on": "2026-01-01",
    "expires_on": "2028-12-31",
}
ASSESSMENT = {
    "id": "rekenrijk-dpia",
    "tool_id": "rekenrijk",
    "kind": "dpia",
    "assessor": "Kennisnet Demo",
    "assessed_on": "2026-02-01",
    "status": "final",
    "outcome": "approved",
    "residual_risk": "low",
}
RECORDS = {"vendors": VENDOR, "tools": TOOL, "agreements": AGREEMENT, "assessments": ASSESSMENT}


@contextmanager
def demo_client(folder: Path, role: Role, today: dt.date, name: str | None = None
                ) -> Iterator[TestClient]:
    """The app on the demo data, published on `today` as `registry serve` does, with the
    Authorization header of a `role` token as `client.token` (`auth` is httpx's)."""
    with TestClient(create_app(Settings(db_path=folder / "registry.db",
                                        today=lambda: today))) as client:
        _, secret = client.app.state.registry.create_token(name or role.value, role)
        client.token = {"Authorization": f"Bearer {secret}"}
        yield client


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    """A registry database file with the demo data, closed (as `registry serve` leaves it)."""
    path = tmp_path / "registry.db"
    registry = Registry(path)
    registry.migrate()
    load_demo(registry)
    registry.close()
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "registry.db"


@pytest.fixture
def app(db_path: Path):
    return create_app(Settings(db_path=db_path, demo=False))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def registry(client) -> Registry:
    return client.app.state.registry


@pytest.fixture
def tokens(registry: Registry) -> dict[str, str]:
    """Authorization headers by kind of caller: procurement, publisher, revoked."""
    _, procurement = registry.create_token("inkoop", Role.procurement)
    _, publisher = registry.create_token("sector", Role.publisher)
    _, revoked = registry.create_token("oud", Role.procurement)
    registry.revoke_token("oud")
    return {
        "procurement": f"Bearer {procurement}",
        "publisher": f"Bearer {publisher}",
        "revoked": f"Bearer {revoked}",
    }


@pytest.fixture
def auth(tokens) -> dict[str, str]:
    return {"Authorization": tokens["procurement"]}


@pytest.fixture
def seeded(client, auth) -> dict[str, dict]:
    """One record of each kind, created through the API."""
    for kind, record in RECORDS.items():
        response = client.post(f"/api/{kind}", json=record, headers=auth)
        assert response.status_code == 201, response.text
    return RECORDS


def snapshot(registry: Registry) -> dict[str, list]:
    """Every row of every table, to show that a refused request changed nothing."""
    tables = [t for t in registry.db.table_names() if not t.startswith("_")]
    return {t: list(registry.db.execute(f"SELECT * FROM [{t}] ORDER BY rowid")) for t in tables}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`registry serve` in a subprocess on 127.0.0.1, stopped when the test ends."""

    def __init__(self, db_path: Path, *args: str, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = os.environ | {"PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "registry", "serve", "--db", str(db_path), "--port",
             str(self.port), "--workers", str(workers), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        self.lines: list[str] = []
        ready = threading.Event()

        def drain() -> None:
            # Reads all output so the pipe never fills; granian says "Started worker-N" once
            # a worker serves.
            started = 0
            for line in self.process.stdout:
                self.lines.append(line)
                started += bool(re.search(r"Started worker-\d", line))
                if started == workers:
                    ready.set()
            ready.set()

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()
        if not ready.wait(timeout=60) or self.process.poll() is not None:
            raise RuntimeError("registry serve did not start:\n" + "".join(self.lines))

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def client(self, **kwargs) -> httpx.Client:
        transport = httpx.HTTPTransport(retries=5)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.drainer.join()
        self.process.stdout.close()


@pytest.fixture
def server_factory():
    servers = []

    def start(db_path: Path, *args: str, workers: int = 2) -> Server:
        server = Server(db_path, *args, workers=workers)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
