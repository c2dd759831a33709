"""The published whitelist file, read only, followed when a new publication replaces it."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from pathlib import Path

import msgspec

from registry.kept import Kept
from registry.whitelist.boards import Boards, BoardView, approved_here, feed_row
from registry.whitelist.kindred import Kindred
from registry.whitelist.check import (
    CheckAnswer,
    PublicationRef,
    answer,
    decode_answer,
    encode_answer,
)
from registry.whitelist.today import VERDICT_TODAY_SQL, WARN_DAYS, verdict_on, warning

ANSWER_CACHE_BYTES = 8 * 1024 * 1024
"""Answers kept per worker, as JSON: at the start of a school year thousands of teachers
check the same few hundred tools, and a kept answer costs a dictionary lookup instead of a
parse and three queries (see benchmarks/)."""


def publication_of(conn: sqlite3.Connection) -> PublicationRef:
    """The publication row of an open file."""
    row = conn.execute("SELECT version, published_at, policy_version FROM publication").fetchone()
    return PublicationRef(**dict(row))


class NotPublished(Exception):
    """No whitelist has been published yet."""


class PublishedWhitelist:
    """A read-only view of the published file that follows it when a new one replaces it.

    Publishing replaces the file atomically (new inode); each lookup checks the inode and
    opens the new file, so a worker never mixes two publications in one answer. Answers in
    JSON are kept per publication and per day (`check_json`): they are forgotten with their
    publication, and when the day changes, since a verdict may change by itself overnight.
    """

    def __init__(self, path: Path, cache_bytes: int = ANSWER_CACHE_BYTES):
        self.path = Path(path)
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._publication: PublicationRef | None = None
        self._boards: Boards | None = None
        self._kindred = Kindred()
        # Keyed (q, level), or (q, level, board) for a teacher of a board.
        self._answers: Kept[tuple, tuple[str, bytes]] = Kept(cache_bytes)
        self._day: dt.date | None = None

    def connection(self) -> sqlite3.Connection:
        return self._current()[0]

    def _current(self) -> tuple[sqlite3.Connection, PublicationRef]:
        return self._current_with_answers()[:2]

    def _current_with_answers(self, today: dt.date | None = None
                              ) -> tuple[sqlite3.Connection, PublicationRef, Kept, Boards,
                                         Kindred]:
        """The connection to the current file, its publication row and boards (read once per
        file), the answers kept for it on `today` (a new day forgets yesterday's) and its
        lists of alternatives: all of one file, taken together under the lock."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            raise NotPublished from None
        identity = (stat.st_ino, stat.st_mtime_ns)
        with self._lock:
            if identity != self._identity:
                # immutable: a published file is never changed in place, only replaced.
                conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True,
                                       check_same_thread=False, isolation_level=None)
                conn.row_factory = sqlite3.Row
                publication, boards = publication_of(conn), Boards.load(conn)
                old, self._conn, self._identity = self._conn, conn, identity
                self._publication, self._answers = publication, Kept(self.cache_bytes)
                self._boards, self._kindred = boards, Kindred()
                if old is not None:
                    old.close()
            if today is not None and today != self._day:
                self._day, self._answers = today, Kept(self.cache_bytes)
            return self._conn, self._publication, self._answers, self._boards, self._kindred

    def close(self) -> None:
        # Forget the file too: an app that starts again (a test client per case) reopens it.
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._identity = None, None
            self._answers = Kept(self.cache_bytes)

    def publication(self) -> PublicationRef:
        return self._current()[1]

    def boards(self) -> Boards:
        """The school boards of the current publication, read once per file."""
        return self._current_with_answers()[3]

    def _view(self, boards: Boards, board: str | None) -> BoardView | None:
        return None if board is None else boards.view(board)

    def check(self, q: str, today: dt.date | None = None, level: str | None = None,
              board: str | None = None) -> CheckAnswer:
        """Answer one teacher's question with the verdicts valid on `today`, for a teacher of
        `level` and of `board` (its number) if given; one connection, so from one publication
        only. Raises UnknownBoard."""
        conn, publication, _, boards, kindred = self._current_with_answers()
        return answer(conn, q, publication, today or dt.date.today(), level,
                      self._view(boards, board), kindred)

    def check_json(self, q: str, today: dt.date | None = None, level: str | None = None,
                   board: str | None = None) -> tuple[str, bytes]:
        """(status, the answer in JSON) of `check`, from memory if `q` was asked about this
        publication on this day lately."""
        today = today or dt.date.today()
        conn, publication, answers, boards, kindred = self._current_with_answers(today)
        key = (q, level) if board is None else (q, level, board)
        kept = answers.get(key)
        if kept is None:
            worked_out = answer(conn, q, publication, today, level, self._view(boards, board),
                                kindred)
            kept = (worked_out.status, encode_answer(worked_out))
            answers.keep(key, kept, len(q) + len(kept[1]))
        return kept

    def check_kept(self, q: str, today: dt.date | None = None, level: str | None = None,
                   board: str | None = None) -> CheckAnswer:
        """`check` through the kept answers of `check_json`: the page answers as the API."""
        return decode_answer(self.check_json(q, today, level, board)[1])

    def allowed(self, level: str | None = None, category: str | None = None,
                today: dt.date | None = None, board: str | None = None) -> list[dict]:
        """Tools allowed on `today` for the embed feed, by name, with their verdict of that
        day and the warning when it changes within 60 days; at the schools of `board` (its
        number) if given (raises UnknownBoard)."""
        today = today or dt.date.today()
        conn, _, _, boards, _ = self._current_with_answers()
        view = self._view(boards, board)
        rows = self._feed(conn, level, category, today)
        if view is None:
            return rows
        here = [r for r in (feed_row(view, row, today) for row in rows) if r is not None]
        extra = approved_here(view, today, (r["id"] for r in rows))
        if extra:
            here += [r for r in (feed_row(view, row, today) for row in
                                 self._feed(conn, level, category, today, extra)) if r]
        return sorted(here, key=lambda r: (r["name"], r["id"]))

    def _feed(self, conn: sqlite3.Connection, level: str | None, category: str | None,
              today: dt.date, ids: list[str] | None = None) -> list[dict]:
        """The feed's rows: the tools allowed on `today`, or the tools `ids` whatever their
        verdict (a board's own approvals)."""
        where = [f"({VERDICT_TODAY_SQL}) IN ('allowed', 'allowed_with_conditions')"]
        params: dict = {"today": today.isoformat()}
        if ids is not None:
            where = [f"id IN ({', '.join(f':id{n}' for n in range(len(ids)))})"]
            params |= {f"id{n}": tool_id for n, tool_id in enumerate(ids)}
        if level:
            where.append("EXISTS (SELECT 1 FROM json_each(tools.level_codes) WHERE value = :level)")
            params["level"] = level
        if category:
            where.append("category = :category")
            params["category"] = category
        rows = conn.execute(
            # The feed shows no reasons: their text is most of a row.
            "SELECT id, name, vendor_name, category, category_label, level_codes, verdict, "
            "verdict_label, conditions, NULL AS reasons, verdict_changes_on, next_verdict, "
            "next_verdict_label, next_conditions, NULL AS next_reasons "
            f"FROM tools WHERE {' AND '.join(where)} ORDER BY name",
            params,
        ).fetchall()
        soon = (today + dt.timedelta(days=WARN_DAYS)).isoformat()
        return [_allowed_row(r, today, soon) for r in rows]


_decode_texts = msgspec.json.Decoder(list[str]).decode


def _allowed_row(row: sqlite3.Row, today: dt.date, soon: str) -> dict:
    changes = row["verdict_changes_on"]
    if changes is None or changes > soon:  # most rows: no change and no warning before `soon`
        verdict, label, conditions, warned = (row["verdict"], row["verdict_label"],
                                              row["conditions"], None)
        following, following_label = row["next_verdict"], row["next_verdict_label"]
    else:
        on = verdict_on(row, today)
        verdict, label, conditions, warned = (on.verdict, on.verdict_label, on.conditions,
                                              warning(on, today))
        changes = on.changes_on.isoformat() if on.changes_on else None
        following, following_label = on.next_verdict, on.next_verdict_label
    return {
        "id": row["id"], "name": row["name"], "vendor_name": row["vendor_name"],
        "category": row["category"], "category_label": row["category_label"],
        "level_codes": _decode_texts(row["level_codes"]), "verdict": verdict,
        "verdict_label": label, "conditions": _decode_texts(conditions or "[]"),
        "changes_on": changes, "next_verdict": following, "next_verdict_label": following_label,
        "warning": warned,
    }
