"""Three read-only replicas behind nginx, each following the publisher with `registry replica`,
while teachers read through the balancer and the sector publishes twice.

As in test_publish_under_load.py, a tool's name gets a counter before each publication, so
every answer says twice which publication it came from: the name and the version. No read
fails, none mixes two publications, every replica takes each new one within a bounded poll,
and reads go on while one replica is killed (SIGKILL) and started again.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from registry.db import Registry
from registry.deploy import NGINX, nginx_config
from registry.limits import CHECK_LIMIT
from registry.models import Role
from registry.signing import create_keys

pytestmark = [pytest.mark.server, pytest.mark.load]

TOOL = "noorderlicht-rekenen"
HOST = "rekenen.noorderlicht-demo.nl"
ROW = f"/lijst/witte-lijst/tools/{TOOL}"
REPLICAS = 3
READERS = 3
CHECKS = 60  # per reader: every replica counts the checks of 127.0.0.1 (nginx) alike
ITERATIONS = 3000  # per reader at most; the readers stop when the test is done
SERVER_FIELDS = ("version", "created_at", "updated_at", "archived_at")
FOLLOW_SECONDS = 20  # a replica takes a new publication within this (a poll every 0.2 s)


def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll `condition` every 0.1 s until it holds; fail after `seconds`."""
    deadline, pause = time.monotonic() + seconds, threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        pause.wait(0.1)


def row_page(response: httpx.Response) -> tuple[int, str]:
    """(publication version in the footer, tool name in the row) of the Datasette row page."""
    version = re.search(r"Publicatie (\d+) van", response.text)
    name = re.search(r'<td class="col-name[^"]*">(.*?)</td>', response.text, re.S)
    assert version and name, response.text[:500]
    return int(version[1]), html.unescape(name[1].strip())


def served_version(url: str) -> int | None:
    """The publication a replica serves (its embed feed says), or None before it has one."""
    try:
        feed = httpx.get(f"{url}/api/embed/tools", params={"level": "PO"}, timeout=10)
    except httpx.TransportError:
        return None
    return feed.json()["publication"]["version"] if feed.status_code == 200 else None


def descendants(pid: int) -> list[int]:
    """The processes below `pid` (a granian server's workers), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return found


class Nginx:
    """nginx in front of `replicas`, on 127.0.0.1, with everything it writes in `folder`."""

    def __init__(self, folder: Path, port: int, replicas: list[str]):
        folder.mkdir()
        self.url = f"http://127.0.0.1:{port}"
        conf = folder / "nginx.conf"
        conf.write_text(nginx_config(f"127.0.0.1:{port}", replicas, folder, worker_processes=1))
        self.log = folder / "error.log"
        with (folder / "nginx.out").open("w") as out:
            self.process = subprocess.Popen(
                [NGINX, "-e", str(self.log), "-c", str(conf), "-g", "daemon off;"],
                stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish their requests
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Cluster:
    """The writer, its publisher's client, the replicas with their followers, and nginx."""

    def __init__(self, writer, secret: str, folder: Path, public_key: Path, start_replica):
        self.writer = writer
        self.publisher = writer.client(headers={"Authorization": f"Bearer {secret}"})
        self.base_name = self.publisher.get(f"/api/tools/{TOOL}").json()["name"]
        self.expected = {1: self.base_name}  # publication version -> the tool's name in it
        self.start_replica = start_replica
        self.files = [folder / f"replica-{n}" / "witte-lijst.db" for n in range(REPLICAS)]
        self.followers, self.replicas = [], []
        for file in self.files:
            file.parent.mkdir()
            log = (file.parent / "replica.log").open("w")
            self.followers.append(subprocess.Popen(
                [sys.executable, "-m", "registry", "replica", "--from", writer.url,
                 "--whitelist", str(file), "--public-key", str(public_key), "--interval", "0.2"],
                stdout=log, stderr=subprocess.STDOUT))
            log.close()
            self.replicas.append(start_replica(file))
        self.nginx: Nginx | None = None

    def publish(self, i: int) -> int:
        """Rename the tool with counter `i` and publish; the new publication's version."""
        tool = self.publisher.get(f"/api/tools/{TOOL}")
        body = {k: v for k, v in tool.json().items() if k not in SERVER_FIELDS}
        body["name"] = f"{self.base_name} #{i}"
        renamed = self.publisher.put(f"/api/tools/{TOOL}", json=body,
                                     headers={"If-Match": tool.headers["etag"]})
        assert renamed.status_code == 200, renamed.text
        published = self.publisher.post("/api/publications")
        assert published.status_code == 201, published.text
        version = published.json()["version"]
        self.expected[version] = body["name"]
        return version

    def all_serve(self, version: int, replicas: list | None = None) -> None:
        for replica in replicas or self.replicas:
            until(lambda: served_version(replica.url) == version, FOLLOW_SECONDS,
                  f"replica on port {replica.port} serves publication {version}")

    def kill(self, n: int):
        """SIGKILL replica `n`'s server and its workers, as a machine that goes down."""
        replica = self.replicas[n]
        workers = descendants(replica.process.pid)
        for pid in [replica.process.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        replica.process.wait()
        return replica

    def restart(self, n: int) -> None:
        self.replicas[n] = self.start_replica(self.files[n], port=self.replicas[n].port)

    def logs(self) -> str:
        return "\n".join(f.with_name("replica.log").read_text() for f in self.files)

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for follower in self.followers:
            follower.terminate()
            follower.wait(timeout=20)
        self.publisher.close()


@pytest.fixture
def cluster(tmp_path, db_path, port, server_factory, read_only_factory, monkeypatch):
    """A writer publishing the demo data with a signing key, three replicas on its first
    publication, and nginx in front of them."""
    monkeypatch.setenv("REGISTRY_FOUR_EYES", "0")  # one publisher publishes directly
    private, public = create_keys(tmp_path / "keys")
    monkeypatch.setenv("REGISTRY_SIGNING_KEY", str(private))
    registry = Registry(db_path)
    registry.migrate()
    _, secret = registry.tokens.create("sector", Role.publisher)
    registry.close()
    writer = server_factory(db_path, workers=1)
    monkeypatch.setenv("REGISTRY_TRUSTED_PROXIES", "127.0.0.1")  # the replicas trust nginx
    cluster = Cluster(writer, secret, tmp_path, public, read_only_factory)
    try:
        cluster.all_serve(1)
        cluster.nginx = Nginx(tmp_path / "nginx", port,
                              [f"127.0.0.1:{r.port}" for r in cluster.replicas])
        until(lambda: served_version(cluster.nginx.url) == 1, 20, "nginx answers")
        yield cluster
    finally:
        cluster.stop()


class Readers:
    """Teachers reading through the balancer until `stop`: the check API (a bounded number
    per reader: the rate limit) and the whitelist's row page of the renamed tool."""

    def __init__(self, url: str):
        self.url = url
        self.seen: list[tuple[str, int, str]] = []  # (where, version, name)
        self.failures: list[str] = []
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.read, args=(n,)) for n in range(READERS)]
        for thread in self.threads:
            thread.start()

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.seen)

    def read(self, n: int) -> None:
        checks = 0
        with httpx.Client(base_url=self.url, timeout=30) as http:
            for _ in range(ITERATIONS):
                if self.done.is_set():
                    return
                try:
                    found = []
                    if checks < CHECKS:
                        checks += 1
                        answer = http.get("/api/check", params={"q": HOST})
                        assert answer.status_code == 200, answer.text
                        body = answer.json()
                        found.append(("check", body["publication"]["version"],
                                      body["tool"]["name"]))
                    page = http.get(ROW)
                    assert page.status_code == 200, page.text[:300]
                    found.append(("row page", *row_page(page)))
                    with self.lock:
                        self.seen += found
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    with self.lock:
                        self.failures.append(f"reader {n}: {exc!r}")
                    return

    def stop(self) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(60)


def test_reads_through_nginx_survive_publications_and_a_killed_replica(cluster):
    assert CHECK_LIMIT.rate_limit == ("minute", 300)
    assert READERS * CHECKS < 300  # even if every check reaches the same replica
    readers = Readers(cluster.nginx.url)
    try:
        until(lambda: readers.count > 20 or readers.failures, 20, "the readers read")
        second = cluster.publish(1)
        cluster.all_serve(second)

        down = cluster.kill(1)
        before = readers.count
        third = cluster.publish(2)  # while replica 1 is down: the other two take it
        cluster.all_serve(third, [r for r in cluster.replicas if r is not down])
        until(lambda: readers.count > before + 30 or readers.failures, 20,
              "reads go on while a replica is down")
        cluster.restart(1)
        cluster.all_serve(third)  # the restarted one serves what its follower installed
        after = readers.count
        until(lambda: readers.count > after + 30 or readers.failures, 20,
              "reads go on after the restart")
    finally:
        readers.stop()

    assert readers.failures == [], (readers.failures, cluster.logs(),
                                    cluster.nginx.log.read_text()[-2000:])
    assert sorted(cluster.expected) == [1, second, third] == [1, 2, 3]
    mixed = [s for s in readers.seen if cluster.expected.get(s[1]) != s[2]]
    assert mixed == [], mixed[:5]
    assert {where for where, _, _ in readers.seen} == {"check", "row page"}
    assert {version for _, version, _ in readers.seen} == {1, 2, 3}
    refused = [line for line in cluster.logs().splitlines() if "refus" in line.lower()]
    assert refused == []
    # nginx did send reads to the killed replica, and took them to another one: a new
    # connection refused ("connect() failed"), or one under way when it was killed
    # ("recv() failed", "prematurely closed"), after which nginx left it alone for a while.
    assert re.search(rf"\[error\] .* upstream: \"http://127\.0\.0\.1:{down.port}/",
                     cluster.nginx.log.read_text())
