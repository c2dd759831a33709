"""Once-a-day jobs across processes: a job claims its day in `job_runs` (migration 0005).

Every worker process of `registry serve`, and a cron job beside it, may try the same job on
the same day; the first claim wins (INSERT OR IGNORE under the write lock), the others see
that it is taken and do nothing.
"""

from __future__ import annotations

from typing import Any

from registry.store.connection import Store
from registry.store.rows import now


def claim(store: Store, job: str, day: str, worker: str) -> bool:
    """Claim `job` for `day` as `worker`; False when another claimed it first."""
    with store.write() as db:
        cursor = db.conn.execute(
            "INSERT OR IGNORE INTO job_runs (job, day, worker, started_at) VALUES (?, ?, ?, ?)",
            [job, day, worker, now()])
        return cursor.rowcount == 1


def finish(store: Store, job: str, day: str, outcome: str) -> None:
    """Record how the claimed `job` of `day` ended."""
    with store.write() as db:
        db.conn.execute("UPDATE job_runs SET finished_at = ?, outcome = ? WHERE job = ? AND day = ?",
                        [now(), outcome, job, day])


def runs(store: Store, job: str) -> list[dict[str, Any]]:
    """Every day's run of `job`, newest first."""
    return store.rows("SELECT * FROM job_runs WHERE job = ? ORDER BY day DESC", [job])
