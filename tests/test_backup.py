"""`registry backup`: a consistent copy while writes go on, that restores to the same records
and audit log and passes `registry verify`."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

from click.testing import CliRunner

from registry import models
from registry.cli import main
from registry.db import Registry

MAX_WRITES = 3000  # the free-running writer stops here at the latest
WAIT = 60  # seconds; a bound on waiting for the other thread, never a pause


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def vendor(name: str) -> models.VendorIn:
    return models.VendorIn(id=name, name=f"Schrijver {name}", country="NL")


def rows(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT * FROM [{table}] ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_backup_while_writers_go_on(demo_db, tmp_path):
    out = tmp_path / "backups" / "registry-backup.db"
    holding, backed_up, stop, busy = (threading.Event() for _ in range(4))
    written: list[str] = []
    errors: list[BaseException] = []

    def hold_a_transaction() -> None:
        """Writes a vendor and keeps its transaction open until the backup is done."""
        registry = Registry(demo_db)
        try:
            with registry.write():
                registry.create("vendors", vendor("halverwege"), "schrijver")
                holding.set()
                backed_up.wait(WAIT)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            holding.set()
            registry.close()

    def keep_writing() -> None:
        registry = Registry(demo_db)
        try:
            for i in range(MAX_WRITES):
                if stop.is_set():
                    break
                if i == 20:
                    busy.set()
                registry.create("vendors", vendor(f"schrijver-{i}"), "schrijver")
                written.append(f"schrijver-{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            busy.set()
            registry.close()

    holder = threading.Thread(target=hold_a_transaction)
    holder.start()
    assert holding.wait(WAIT)
    # The holder has the write lock, so the free-running writer queues behind it (busy
    # timeout) while the backup reads: readers never wait for writers in WAL mode.
    before = len(written)
    result = cli("backup", str(out), "--db", str(demo_db))
    backed_up.set()
    holder.join(WAIT)
    writer = threading.Thread(target=keep_writing)
    writer.start()
    assert busy.wait(WAIT)
    during = cli("backup", str(tmp_path / "during.db"), "--db", str(demo_db))
    stop.set()
    writer.join(WAIT)
    assert not errors, errors
    assert result.exit_code == 0, result.output
    assert during.exit_code == 0, during.output

    # The first copy: the state before the open transaction, whole.
    assert before == 0
    assert result.output == (f"Backed up {demo_db} to {out}: 12 vendors, 26 tools, 3 boards, "
                             "16 agreements, 29 assessments, 3 board decisions, 89 events.\n")
    assert "halverwege" not in {r[0] for r in rows(out, "vendors")}
    assert "halverwege" in {r[0] for r in rows(demo_db, "vendors")}

    # The second copy, made while the writer wrote: a prefix of the audit log, and exactly
    # the records those events created, each row as it is in the registry.
    copy = tmp_path / "during.db"
    events, live_events = rows(copy, "events"), rows(demo_db, "events")
    assert 83 < len(events) <= len(live_events)
    assert events == live_events[:len(events)]
    created = [e[5] for e in events if e[4] == "vendors" and e[3] == "create"]
    live_vendors = {r[0]: r for r in rows(demo_db, "vendors")}
    assert {r[0]: r for r in rows(copy, "vendors")} == {v: live_vendors[v] for v in created}
    for path in (out, copy):
        assert cli("verify", "--db", str(path)).exit_code == 0


def test_a_restored_backup_is_the_registry(demo_db, tmp_path, snapshot):
    registry = Registry(demo_db)
    registry.create("vendors", vendor("na-de-demo"), "schrijver")
    registry.archive("tools", "noorderlicht-wereld", "schrijver", None)
    registry.close()
    out = tmp_path / "backup.db"
    assert cli("backup", str(out), "--db", str(demo_db)).exit_code == 0
    assert not out.with_name(out.name + "-wal").exists(), "the copy is one file"

    restored = tmp_path / "restored" / "registry.db"
    restored.parent.mkdir()
    shutil.copyfile(out, restored)
    original, copy = Registry(demo_db), Registry(restored)
    copy.migrate()  # what `registry serve` does on start: nothing to do here
    try:
        assert snapshot(copy) == snapshot(original)
        assert copy.audit.events() == original.audit.events()
        assert copy.get("tools", "noorderlicht-wereld").archived_at is not None
    finally:
        original.close()
        copy.close()
    verified = cli("verify", "--db", str(restored))
    assert verified.exit_code == 0, verified.output


def test_backup_never_replaces_the_database_itself(demo_db):
    before = demo_db.read_bytes()
    result = cli("backup", str(demo_db), "--db", str(demo_db))
    assert (result.exit_code, result.output) == (
        1, "Error: The backup would replace the database itself; give another file.\n")
    assert demo_db.read_bytes() == before


def test_backup_of_a_missing_database_creates_nothing(tmp_path):
    result = cli("backup", str(tmp_path / "b.db"), "--db", str(tmp_path / "geen.db"))
    assert (result.exit_code, result.output) == (
        1, f"Error: There is no database at {tmp_path / 'geen.db'}.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_second_backup_replaces_the_first_whole(demo_db, tmp_path):
    out = tmp_path / "backup.db"
    assert cli("backup", str(out), "--db", str(demo_db)).exit_code == 0
    registry = Registry(demo_db)
    registry.create("vendors", vendor("later"), "schrijver")
    registry.close()
    assert cli("backup", str(out), "--db", str(demo_db)).exit_code == 0
    assert "later" in {r[0] for r in rows(out, "vendors")}
    names = {p.name for p in tmp_path.iterdir()} - {"registry.db-wal", "registry.db-shm"}
    assert names == {"backup.db", "registry.db"}, "no partial copy is left behind"
