"""Publishing while teachers read: a real `registry serve` with two workers is published again
and again while readers ask the check API and the whitelist (Datasette under /lijst).

Before each publication a tool's name gets a counter, so every answer says which publication
it came from twice: the counter in the name and the publication's version. No read fails,
none mixes two publications, and after the last one every worker serves it.
"""

from __future__ import annotations

import html
import re
import threading

import httpx
import pytest

from registry.limits import CHECK_LIMIT
from registry.db import Registry
from registry.models import Role

pytestmark = pytest.mark.load

TOOL = "noorderlicht-rekenen"
HOST = "rekenen.noorderlicht-demo.nl"
PUBLISHES = 6
READERS = 4
ITERATIONS = 400  # per reader at most; the readers stop when publishing is done
CHECKS = 50  # per reader: the check is rate limited per client (and counted per worker)
FRESH = 30  # requests on new connections after the last publication, to reach every worker
SERVER_FIELDS = ("version", "created_at", "updated_at", "archived_at")
ROW = f"/lijst/witte-lijst/tools/{TOOL}"


def row_page(response: httpx.Response) -> tuple[int, str]:
    """(publication version in the footer, tool name in the row) of the Datasette row page."""
    version = re.search(r"Publicatie (\d+) van", response.text)
    name = re.search(r'<td class="col-name[^"]*">(.*?)</td>', response.text, re.S)
    assert version and name, response.text[:500]
    return int(version[1]), html.unescape(name[1].strip())


def test_readers_never_see_a_failed_or_mixed_publication(db_path, server_factory, monkeypatch):
    monkeypatch.setenv("REGISTRY_FOUR_EYES", "0")  # one publisher publishes directly
    registry = Registry(db_path)
    registry.migrate()
    _, secret = registry.tokens.create("sector", Role.publisher)
    registry.close()
    assert CHECK_LIMIT.rate_limit == ("minute", 300)
    assert READERS * CHECKS + FRESH < 300  # even if every check reaches the same worker
    server = server_factory(db_path, workers=2)
    publisher = server.client(headers={"Authorization": f"Bearer {secret}"})
    base_name = publisher.get(f"/api/tools/{TOOL}").json()["name"]
    expected = {1: base_name}  # publication version -> the tool's name in it
    seen: list[tuple[str, int, str]] = []  # (where, version, name)
    names: set[str] = set()
    failures: list[str] = []
    done = threading.Event()
    lock = threading.Lock()

    def read(n: int) -> None:
        checks = 0
        with server.client() as http:
            for _ in range(ITERATIONS):
                if done.is_set():
                    break
                try:
                    if checks < CHECKS:
                        checks += 1
                        answer = http.get("/api/check", params={"q": HOST})
                        assert answer.status_code == 200, answer.text
                        body = answer.json()
                        found = ("check", body["publication"]["version"], body["tool"]["name"])
                    else:
                        found = None
                    page = http.get(ROW)
                    assert page.status_code == 200, page.text[:300]
                    listed = http.get("/lijst/witte-lijst/tools.json",
                                      params={"id": TOOL, "_shape": "array"})
                    assert listed.status_code == 200, listed.text[:300]
                    with lock:
                        if found:
                            seen.append(found)
                        seen.append(("row page", *row_page(page)))
                        names.add(listed.json()[0]["name"])
                except Exception as exc:  # noqa: BLE001 - every failure is reported below
                    with lock:
                        failures.append(f"reader {n}: {exc!r}")
                    return

    readers = [threading.Thread(target=read, args=(n,)) for n in range(READERS)]
    for reader in readers:
        reader.start()
    try:
        for i in range(1, PUBLISHES + 1):
            tool = publisher.get(f"/api/tools/{TOOL}")
            body = {k: v for k, v in tool.json().items() if k not in SERVER_FIELDS}
            body["name"] = f"{base_name} #{i}"
            renamed = publisher.put(f"/api/tools/{TOOL}", json=body,
                                    headers={"If-Match": tool.headers["etag"]})
            assert renamed.status_code == 200, renamed.text
            published = publisher.post("/api/publications")
            assert published.status_code == 201, published.text
            expected[published.json()["version"]] = body["name"]
    finally:
        done.set()
        for reader in readers:
            reader.join(120)
        publisher.close()

    assert failures == [], (failures, server.output[-3000:])
    assert sorted(expected) == list(range(1, PUBLISHES + 2))
    mixed = [s for s in seen if expected.get(s[1]) != s[2]]
    assert mixed == [], mixed[:5]
    assert names <= set(expected.values())
    assert {where for where, _, _ in seen} == {"check", "row page"}

    # After the last publication: every worker answers with it. A new connection each time,
    # so the kernel spreads them over both workers (30 on one alone: about 1 in 10^9).
    last = max(expected)
    for _ in range(FRESH):
        with server.client(headers={"Connection": "close"}) as http:
            answer = http.get("/api/check", params={"q": HOST}).json()
            assert (answer["publication"]["version"], answer["tool"]["name"]) == (
                last, expected[last])
            assert row_page(http.get(ROW)) == (last, expected[last])
