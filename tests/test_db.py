"""Storage: pragmas, migrations, the append-only, hash-chained audit log."""

from __future__ import annotations

import sqlite3

import pytest

from registry import models
from registry.db import Registry, default_db_path
from registry.errors import Invalid, RegistryError
from registry.migrations import migrations

VENDOR = models.VendorIn(id="bordwerk", name="Bordwerk", country="NL")


@pytest.fixture
def registry(tmp_path):
    registry = Registry(tmp_path / "nested" / "folder" / "registry.db")
    registry.migrate()
    yield registry
    registry.close()


def test_every_connection_sets_its_pragmas(registry):
    pragma = lambda name: registry.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("foreign_keys") == 1
    assert pragma("journal_mode") == "wal"
    assert pragma("busy_timeout") == 10_000
    assert pragma("synchronous") == 1  # NORMAL


def test_migrations_are_numbered_and_applied_once(registry):
    names = [m.name for m in migrations.applied(registry.db)]
    assert names == ["0001_records", "0002_audit_tokens_policy_publications",
                     "0003_accounts_sessions", "0004_list_indexes", "0005_workflow",
                     "0006_boards", "0007_publication_basis"]
    registry.migrate()  # again: nothing pending, nothing fails
    assert [m.name for m in migrations.applied(registry.db)] == names
    assert migrations.pending(registry.db) == []


def test_foreign_keys_are_enforced_by_the_database_too(registry):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        registry.conn.execute(
            "INSERT INTO tools (id, vendor_id, name, category, levels, version) "
            "VALUES ('x', 'missing', 'X', 'other', '[\"PO\"]', 1)"
        )


def test_default_path_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REGISTRY_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("REGISTRY_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "school-whitelist" / "registry.db"


def test_a_failed_write_leaves_no_trace(registry):
    tool = models.ToolIn(id="bord", vendor_id="bordwerk", name="Bord", category="other",
                         levels=["PO"])
    with pytest.raises(Exception, match="no vendor with id 'bordwerk'"):
        registry.create("tools", tool, "test")
    assert registry.db["tools"].count == 0
    assert registry.db["events"].count == 0


def test_nested_writes_commit_all_or_nothing(registry):
    with pytest.raises(RuntimeError):
        with registry.write():
            registry.create("vendors", VENDOR, "test")
            raise RuntimeError("the second half of a bulk import failed")
    assert registry.db["vendors"].count == 0
    assert registry.db["events"].count == 0


def test_audit_chain_detects_edits_and_removals(registry):
    registry.create("vendors", VENDOR, "test")
    changed = models.VendorIn(id="bordwerk", name="Bordwerk B.V.", country="NL")
    registry.update("vendors", "bordwerk", changed, "test", None)
    registry.archive("vendors", "bordwerk", "test", None)
    assert registry.audit.verify_events() == []

    # Someone with file access drops the append-only trigger and rewrites history.
    registry.conn.execute("DROP TRIGGER events_no_update")
    registry.conn.execute("UPDATE events SET actor = 'someone else' WHERE id = 2")
    assert registry.audit.verify_events() == ["event 2: its content does not match its hash (edited)"]

    registry.conn.execute("DROP TRIGGER events_no_delete")
    registry.conn.execute("DELETE FROM events WHERE id = 1")
    assert registry.audit.verify_events() == [
        "event 2: the chain breaks before it (removed or reordered)",
        "event 2: its content does not match its hash (edited)",
    ]


def test_tokens_are_stored_only_as_hashes(registry):
    token, secret = registry.tokens.create("inkoop", models.Role.procurement)
    dump = "\n".join(registry.conn.iterdump())
    assert secret not in dump
    assert secret.startswith("wlr_") and len(secret) > 40
    assert registry.tokens.for_secret(secret) == ("inkoop", "procurement", False)
    registry.tokens.revoke(token.id)
    assert registry.tokens.for_secret(secret) == ("inkoop", "procurement", True)
    assert registry.tokens.for_secret(secret + "x") is None


def test_a_registry_opened_read_only_reads_and_checks_but_cannot_write(registry, tmp_path):
    registry.create("vendors", VENDOR, "test")
    reader = Registry.open_read_only(registry.path)
    try:
        assert reader.get("vendors", "bordwerk").version == 1
        assert reader.file.verify() == []
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.create("vendors", models.VendorIn(id="ander", name="Ander", country="NL"),
                          "test")
    finally:
        reader.close()
    assert [v.id for v in registry.all("vendors")] == ["bordwerk"]
    with pytest.raises(RegistryError, match="There is no database at"):
        Registry.open_read_only(tmp_path / "nergens.db")
    assert not (tmp_path / "nergens.db").exists()


@pytest.mark.parametrize(("kind", "record", "field", "message"), [
    ("tools", models.ToolIn(id="bord", vendor_id="niemand", name="Bord", category="other",
                            levels=["PO"]), "$.vendor_id", "there is no vendor with id 'niemand'"),
    ("agreements", models.AgreementIn(id="a", vendor_id="bordwerk", model_version="4.0",
                                      status="offered", tool_ids=["krijt", "ander-bord"]),
     "$.tool_ids[1]", "tool 'ander-bord' belongs to vendor 'ander', not to 'bordwerk'"),
    ("assessments", models.AssessmentIn(id="d", tool_id="geen", kind="dpia", assessor="X",
                                        assessed_on="2026-01-01", status="draft"),
     "$.tool_id", "there is no tool with id 'geen'"),
])
def test_references_are_checked_as_each_kind_declares_them(registry, kind, record, field,
                                                           message):
    registry.create("vendors", VENDOR, "test")
    registry.create("vendors", models.VendorIn(id="ander", name="Ander", country="NL"), "test")
    for tool_id, vendor in (("krijt", "bordwerk"), ("ander-bord", "ander")):
        registry.create("tools", models.ToolIn(id=tool_id, vendor_id=vendor, name=tool_id,
                                               category="other", levels=["PO"]), "test")
    before = registry.db[kind].count, registry.db["events"].count
    with pytest.raises(Invalid) as refused:
        registry.create(kind, record, "test")
    assert [(e.field, e.message) for e in refused.value.errors] == [(field, message)]
    assert (registry.db[kind].count, registry.db["events"].count) == before


def test_a_list_refuses_a_filter_its_kind_does_not_declare(registry):
    with pytest.raises(Invalid, match="the filter 'category' does not apply to vendors"):
        registry.list("vendors", limit=10, category="other")
