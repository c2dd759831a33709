"""`registry.sessions`: the back office's server-side sessions, and the secrets that every
worker process must agree on (the CSRF key), both in the registry database.

A session is stored under the SHA-256 of its id, so a copy of the database holds no session
anyone could use. Times are seconds since the epoch, given by the caller (its clock).
"""

from __future__ import annotations

import hashlib

from registry.store.connection import Store


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Session data by session id, each with the time it expires."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, session_id: str, now: float) -> tuple[bytes, float] | None:
        """(data, expires_at) of a session that has not expired, or None."""
        rows = self.store.rows("SELECT data, expires_at FROM sessions WHERE id = ? AND "
                               "(expires_at IS NULL OR expires_at > ?)", [_key(session_id), now])
        return (rows[0]["data"], rows[0]["expires_at"]) if rows else None

    def set(self, session_id: str, data: bytes, expires_at: float | None) -> None:
        with self.store.write():
            self.store.conn.execute(
                "INSERT INTO sessions (id, data, expires_at) VALUES (?, ?, ?) ON CONFLICT(id) "
                "DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
                [_key(session_id), data, expires_at])

    def renew(self, session_id: str, expires_at: float) -> None:
        with self.store.write():
            self.store.conn.execute("UPDATE sessions SET expires_at = ? WHERE id = ?",
                                    [expires_at, _key(session_id)])

    def delete(self, session_id: str) -> None:
        with self.store.write():
            self.store.conn.execute("DELETE FROM sessions WHERE id = ?", [_key(session_id)])

    def delete_all(self) -> None:
        with self.store.write():
            self.store.conn.execute("DELETE FROM sessions")

    def purge(self, now: float) -> None:
        """Forget the sessions that expired."""
        with self.store.write():
            self.store.conn.execute("DELETE FROM sessions WHERE expires_at <= ?", [now])

    def count(self) -> int:
        return self.store.rows("SELECT count(*) AS n FROM sessions")[0]["n"]

    def secret(self, name: str) -> str:
        """A secret made once by the migration that created its table (`csrf`)."""
        return self.store.rows("SELECT value FROM secrets WHERE name = ?", [name])[0]["value"]
