"""Publishing while teachers read: no failed or mixed answer, and the last version is served."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from registry.db import Registry
from registry.models import Role
from tests.conftest import Server

PUBLISHES = 6
TOOL = "noorderlicht-rekenen"


def test_readers_never_see_an_error_or_a_mixed_answer(tmp_path):
    os.environ["REGISTRY_TODAY"] = "2026-11-28"
    try:
        server = Server(tmp_path / "registry.db", workers=2)
    finally:
        del os.environ["REGISTRY_TODAY"]
    try:
        registry = Registry(tmp_path / "registry.db")
        _, secret = registry.create_token("sector", Role.publisher)
        registry.close()
        auth = {"Authorization": f"Bearer {secret}"}
        done, problems, answers = threading.Event(), [], []

        def reader(n: int) -> None:
            with server.client() as http:
                for i in range(10_000):  # bounded; stops when publishing is done
                    if done.is_set() and i > 20:
                        return
                    check = http.get("/api/check", params={"q": "rekenen.noorderlicht-demo.nl"})
                    if check.status_code != 200:
                        problems.append(("check", check.status_code, check.text))
                        continue
                    body = check.json()
                    version = body["publication"]["version"]
                    name = body["tool"]["name"]
                    # Publication N carries the name given just before it: "… v{N}".
                    expected = "Noorderlicht Rekenen (demo)" if version == 1 else \
                        f"Noorderlicht Rekenen v{version}"
                    if name != expected:
                        problems.append(("mixed", version, name))
                    answers.append(version)
                    page = http.get("/lijst/witte-lijst/tools.json",
                                    params={"_shape": "array", "id": TOOL})
                    if page.status_code != 200 or not page.json()[0]["name"].startswith(
                            "Noorderlicht Rekenen"):
                        problems.append(("whitelist", page.status_code, page.text[:200]))

        with ThreadPoolExecutor(4) as pool:
            readers = [pool.submit(reader, n) for n in range(4)]
            with server.client(headers=auth) as http:
                for version in range(2, PUBLISHES + 2):
                    tool = http.get(f"/api/tools/{TOOL}").json()
                    body = {k: v for k, v in tool.items()
                            if k not in ("version", "created_at", "updated_at", "archived_at")}
                    body["name"] = f"Noorderlicht Rekenen v{version}"
                    updated = http.put(f"/api/tools/{TOOL}", json=body,
                                       headers={"If-Match": f'"{tool["version"]}"'})
                    assert updated.status_code == 200, updated.text
                    published = http.post("/api/publications")
                    assert published.status_code == 201, published.text
                    assert published.json()["version"] == version
            done.set()
            for future in readers:
                future.result()

        assert problems == []
        assert len(answers) > PUBLISHES
        last = PUBLISHES + 1
        with server.client() as http:
            for _ in range(8):  # both workers, several times each
                body = http.get("/api/check", params={"q": "rekenen.noorderlicht-demo.nl"}).json()
                assert body["publication"]["version"] == last
                assert body["tool"]["name"] == f"Noorderlicht Rekenen v{last}"
                rows = http.get("/lijst/witte-lijst/publication.json",
                                params={"_shape": "array"}).json()
                assert rows[0]["version"] == last
    finally:
        server.stop()
