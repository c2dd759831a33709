"""The published whitelist file, read only, followed when a new publication replaces it."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

from registry.kept import Kept
from registry.whitelist.check import (
    CheckAnswer,
    PublicationRef,
    answer,
    encode_answer,
    publication_of,
)

ANSWER_CACHE_BYTES = 8 * 1024 * 1024
"""Answers kept per worker, as JSON: at the start of a school year thousands of teachers
check the same few hundred tools, and a kept answer costs a dictionary lookup instead of a
parse and three queries (see benchmarks/)."""


class NotPublished(Exception):
    """No whitelist has been published yet."""


class PublishedWhitelist:
    """A read-only view of the published file that follows it when a new one replaces it.

    Publishing replaces the file atomically (new inode); each lookup checks the inode and
    opens the new file, so a worker never mixes two publications in one answer. Answers in
    JSON are kept per publication (`check_json`) and forgotten with it.
    """

    def __init__(self, path: Path, cache_bytes: int = ANSWER_CACHE_BYTES):
        self.path = Path(path)
        self.cache_bytes = cache_bytes
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self._publication: PublicationRef | None = None
        self._answers: Kept[str, tuple[str, bytes]] = Kept(cache_bytes)

    def connection(self) -> sqlite3.Connection:
        return self._current()[0]

    def _current(self) -> tuple[sqlite3.Connection, PublicationRef]:
        return self._current_with_answers()[:2]

    def _current_with_answers(self) -> tuple[sqlite3.Connection, PublicationRef, Kept]:
        """The connection to the current file, its publication row (read once per file) and
        the answers kept for it."""
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
                publication = publication_of(conn)
                old, self._conn, self._identity = self._conn, conn, identity
                self._publication, self._answers = publication, Kept(self.cache_bytes)
                if old is not None:
                    old.close()
            return self._conn, self._publication, self._answers

    def close(self) -> None:
        # Forget the file too: an app that starts again (a test client per case) reopens it.
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._identity = None, None
            self._answers = Kept(self.cache_bytes)

    def publication(self) -> PublicationRef:
        return self._current()[1]

    def check(self, q: str) -> CheckAnswer:
        """Answer one teacher's question; one connection, so from one publication only."""
        conn, publication = self._current()
        return answer(conn, q, publication)

    def check_json(self, q: str) -> tuple[str, bytes]:
        """(status, the answer in JSON) of `check`, from memory if `q` was asked about this
        publication lately."""
        conn, publication, answers = self._current_with_answers()
        kept = answers.get(q)
        if kept is None:
            worked_out = answer(conn, q, publication)
            kept = (worked_out.status, encode_answer(worked_out))
            answers.keep(q, kept, len(q) + len(kept[1]))
        return kept

    def allowed(self, level: str | None = None, category: str | None = None) -> list[dict]:
        """Allowed tools for the embed feed, by name."""
        where, params = ["verdict IN ('allowed', 'allowed_with_conditions')"], []
        if level:
            where.append("EXISTS (SELECT 1 FROM json_each(tools.level_codes) WHERE value = ?)")
            params.append(level)
        if category:
            where.append("category = ?")
            params.append(category)
        rows = self.connection().execute(
            "SELECT id, name, vendor_name, category, category_label, level_codes, verdict, "
            f"verdict_label, conditions FROM tools WHERE {' AND '.join(where)} ORDER BY name",
            params,
        ).fetchall()
        return [dict(r) | {"level_codes": json.loads(r["level_codes"]),
                           "conditions": json.loads(r["conditions"])} for r in rows]
