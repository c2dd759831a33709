"""What a publication reads of the file it replaces: its version and tools (for the
changes) and its history (`changelog`), carried over so that no earlier change is lost."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from registry.publish import rows

CHANGELOG_COLUMNS = {"publication_version": int, "published_at": str, **rows.CHANGE_COLUMNS,
                     "levels": str}
"""`changelog`: the `changes` of every publication so far, each with its publication and the
tool's school types (JSON list, for a feed per school type). Carried over from the file a
publication replaces, so no earlier change is lost. History, not this publication's content:
it stays out of the content's sha256, as `publication` does."""


def read_previous(path: Path) -> tuple[int | None, dict[str, dict] | None]:
    """(version, tools by id) of the whitelist currently at `path`; (None, None) if none."""
    if not path.exists():
        return None, None
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        version = conn.execute("SELECT version FROM publication").fetchone()[0]
        tools = conn.execute("SELECT id, name, verdict, verdict_label, reasons FROM tools")
        return version, {row["id"]: dict(row) for row in tools}


def changelog_rows(path: Path, tables: dict[str, list[dict]], version: int,
                   published_at: str) -> list[dict]:
    """The history of the file at `path` (its `changelog`; a file from before it had one gives
    its own `changes`) followed by this publication's changes."""
    history, levels = _read_history(path)
    levels |= {tool["id"]: tool["level_codes"] for tool in tables["tools"]}
    return history + changelog_entries(tables["changes"], levels, version, published_at)


def changelog_entries(changes: list[dict], levels: dict[str, str], version: int,
                      published_at: str) -> list[dict]:
    """This publication's lines of `changelog`: its changes, with the school types of each
    tool (`levels`: JSON lists by tool id, from the new file or for a removed tool the old)."""
    return [{"publication_version": version, "published_at": published_at, **change,
             "levels": levels.get(change["tool_id"]) or "[]"} for change in changes]


def _read_history(path: Path) -> tuple[list[dict], dict[str, str]]:
    """(changelog rows, school types by tool id) of the whitelist at `path`."""
    if not path.exists():
        return [], {}
    uri = path.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        levels = {row["id"]: row["level_codes"]
                  for row in conn.execute("SELECT id, level_codes FROM tools")}
        columns = ", ".join(f"[{c}]" for c in CHANGELOG_COLUMNS)
        if "changelog" in tables:
            rows_ = conn.execute(f"SELECT {columns} FROM changelog "
                                 "ORDER BY publication_version, tool_id")
            return [dict(row) for row in rows_], levels
        changes = ", ".join(f"c.[{c}]" for c in rows.CHANGE_COLUMNS)
        rows_ = conn.execute(
            f"SELECT p.version AS publication_version, p.published_at, {changes}, "
            "coalesce(t.level_codes, '[]') AS levels FROM changes c "
            "JOIN publication p LEFT JOIN tools t ON t.id = c.tool_id ORDER BY c.tool_id")
        return [dict(row) for row in rows_], levels
