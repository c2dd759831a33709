"""Replicas that follow the publisher: a signed, newer, whole file is swapped in; anything
else is refused with one line, and the last good publication keeps being served. From a
folder (fast), and over HTTP from a real `registry serve` with ETag and 304."""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry import signing
from registry.cli import main
from registry.db import Registry
from registry.publish import publications
from registry.replica import FolderSource, HttpSource, Outcome, Replica

TODAY = dt.date(2026, 11, 28)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Publisher:
    """A folder as the publisher leaves it, with any version of the demo publication."""

    def __init__(self, folder: Path, demo: tuple[Path, Path]):
        self.folder, self.demo_file = folder, demo[1]
        self.key_path, self.public_path = signing.create_keys(folder / "keys")
        registry = Registry.open_read_only(demo[0])
        try:
            self.publication = publications(registry)[0]
        finally:
            registry.close()

    @property
    def file(self) -> Path:
        return self.folder / "witte-lijst.db"

    @property
    def manifest(self) -> Path:
        return self.folder / "witte-lijst.manifest.json"

    def publish(self, version: int, key: Path | Ed25519PrivateKey | None = None) -> None:
        """The demo file as publication `version`, its manifest signed with `key` (default:
        the publisher's)."""
        building = self.folder / "building.db"
        shutil.copyfile(self.demo_file, building)
        with closing(sqlite3.connect(building)) as conn, conn:
            conn.execute("UPDATE publication SET version = ?", [version])
        building.replace(self.file)
        publication = msgspec.structs.replace(self.publication, version=version)
        signing.write_manifest(self.file, publication, key or self.key_path)


@pytest.fixture
def publisher(tmp_path, demo_published) -> Publisher:
    publisher = Publisher(tmp_path / "publisher", demo_published)
    publisher.folder.mkdir(exist_ok=True)
    return publisher


@pytest.fixture
def follow(publisher, tmp_path) -> Callable[..., tuple[Replica, list[str]]]:
    """`follow(source=None)`: a replica of the publisher's folder (or `source`) into
    tmp_path/replica/witte-lijst.db, and the lines it says."""

    def start(source=None) -> tuple[Replica, list[str]]:
        lines: list[str] = []
        replica = Replica(source or FolderSource(publisher.folder),
                          tmp_path / "replica" / "witte-lijst.db",
                          signing.load_public_key(publisher.public_path), lines.append)
        return replica, lines

    return start


def served_version(replica_on, file: Path) -> int:
    """The publication a read app on `file` answers with."""
    answer = replica_on(TODAY, file).get("/api/check", params={"q": "rekenrijk.nl"})
    assert answer.status_code == 200
    return answer.json()["publication"]["version"]


def test_a_replica_installs_a_signed_newer_publication(publisher, follow, replica_on):
    publisher.publish(1)
    replica, lines = follow()
    assert replica.poll() == Outcome.INSTALLED
    assert sha256(replica.whitelist) == sha256(publisher.file)
    published = msgspec.to_builtins(publisher.publication.published_at)
    assert lines == [f"installed publication 1 (published {published}, "
                     f"{publisher.file.stat().st_size} bytes, sha256 "
                     f"{sha256(publisher.file)[:16]}…) as {replica.whitelist}"]
    folder = replica.whitelist.parent
    assert (folder / "witte-lijst.manifest.json").read_bytes() == publisher.manifest.read_bytes()
    assert (folder / "witte-lijst.pub").read_bytes() == publisher.public_path.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [  # no download left beside it
        "witte-lijst.db", "witte-lijst.manifest.json", "witte-lijst.pub"]
    assert replica.poll() == Outcome.UNCHANGED and len(lines) == 1
    assert served_version(replica_on, replica.whitelist) == 1
    publisher.publish(2)
    assert replica.poll() == Outcome.INSTALLED
    assert served_version(replica_on, replica.whitelist) == 2
    restarted, said = follow()
    assert restarted.poll() == Outcome.CURRENT
    assert said == ["publication 2 is served here already"]


def flip_a_byte(publisher: Publisher) -> None:
    data = bytearray(publisher.file.read_bytes())
    data[len(data) // 2] ^= 0x01
    publisher.file.write_bytes(bytes(data))


def truncate(publisher: Publisher) -> None:
    data = publisher.file.read_bytes()
    publisher.file.write_bytes(data[:-4096])


def unsign(publisher: Publisher) -> None:
    manifest = msgspec.json.decode(publisher.manifest.read_bytes(), type=signing.Manifest)
    publisher.manifest.write_bytes(
        msgspec.structs.replace(manifest, signature=None, key_id=None).encode())


REFUSALS = {
    "flipped byte": (lambda p: (p.publish(3), flip_a_byte(p)),
                     "refused publication 3: sha256 of the file does not match the manifest"),
    "other key": (lambda p: p.publish(3, Ed25519PrivateKey.generate()),
                  "refused publication 3: the manifest is signed by another key"),
    "older version": (lambda p: p.publish(1),
                      "refused publication 1: it is not newer than publication 2, which is "
                      "served here"),
    "truncated download": (lambda p: (p.publish(3), truncate(p)),
                           "refused publication 3: the download is truncated: "),
    "unsigned": (lambda p: (p.publish(3), unsign(p)),
                 "refused publication 3: the manifest is not signed"),
    "longer file": (lambda p: (p.publish(3), p.file.write_bytes(p.file.read_bytes() + b"x")),
                    "refused publication 3: the file is larger than the "),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_replica_refuses_and_keeps_serving_the_last_good_publication(
        case, publisher, follow, replica_on):
    publisher.publish(2)
    replica, lines = follow()
    assert replica.poll() == Outcome.INSTALLED
    good = sha256(replica.whitelist), replica.whitelist.stat().st_ino
    assert served_version(replica_on, replica.whitelist) == 2
    manifest_copy = (replica.whitelist.parent / "witte-lijst.manifest.json").read_bytes()
    tamper, line = REFUSALS[case]
    tamper(publisher)
    assert replica.poll() == Outcome.REFUSED
    assert lines[1].startswith(line) and len(lines) == 2
    assert (sha256(replica.whitelist), replica.whitelist.stat().st_ino) == good
    assert (replica.whitelist.parent / "witte-lijst.manifest.json").read_bytes() == manifest_copy
    assert len(list(replica.whitelist.parent.iterdir())) == 3  # no download left behind
    assert served_version(replica_on, replica.whitelist) == 2
    publisher.publish(4)  # the publisher puts it right: the next poll installs it
    assert replica.poll() == Outcome.INSTALLED
    assert served_version(replica_on, replica.whitelist) == 4


def test_a_refused_manifest_is_said_once_and_a_refused_download_is_tried_again(publisher,
                                                                              follow):
    publisher.publish(1)
    unsign(publisher)
    replica, lines = follow()
    assert [replica.poll(), replica.poll()] == [Outcome.REFUSED, Outcome.UNCHANGED]
    assert len(lines) == 1 and not replica.whitelist.exists()
    publisher.publish(1)
    truncate(publisher)
    assert [replica.poll(), replica.poll()] == [Outcome.REFUSED, Outcome.REFUSED]
    publisher.publish(1)  # the whole file at last (as after a download that broke off)
    assert replica.poll() == Outcome.INSTALLED


def test_a_source_without_a_publication_is_said_once(publisher, follow):
    replica, lines = follow()
    assert [replica.poll(), replica.poll()] == [Outcome.FAILED, Outcome.FAILED]
    assert lines == [f"no manifest at {publisher.manifest} yet"]
    publisher.publish(1)
    assert replica.poll() == Outcome.INSTALLED


def test_registry_replica_once_says_each_outcome_on_stderr(publisher, tmp_path):
    publisher.publish(1)
    args = ["replica", "--from", str(publisher.folder), "--whitelist",
            str(tmp_path / "r" / "witte-lijst.db"), "--public-key", str(publisher.public_path),
            "--once"]
    runner = CliRunner()
    done = runner.invoke(main, args)
    assert (done.exit_code, done.stdout) == (0, "")
    assert "installed publication 1 (published" in done.stderr
    assert done.stderr.count("\n") == 1
    publisher.publish(2)
    flip_a_byte(publisher)
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1
    assert refused.stderr.strip().endswith(
        "refused publication 2: sha256 of the file does not match the manifest")
    no_key = runner.invoke(main, args[:-2] + [str(tmp_path / "none.pub"), "--once"])
    assert no_key.exit_code == 1
    assert no_key.stderr == f"Error: No public key at {tmp_path / 'none.pub'}.\n"


def lines_of(process: subprocess.Popen) -> tuple[queue.Queue, threading.Thread]:
    """The lines `process` writes on stderr, as they come, and the thread that reads them."""
    lines: queue.Queue = queue.Queue()

    def drain() -> None:
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    return lines, reader


def wait_for(lines: queue.Queue, text: str, seconds: float = 30) -> list[str]:
    """The lines up to the first that holds `text`, read until a deadline."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} in {seen}")


@pytest.mark.server
def test_registry_replica_follows_and_stops_on_sigterm(publisher, tmp_path):
    publisher.publish(1)
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "replica", "--from", str(publisher.folder),
         "--whitelist", str(tmp_path / "r" / "witte-lijst.db"), "--public-key",
         str(publisher.public_path), "--interval", "0.2"],
        stderr=subprocess.PIPE, text=True)
    lines, reader = lines_of(process)
    try:
        assert "following" in wait_for(lines, "installed publication 1")[0]
        publisher.publish(2)
        wait_for(lines, "installed publication 2")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert wait_for(lines, "stopped")
    finally:
        process.kill()
        process.wait()
        reader.join(timeout=20)
        process.stderr.close()
    assert sha256(tmp_path / "r" / "witte-lijst.db") == sha256(publisher.file)


@pytest.mark.server
def test_a_replica_follows_registry_serve_over_http(server_factory, publisher, tmp_path,
                                                    follow, monkeypatch):
    """The writer signs with $REGISTRY_SIGNING_KEY; polls ask If-None-Match; its private key
    is nowhere under /publicatie or /lijst."""
    monkeypatch.setenv(signing.ENV_SIGNING_KEY, str(publisher.key_path))
    db = tmp_path / "writer" / "registry.db"
    server = server_factory(db, workers=1)  # a new database: the demo, published and signed
    with server.client() as client:
        replica, lines = follow(HttpSource(server.url, client))
        assert replica.poll() == Outcome.INSTALLED, lines
        served = db.parent / "witte-lijst.db"
        assert sha256(replica.whitelist) == sha256(served)
        assert replica.poll() == Outcome.UNCHANGED  # a 304
        for path in ("manifest.json", "witte-lijst.db", "witte-lijst.pub"):
            answer = client.get(f"/publicatie/{path}")
            assert answer.status_code == 200 and "set-cookie" not in answer.headers
            again = client.get(f"/publicatie/{path}",
                               headers={"If-None-Match": answer.headers["etag"]})
            assert (again.status_code, again.content) == (304, b"")
        secret = publisher.key_path.read_bytes()
        for path in ("/publicatie/signing-key.pem", "/lijst/signing-key.pem",
                     "/lijst/registry", "/publicatie/registry.db"):
            answer = client.get(path)
            assert answer.status_code == 404 and secret not in answer.content, path
        published = CliRunner().invoke(main, ["publish", "--db", str(db)])
        assert published.exit_code == 0, published.output
        assert replica.poll() == Outcome.INSTALLED
        assert sha256(replica.whitelist) == sha256(served)
        assert lines[-1].startswith("installed publication 2 ")
