"""Rollback: serve an earlier publication's content again, as a new version.

The kept file of version N (`registry.publish.kept`) is copied beside the served file, and in
the copy only what describes the content is rewritten: its `publication` row (the new
version, the moment, the version it replaces and `restores_version` = N) and its `changelog`
(the served file's history, then what this publication changes against the served file, each
change saying that it restores version N). The content tables stay byte for byte N's, so the
content's sha256 is N's. Then it is installed as any publication is: served and recorded in
one transaction, and audited (the publication's event carries `restores_version`).

A publisher restores on their own: a second publisher's approval (four eyes) is not needed,
because the content was approved when version N was published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import msgspec
from sqlite_utils import Database

from registry.db import Registry
from registry.errors import Conflict, RegistryError
from registry.labels.rollback import RESTORES_REASON
from registry.publish import boards, builder, history, kept, recovery, rows, sqlfile
from registry.publish.record import ChangeSummary, Publication, content_sha256

OLDEST_FORMAT = 3
"""A kept file needs a `changelog` (format 3) to be restored."""


class NotKept(RegistryError):
    """Publication `version` was never published, or its file is no longer kept."""

    status = 404
    title = "Not found"

    def __init__(self, version: int, published: bool):
        super().__init__(
            f"Publication {version} is no longer kept: only the files of the last {kept.KEEP} "
            "publications are kept, so only those can be restored." if published else
            f"No publication with version {version}.")
        self.version = version
        self.published = published


def restorable(registry: Registry, out_path: Path) -> dict[int, Path]:
    """The kept files that can be restored, by version: recorded, kept, and not served."""
    served, _ = history.read_previous(Path(out_path))
    recorded = {p["version"] for p in registry.publications.all()}
    return {v: path for v, path in kept.versions(out_path).items()
            if v in recorded and v != served}


def restore(registry: Registry, out_path: Path, version: int, actor: str, *,
            now: dt.datetime | None = None) -> Publication:
    """Serve the content of publication `version` again as the next version (see the
    module); `NotKept` when its file is gone, a `Conflict` when it is the one served."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    recovery.remove_leftovers(out_path)
    recovery.recover(registry, out_path)
    published = {p["version"]: p for p in registry.publications.all()}
    source = kept.versions(out_path).get(version)
    if version not in published or source is None:
        raise NotKept(version, version in published)
    served_version, served_tools = history.read_previous(out_path)
    if version == served_version:
        raise Conflict(f"Publication {version} is the one served now; there is nothing to "
                       "restore.")
    published_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    stem = f"{recovery.leftover_prefix(out_path)}{os.getpid()}-{secrets.token_hex(4)}"
    built = builder.Built(out_path.with_name(stem + ".tmp"), None)
    try:
        shutil.copyfile(source, built.path)  # a copy: the kept file itself never changes
        built.publication = _rewrite(built.path, out_path, version, max(published) + 1,
                                     (served_version, served_tools), published_at)
        return builder.install(registry, built, out_path, actor, restores_version=version)
    finally:
        built.discard()


def _rewrite(path: Path, out_path: Path, restores: int, version: int,
             served: tuple[int | None, dict[str, dict] | None],
             published_at: dt.datetime) -> Publication:
    """Rewrite the `publication` row and the `changelog` of the copy at `path` of publication
    `restores` as publication `version`; check that its content is untouched."""
    served_version, served_tools = served
    at = msgspec.to_builtins(published_at)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.row_factory = sqlite3.Row
        if conn.execute("PRAGMA user_version").fetchone()[0] < OLDEST_FORMAT:
            raise Conflict(f"Publication {restores} is in a format from before the changelog "
                           "and cannot be restored; publish a new version instead.")
        row = dict(conn.execute("SELECT * FROM publication").fetchone())
        tools = [dict(r) for r in conn.execute(
            "SELECT id, name, verdict, verdict_label, reasons, level_codes FROM tools")]
        changes = [change | {"reason": RESTORES_REASON.format(version=restores,
                                                              reason=change["reason"])}
                   for change in rows.change_rows(served_tools, tools)]
        entries = history.changelog_rows(out_path, {"tools": tools, "changes": changes},
                                         version, at)
        counted = Counter(change["change"] for change in changes)
        summary = ChangeSummary(since_version=served_version,
                                **{change: counted[change] for change in rows.CHANGE_LABELS})
        columns = [r["name"] for r in conn.execute("PRAGMA table_info(publication)")]
        conn.execute("BEGIN")
        if "restores_version" not in columns:
            conn.execute("ALTER TABLE publication ADD COLUMN restores_version INTEGER")
        conn.execute(
            "UPDATE publication SET version = ?, published_at = ?, previous_version = ?, "
            "changes = ?, restores_version = ?",
            [version, at, served_version, rows.to_json(msgspec.to_builtins(summary)), restores])
        conn.execute("DELETE FROM changelog")
        names = list(history.CHANGELOG_COLUMNS)
        conn.executemany(
            f"INSERT INTO changelog ({', '.join(f'[{n}]' for n in names)}) "
            f"VALUES ({', '.join('?' for _ in names)})",
            [[entry[n] for n in names] for entry in entries])
        conn.execute("COMMIT")
        _rewrite_board_history(conn, out_path, restores, version, at)
        sqlfile.create_kindred_index(Database(conn))
        conn.execute(f"PRAGMA user_version = {builder.SCHEMA_VERSION}")
        if content_sha256(conn) != row["sha256"]:
            raise RuntimeError(f"The kept file of publication {restores} does not hold the "
                               "content its sha256 says; it cannot be restored.")
        if [r[0] for r in conn.execute("PRAGMA integrity_check")] != ["ok"]:
            raise RuntimeError(f"The kept file of publication {restores} failed its integrity "
                               "check; it cannot be restored.")
    with open(path, "rb") as f:
        os.fsync(f.fileno())
    return Publication(
        version=version, published_at=published_at, policy_version=row["policy_version"],
        counts=json.loads(row["counts"]), sha256=row["sha256"], changes=summary, actor="",
        restores_version=restores)


def _rewrite_board_history(conn: sqlite3.Connection, out_path: Path, restores: int,
                           version: int, published_at: str) -> None:
    """The copy's `board_changelog`: the served file's board history, then the board changes
    this rollback makes against it. A copy from before boards were published gets the board
    tables, empty (its content's sha256 stays: empty board tables are not hashed)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if "board_verdicts" not in present:
        boards.create_tables(Database(conn))
    restored, _ = boards.read_board_history(conn)
    served, history = boards.read_previous(out_path)
    current = list(restored.values())
    changes = [change | {"reason": RESTORES_REASON.format(version=restores,
                                                          reason=change["reason"])}
               for change in boards.change_rows(served, current)]
    levels = dict(conn.execute("SELECT id, level_codes FROM tools").fetchall())
    entries = boards.changelog_rows(history, changes, levels, version, published_at)
    names = list(boards.BOARD_CHANGELOG_COLUMNS)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM board_changelog")
    conn.executemany(
        f"INSERT INTO board_changelog ({', '.join(f'[{n}]' for n in names)}) "
        f"VALUES ({', '.join('?' for _ in names)})",
        [[entry[n] for n in names] for entry in entries])
    conn.execute("COMMIT")
