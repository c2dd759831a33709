"""A bulk import killed at any moment, or out of space, leaves a sound database with all of
the import or none of it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from registry import db as storage
from registry.cli import main
from registry.db import Registry
from registry.importer import load_demo

pytestmark = pytest.mark.crash
RECORDS = json.loads((Path(__file__).parent / "records.json").read_text())  # as `seeded` has them
TOOL, AGREEMENT, ASSESSMENT = RECORDS["tools"], RECORDS["agreements"], RECORDS["assessments"]

VENDORS = 250  # each with 4 tools, one agreement covering them and 4 assessments: 2,500 records
TRIALS = 12
TABLES = ("vendors", "tools", "agreements", "agreement_tools", "assessments", "events")

# The importing processes. A zygote imports the registry once and forks one child per trial
# (starting Python and importing everything takes longer than the import itself). A child
# prints its pid, "ready", the first word of every SQL statement SQLite runs (one line per row
# of an executemany) and "done"; the test kills it after reading a chosen number of lines.
# Markers, not sleeps, say where it is. The zygote says "exited" when the child is gone.
ZYGOTE = """
import os, sys
from registry.db import Registry
from registry.bundles import read_json
from registry.importer import import_source

raw = open(sys.argv[1], "rb").read()
print("zygote", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        out = sys.stdout
        try:
            print(f"pid {os.getpid()}", flush=True)
            registry = Registry(line.strip())
            source = read_json(raw, "bundle.json")
            registry.conn.set_trace_callback(
                lambda sql: out.write(sql.split(None, 1)[0] + "\\n") or out.flush())
            print("ready", flush=True)
            report = import_source(registry, source, actor="crash-test")
            print("done" if report.ok else "failed", flush=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    print("exited", flush=True)
"""


def bundle(vendors: int = VENDORS) -> dict:
    out = {"vendors": [], "tools": [], "agreements": [], "assessments": []}
    for v in range(vendors):
        vendor_id = f"leverancier-{v}"
        out["vendors"].append({"id": vendor_id, "name": f"Leverancier {v}", "country": "NL"})
        tool_ids = [f"tool-{v}-{t}" for t in range(4)]
        for t, tool_id in enumerate(tool_ids):
            out["tools"].append({**TOOL, "id": tool_id, "vendor_id": vendor_id,
                                 "name": f"Tool {v}-{t}",
                                 "domains": [{"host": f"t{t}.leverancier-{v}.nl"}]})
            out["assessments"].append({**ASSESSMENT, "id": f"dpia-{v}-{t}", "tool_id": tool_id})
        out["agreements"].append({**AGREEMENT, "id": f"ovk-{v}", "vendor_id": vendor_id,
                                  "tool_ids": tool_ids})
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """A registry with the demo data (closed cleanly: one file) and a bundle to import."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.db"
    registry = Registry(base)
    registry.migrate()
    load_demo(registry)
    registry.close()
    path = folder / "bundle.json"
    path.write_bytes(msgspec.json.encode(bundle()))
    return base, path


def counts(path: Path) -> dict[str, int]:
    registry = Registry(path)
    try:
        return {t: registry.db[t].count for t in TABLES}
    finally:
        registry.close()


class Importer:
    """The zygote process; `run` imports into one database in a fresh child."""

    def __init__(self, bundle_path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(bundle_path)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline() == "zygote\n"

    def run(self, db: Path, kill_after: int | None) -> list[str]:
        """Import into `db`; SIGKILL the child after `kill_after` markers (None: never)."""
        self.process.stdin.write(f"{db}\n")
        self.process.stdin.flush()
        first = self.process.stdout.readline()
        assert first.startswith("pid "), first
        markers: list[str] = []
        while kill_after is None or len(markers) < kill_after:
            line = self.process.stdout.readline().strip()
            if line == "exited":
                return markers
            markers.append(line)
        os.kill(int(first.split()[1]), signal.SIGKILL)  # no cleanup, no rollback by Python
        while self.process.stdout.readline().strip() != "exited":
            pass  # what the child wrote before it died
        return markers

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(60)
        self.process.stdout.close()


@pytest.fixture(scope="module")
def importer(files):
    importer = Importer(files[1])
    yield importer
    importer.close()


def test_an_import_killed_at_any_moment_is_all_or_nothing(files, importer, tmp_path):
    base, _ = files
    before = counts(base)
    whole = tmp_path / "whole.db"
    shutil.copyfile(base, whole)
    markers = importer.run(whole, None)
    assert markers[0] == "ready" and markers[-1] == "done"
    after = counts(whole)
    assert after["tools"] == before["tools"] + VENDORS * 4  # the import as a whole works
    commit = markers.index("COMMIT")
    # Moments spread evenly over the whole run, from "ready" to "done", and the commit.
    moments = sorted({round(j * (len(markers) - 1) / (TRIALS - 1)) + 1 for j in range(TRIALS)}
                     | {commit + 1})
    assert len(moments) >= 10
    outcomes = []
    for n, kill_after in enumerate(moments):
        db = tmp_path / f"killed-{n}.db"
        shutil.copyfile(base, db)
        importer.run(db, kill_after)
        registry = Registry(db)  # opening recovers the WAL the killed process left
        try:
            assert registry.file.verify() == [], kill_after  # integrity, foreign keys, audit chain
        finally:
            registry.close()
        found = counts(db)
        assert found in (before, after), (kill_after, found)
        outcomes.append("all" if found == after else "none")
    assert outcomes[0] == "none" and outcomes[-1] == "all", outcomes


# --- out of space -------------------------------------------------------------------------


def limit_pages(conn, spare: int = 2) -> None:
    """Let the database grow by at most `spare` pages: the disk is as good as full."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + spare}")


def test_api_import_on_a_full_disk_is_a_clear_error_and_changes_nothing(client, auth, registry,
                                                                       files, monkeypatch,
                                                                       snapshot):
    _, bundle_path = files
    connect = storage.connect

    def full_disk(path):  # the import runs in a worker thread, on a connection of its own
        database = connect(path)
        limit_pages(database.conn)
        return database

    monkeypatch.setattr(storage, "connect", full_disk)
    before = snapshot(registry)
    response = client.post("/api/imports", content=bundle_path.read_bytes(),
                           headers=auth | {"content-type": "application/json"})
    assert response.status_code == 507, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json() == {
        "title": "Insufficient storage", "status": 507,
        "detail": "The database is full: the disk has no space left or the database reached its "
                  "size limit. Nothing was changed; free some space and try again.",
        "instance": "/api/imports",
    }
    assert snapshot(registry) == before
    # Space again: the registry goes on as if nothing happened.
    monkeypatch.undo()
    assert client.get("/api/health").status_code == 200
    assert client.post("/api/imports", content=bundle_path.read_bytes(),
                       headers=auth | {"content-type": "application/json"}).status_code == 200
    assert registry.db["tools"].count == VENDORS * 4
    assert registry.file.verify() == []


def test_cli_import_on_a_full_disk_is_one_line_and_changes_nothing(files, tmp_path, monkeypatch):
    base, bundle_path = files
    db = tmp_path / "registry.db"
    shutil.copyfile(base, db)
    before = counts(db)
    connect = storage.connect

    def full_disk(path):
        database = connect(path)
        limit_pages(database.conn)
        return database

    monkeypatch.setattr(storage, "connect", full_disk)
    result = CliRunner().invoke(main, ["import", str(bundle_path), "--db", str(db)])
    monkeypatch.undo()
    assert (result.exit_code, result.output) == (1, (
        "Error: The database is full: the disk has no space left or the database reached its "
        "size limit. Nothing was changed; free some space and try again.\n"))
    assert counts(db) == before
    registry = Registry(db)
    assert registry.file.verify() == []
    registry.close()


# --- a publication killed between its rename and its commit (issue 12, M6 and L14) ---------

PUBLISHER = """
import datetime as dt, os, signal, sys
from pathlib import Path
from registry.db import Registry
from registry.publish import builder

def die(folder):  # right after os.replace, before the registry's COMMIT
    os.kill(os.getpid(), signal.SIGKILL)

builder.fsync_dir = die
registry = Registry(sys.argv[1])
builder.publish(registry, Path(sys.argv[2]), dt.date(2026, 11, 28), "sector")
"""


def test_a_publication_killed_after_its_rename_is_recorded_not_repeated(files, tmp_path):
    from registry.publish import kept, publications, publish
    from registry.publish.recovery import recover, served_publication
    from registry.published import manifest_path

    db, whitelist = tmp_path / "registry.db", tmp_path / "witte-lijst.db"
    shutil.copy(files[0], db)
    registry = Registry(db)
    publish(registry, whitelist, dt.date(2026, 11, 28), "sector")
    registry.close()
    killed = subprocess.run([sys.executable, "-c", PUBLISHER, str(db), str(whitelist)],
                            capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    served = served_publication(whitelist)
    assert served["version"] == 2
    # The build's scratch file was gone before the install began; the served file is kept
    # for a rollback already; verify sees the mismatch.
    assert not list(tmp_path.glob(".witte-lijst.db.build-*"))
    assert kept.versions(whitelist)[2].read_bytes() == whitelist.read_bytes()
    result = CliRunner().invoke(main, ["verify", "--db", str(db), "--whitelist", str(whitelist)])
    assert (result.exit_code, result.output) == (1, (
        f"whitelist {whitelist}: version 2 is served but not recorded (a publication "
        "interrupted before its record; the next publish or start of `registry serve` "
        "records it)\n"
        f"manifest {whitelist.with_name('witte-lijst.manifest.json')}: describes version 1, but "
        "version 2 is served (publish again, or let the next start record it)\n"))

    manifest = manifest_path(whitelist)
    assert json.loads(manifest.read_bytes())["version"] == 1  # killed before its manifest
    registry = Registry(db)
    try:
        assert recover(registry, whitelist).version == 2
        assert json.loads(manifest.read_bytes())["version"] == 2  # replicas may follow it
        third = publish(registry, whitelist, dt.date(2026, 11, 28), "sector")
        recorded = {p.version: p for p in publications(registry)}
    finally:
        registry.close()
    assert third.version == 3
    assert (recorded[2].sha256, recorded[2].actor) == (served["sha256"], "recovered")
    assert not list(tmp_path.glob(".witte-lijst.db.build-*"))
    result = CliRunner().invoke(main, ["verify", "--db", str(db), "--whitelist", str(whitelist)])
    assert result.exit_code == 0, result.output


def test_verify_finds_a_served_file_that_is_not_the_recorded_one(files, tmp_path):
    from registry.publish import publish

    db, whitelist = tmp_path / "registry.db", tmp_path / "witte-lijst.db"
    shutil.copy(files[0], db)
    registry = Registry(db)
    publish(registry, whitelist, dt.date(2026, 11, 28), "sector")
    registry.close()
    with sqlite3.connect(whitelist) as conn:
        conn.execute("UPDATE tools SET verdict = 'allowed'")
    conn.close()
    result = CliRunner().invoke(main, ["verify", "--db", str(db), "--whitelist", str(whitelist)])
    assert (result.exit_code, result.output) == (1, (
        f"whitelist {whitelist}: its content does not match its sha256 (changed after "
        "publishing)\n"
        f"manifest {whitelist.with_name('witte-lijst.manifest.json')}: the size or sha256 of "
        f"{whitelist} is not what it says (the file or the manifest was changed after "
        "publishing)\n"))


def test_half_built_files_of_a_process_that_is_gone_are_removed(tmp_path):
    from registry.publish.recovery import remove_leftovers

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    whitelist = tmp_path / "witte-lijst.db"
    dead = [tmp_path / f".witte-lijst.db.build-{gone.stdout.strip()}-ab12cd34{suffix}"
            for suffix in (".building", ".tmp")]
    mine = tmp_path / f".witte-lijst.db.build-{os.getpid()}-ab12cd34.building"
    other = tmp_path / ".iets-anders.db.build-1-ab12cd34.tmp"
    for path in [*dead, mine, other]:
        path.write_bytes(b"half")
    assert sorted(remove_leftovers(whitelist)) == sorted(dead)
    assert mine.exists() and other.exists() and not any(p.exists() for p in dead)
