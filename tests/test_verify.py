"""`registry verify`: SQLite's own checks, the append-only triggers and the audit hash chain,
one line per problem and a non-zero exit status; it never changes the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.db import Registry


def verify(db: Path):
    return CliRunner().invoke(main, ["verify", "--db", str(db)])


def tamper(path: Path, *statements: str) -> None:
    """Someone with access to the file, working around the registry."""
    registry = Registry(path)
    registry.conn.execute("PRAGMA foreign_keys = OFF")
    for sql in statements:
        registry.conn.execute(sql)
    registry.close()


def test_a_sound_database_passes(demo_db):
    result = verify(demo_db)
    assert result.exit_code == 0, result.output
    assert result.output == (f"{demo_db}: sound (integrity, foreign keys, triggers, audit chain "
                             "of 89 events).\n")


def test_verify_changes_nothing(demo_db):
    before = hashlib.sha256(demo_db.read_bytes()).hexdigest()
    assert verify(demo_db).exit_code == 0
    assert hashlib.sha256(demo_db.read_bytes()).hexdigest() == before
    wal = demo_db.with_name(demo_db.name + "-wal")  # a reader of a WAL database may make it
    assert not wal.exists() or wal.stat().st_size == 0


def test_an_edited_event_is_detected(demo_db):
    # As in tests/test_db.py: drop the append-only trigger, then rewrite history.
    tamper(demo_db, "DROP TRIGGER events_no_update",
           "UPDATE events SET actor = 'iemand anders' WHERE id = 2")
    result = verify(demo_db)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "trigger events_no_update is missing: the audit log can be edited",
        "event 2: its content does not match its hash (edited)",
    ]


def test_an_edit_that_restores_the_trigger_is_still_detected(demo_db):
    tamper(demo_db, "DROP TRIGGER events_no_update",
           "UPDATE events SET actor = actor || '!' WHERE id = 5",
           "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    result = verify(demo_db)
    assert (result.exit_code, result.output.splitlines()) == (
        1, ["event 5: its content does not match its hash (edited)"])


def test_a_removed_event_is_detected(demo_db):
    tamper(demo_db, "DROP TRIGGER events_no_delete", "DELETE FROM events WHERE id = 10")
    result = verify(demo_db)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "trigger events_no_delete is missing: the audit log can be deleted",
        "event 11: the chain breaks before it (removed or reordered)",
        "vendors kaartenbak-educatief: no event records it (written outside the registry, or "
        "its events were removed)",
    ]


def last_event(path: Path) -> dict:
    registry = Registry(path)
    try:
        return registry.store.rows("SELECT id, kind, record_id, version FROM events "
                              "ORDER BY id DESC LIMIT 1")[0]
    finally:
        registry.close()


def test_removing_the_last_event_of_a_record_is_detected(demo_db):
    """The chain cannot see its own end cut off; the row still says what the event did."""
    registry = Registry(demo_db)
    tool = registry.get("tools", "noorderlicht-rekenen")
    registry.archive("tools", tool.id, "inkoop", None)
    registry.close()
    assert last_event(demo_db)["record_id"] == "noorderlicht-rekenen"
    tamper(demo_db, "DROP TRIGGER events_no_delete",
           "DELETE FROM events WHERE id = (SELECT max(id) FROM events)",
           "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
           "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    result = verify(demo_db)
    assert (result.exit_code, result.output.splitlines()) == (1, [
        "tools noorderlicht-rekenen: the row is not what its last event (version 1) says "
        "(edited outside the registry, or later events were removed)"])


def test_removing_the_event_of_the_last_publication_is_detected(demo_db, tmp_path):
    import datetime as dt

    from registry.publish import publish

    registry = Registry(demo_db)
    publish(registry, tmp_path / "witte-lijst.db", dt.date(2026, 11, 28), "sector")
    registry.close()
    assert last_event(demo_db)["kind"] == "publication"
    tamper(demo_db, "DROP TRIGGER events_no_delete",
           "DELETE FROM events WHERE id = (SELECT max(id) FROM events)")
    result = verify(demo_db)
    assert (result.exit_code, result.output.splitlines()[1:]) == (1, [
        "publication 1: no event records it (written outside the registry, or its event was "
        "removed)"])


@pytest.mark.parametrize("statement", [
    "UPDATE tools SET name = 'Iets anders' WHERE id = 'noorderlicht-rekenen'",
    "UPDATE assessments SET outcome = 'approved' WHERE outcome = 'rejected'",
    "UPDATE vendors SET internal_notes = 'x' WHERE id = 'kaartenbak-educatief'",
    "UPDATE review_requests SET status = 'closed'",
])
def test_a_row_edited_behind_the_registrys_back_is_detected(demo_db, statement):
    registry = Registry(demo_db)
    from registry import models

    registry.reviews.request(models.ReviewRequestIn(tool_name="Iets"), None, "iets")
    registry.close()
    tamper(demo_db, statement)
    result = verify(demo_db)
    assert result.exit_code == 1
    assert "the row is not what its last event" in result.output


def test_a_deleted_record_and_a_dangling_reference_are_detected(demo_db):
    tamper(demo_db, "DROP TRIGGER assessments_no_delete",
           "DELETE FROM assessments WHERE id = (SELECT min(id) FROM assessments)",
           "INSERT INTO agreement_tools (agreement_id, tool_id) "
           "SELECT min(id), 'bestaat-niet' FROM agreements")
    result = verify(demo_db)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("foreign key: agreement_tools row ")
    assert lines[0].endswith(" refers to a row of tools that does not exist")
    assert lines[1:] == [
        "trigger assessments_no_delete is missing: assessments can be deleted",
        "agreements bordwerk-avv: the row is not what its last event (version 1) says (edited "
        "outside the registry, or later events were removed)",
    ]


def test_a_damaged_file_is_reported_in_one_line_each(demo_db):
    registry = Registry(demo_db)
    registry.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = registry.conn.execute("PRAGMA page_size").fetchone()[0]
    # A page in use: the first of the tools table (a page in the middle may be a free one).
    root = registry.conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tools'"
                                 ).fetchone()[0]
    registry.close()
    data = bytearray(demo_db.read_bytes())
    # Overwrite it (not the file's header) with a repeating pattern.
    start = (root - 1) * page_size
    data[start + 8:start + page_size] = b"\xa5" * (page_size - 8)
    demo_db.write_bytes(bytes(data))
    result = verify(demo_db)
    assert result.exit_code == 1
    assert result.output.strip(), "it says what is wrong"
    assert "Traceback" not in result.output
    assert all(line.startswith(("integrity: ", "foreign key: ", "event ", "the file "))
               for line in result.output.splitlines()), result.output


def test_not_a_database(tmp_path):
    path = tmp_path / "registry.db"
    path.write_bytes(b"dit is geen database\n" * 300)
    result = verify(path)
    assert (result.exit_code, result.output) == (
        1, "the file cannot be read as an SQLite database: file is not a database\n")


def test_no_database(tmp_path):
    result = verify(tmp_path / "nergens.db")
    assert (result.exit_code, result.output) == (
        1, f"Error: There is no database at {tmp_path / 'nergens.db'}.\n")
    assert not (tmp_path / "nergens.db").exists()
