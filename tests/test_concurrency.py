"""Concurrent clients against a real `registry serve` with two worker processes."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from registry.db import Registry
from registry.models import Role

pytestmark = pytest.mark.server
VENDOR = json.loads((Path(__file__).parent / "records.json").read_text())["vendors"]

CLIENTS = 8


@pytest.fixture
def served(db_path, server_factory):
    registry = Registry(db_path)
    registry.migrate()
    _, secret = registry.tokens.create("inkoop", Role.procurement)
    registry.close()
    server = server_factory(db_path, "--no-demo", workers=2)
    return server, {"Authorization": f"Bearer {secret}"}


def test_no_lost_updates_under_concurrent_read_then_update(served, db_path):
    server, auth = served
    with server.client(headers=auth) as http:
        assert http.post("/api/vendors", json=VENDOR).status_code == 201

    def client(n: int) -> Counter:
        statuses = Counter()
        with server.client(headers=auth) as http:
            for i in range(100):
                read = http.get("/api/vendors/rekenfabriek")
                body = {**VENDOR, "name": f"Rekenfabriek {n}-{i}"}
                response = http.put("/api/vendors/rekenfabriek", json=body,
                                    headers={"If-Match": read.headers["etag"]})
                statuses[response.status_code] += 1
        return statuses

    with ThreadPoolExecutor(CLIENTS) as pool:
        total = sum(pool.map(client, range(CLIENTS)), Counter())

    assert set(total) <= {200, 412}, total
    assert total[200] + total[412] == CLIENTS * 100
    registry = Registry(db_path)
    updates = [e for e in registry.audit.history("vendors", "rekenfabriek") if e.action == "update"]
    version = registry.get("vendors", "rekenfabriek").version
    assert version - 1 == total[200] == len(updates)
    assert [e.version for e in updates] == list(range(2, version + 1))
    assert registry.audit.verify_events() == []
    registry.close()


def test_concurrent_writers_all_succeed(served, db_path):
    server, auth = served
    with server.client(headers=auth) as http:
        assert http.post("/api/vendors", json=VENDOR).status_code == 201

    def writer(n: int) -> list[tuple[int, str]]:
        out = []
        with server.client(headers=auth) as http:
            for i in range(40):
                tool = {"id": f"tool-{n}-{i}", "vendor_id": "rekenfabriek", "name": f"Tool {n}-{i}",
                        "category": "practice", "levels": ["PO"]}
                response = http.post("/api/tools", json=tool)
                out.append((response.status_code, response.text))
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [r for batch in pool.map(writer, range(CLIENTS)) for r in batch]

    assert [s for s, _ in results] == [201] * CLIENTS * 40
    assert not any("locked" in text for _, text in results)
    registry = Registry(db_path)
    assert registry.db["tools"].count == CLIENTS * 40
    assert registry.db["events"].count == CLIENTS * 40 + 1
    assert registry.audit.verify_events() == []
    registry.close()
