"""What the daily digest reads and writes in the registry: its claim on the day in
`job_runs` (so that one worker process sends it, whatever the number of workers), and the
review requests asked for since the previous digest."""

from __future__ import annotations

from typing import Any

from registry.store.connection import Store

JOB = "digest"
DONE = ("sent", "nothing", "no_one")
"""The outcomes of a run that did its work: the next digest reports from its start on."""
FAILED = "failed"


def claim(store: Store, day: str, worker: str, at: str, stale_before: str) -> str | None:
    """Claim the digest of `day` for `worker` (None: claimed), or the outcome of the run that
    has it ("running": started, not finished). A failed run, or one started before
    `stale_before` that never finished (its process died), is taken over."""
    with store.write():
        inserted = store.conn.execute(
            "INSERT OR IGNORE INTO job_runs (job, day, worker, started_at) VALUES (?, ?, ?, ?)",
            [JOB, day, worker, at]).rowcount
        if inserted:
            return None
        taken = store.conn.execute(
            "UPDATE job_runs SET worker = ?, started_at = ?, finished_at = NULL, outcome = NULL "
            "WHERE job = ? AND day = ? AND (outcome = ? OR (finished_at IS NULL "
            "AND started_at < ?))", [worker, at, JOB, day, FAILED, stale_before]).rowcount
        if taken:
            return None
        row = store.rows("SELECT outcome FROM job_runs WHERE job = ? AND day = ?", [JOB, day])[0]
        return row["outcome"] or "running"


def finish(store: Store, day: str, worker: str, at: str, outcome: str) -> None:
    """Note how the claimed run of `day` ended (one of `DONE`, or `FAILED`)."""
    with store.write():
        store.conn.execute(
            "UPDATE job_runs SET finished_at = ?, outcome = ? WHERE job = ? AND day = ? "
            "AND worker = ?", [at, outcome, JOB, day, worker])


def previous(store: Store, day: str) -> dict[str, Any] | None:
    """The latest run before `day` that did its work (day, started_at), or None."""
    marks = ", ".join("?" for _ in DONE)
    rows = store.rows(
        f"SELECT day, started_at FROM job_runs WHERE job = ? AND day < ? AND outcome IN ({marks}) "
        "ORDER BY day DESC LIMIT 1", [JOB, day, *DONE])
    return rows[0] if rows else None


def asks_since(store: Store, moment: str) -> list[dict[str, Any]]:
    """Review requests asked for after `moment` (ISO, as the rows store it), most asks first:
    id, tool_name, host, url, status and how many asks came in since."""
    return store.rows(
        "SELECT r.id, r.tool_name, r.host, r.url, r.status, count(*) AS asks "
        "FROM review_asks AS a JOIN review_requests AS r ON r.id = a.request_id "
        "WHERE a.asked_at > ? GROUP BY r.id ORDER BY asks DESC, min(a.asked_at), r.id",
        [moment])


def publications_since(store: Store, moment: str) -> list[int]:
    """The versions of the publications recorded after `moment` (ISO, as rows store it), by
    their audit events: those keep the microseconds that `published_at` leaves out."""
    return sorted(int(row["record_id"]) for row in store.rows(
        "SELECT record_id FROM events WHERE kind = 'publication' AND action = 'create' "
        "AND at > ?", [moment]))
