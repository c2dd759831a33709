"""The due publication: once a day, publish again when a served verdict reached its change day.

The read wing already answers with a verdict from the day it changes (`next_verdict`), but
the file, its downloads and its changelog would keep yesterday's verdict until someone
publishes. A publication is due when the served file holds a tool whose
`verdict_changes_on` has come and the file was evaluated before today.

Four eyes: a due publication must not publish record changes that nobody approved yet. It
is built from the records as they were when the served content was published (read back
from the audit log, `registry.store.asof`) with the policy version that publication used,
only on the new day. A rollback's content is that of the version it restores, and a due
publication's that of the one before it, so the chain is followed to the publication whose
records it serves. When nothing changed since, the records as they are now are the same
and are read the fast way.

`registry serve` runs it every day (`registry.schedule`), and `registry publish --if-due`
from cron or a systemd timer; each worker process and the cron job may try, the first to
claim the day in `job_runs` does it (`registry.store.jobs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path

import msgspec

from registry.db import Registry
from registry.labels.rollback import AUTOMATIC
from registry.policy import Policy, load_policy
from registry.publish import boards, builder
from registry.publish.record import Publication
from registry.store import asof, jobs
from registry.store.kinds import KINDS
from registry.store.overview import publication_event_id
from registry.verdicts import Records, current_policy

log = logging.getLogger(__name__)

JOB = "due-publication"
FORMAT_UPGRADE = "format-upgrade"
"""The actor of a publication made because the file's format changed: built, as a due one,
from the records of the publication before it."""
BOARD_KINDS = ("boards", "board_decisions")
"""The kinds of school boards a whitelist is built from too (`registry.publish.boards`)."""
POLICY_KIND = "policy"
"""The audit log's kind of a policy version (`registry.store.policies`)."""


def worker() -> str:
    """Who claims a job: this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_due(out_path: Path, today: dt.date) -> bool:
    """Whether the whitelist served at `out_path` holds a verdict that changed by `today`
    and was evaluated before it (read-only; no file: nothing is due)."""
    out_path = Path(out_path)
    if not out_path.exists():
        return False
    day = today.isoformat()
    with closing(sqlite3.connect(out_path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        evaluated_on = conn.execute("SELECT evaluated_on FROM publication").fetchone()[0]
        if evaluated_on >= day:
            return False
        found = conn.execute("SELECT 1 FROM tools WHERE verdict_changes_on <= ? LIMIT 1", [day])
        if found.fetchone() is not None:
            return True
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        return "board_verdicts" in tables and conn.execute(
            "SELECT 1 FROM board_verdicts WHERE verdict_changes_on <= ? LIMIT 1",
            [day]).fetchone() is not None


def publish_if_due(db_path: Path, out_path: Path, today: dt.date, actor: str = AUTOMATIC, *,
                   now: dt.datetime | None = None) -> Publication | None:
    """Publish the whitelist at `out_path` again when it is due (see the module), once on
    `today` however many processes ask; None when not due or done elsewhere."""
    registry = Registry(db_path)
    day = today.isoformat()
    try:
        if not jobs.claim(registry.store, JOB, day, worker()):
            log.info("Due publication of %s: claimed by another process already.", day)
            return None
        try:
            publication = (_publish_due(registry, Path(out_path), today, actor, now)
                           if is_due(out_path, today) else None)
        except Exception as exc:
            jobs.finish(registry.store, JOB, day, f"failed: {exc}")
            raise
        outcome = f"published version {publication.version}" if publication else "not due"
        jobs.finish(registry.store, JOB, day, outcome)
        log.info("Due publication of %s: %s.", day, outcome)
        return publication
    finally:
        registry.close()


def _publish_due(registry: Registry, out_path: Path, today: dt.date, actor: str,
                 now: dt.datetime | None) -> Publication:
    source = due_source(registry, actor)
    built = builder.build(registry, out_path, today, source=source, now=now)
    try:
        return builder.install(registry, built, out_path, actor)
    finally:
        built.discard()


def basis(registry: Registry, actor: str = AUTOMATIC) -> tuple[int | None, str | None]:
    """(audit event id, policy version) of the publication whose records the served content
    was built from: the latest, or for a rollback the version it restores, for a due
    publication (`actor`) the one before it. (None, None) before any publication."""
    published = {p["version"]: p for p in registry.publications.all()}
    if not published:
        return None, None
    version, seen = max(published), set()
    while version in published and version not in seen:
        seen.add(version)
        record = published[version]
        if record.get("restores_version") in published:
            version = record["restores_version"]
        elif record.get("actor") in (actor, FORMAT_UPGRADE) and version - 1 in published:
            version -= 1
        else:
            break
    return publication_event_id(registry.store, version), published[version]["policy_version"]


def due_source(registry: Registry, actor: str = AUTOMATIC) -> builder.RecordsSource:
    """What the due publication is built from (see the module). Decided when the build
    reads the registry, inside its snapshot: a change made meanwhile is never published."""
    return AsPublished(actor)


class AsPublished:
    """The records and policy of the publication whose content is served (`basis`); the
    current ones when nothing changed since (`is_current`), which the builder may then
    publish incrementally (`registry.publish.incremental`)."""

    def __init__(self, actor: str):
        self.actor = actor

    def is_current(self, registry: Registry) -> bool:
        event_id, policy_version = basis(registry, self.actor)
        if event_id is None:  # a publication the log does not record (before it had events)
            return True
        kinds = (*asof.RECORD_KINDS, *BOARD_KINDS, POLICY_KIND)
        return (not asof.changed_since(registry.store, event_id, kinds)
                and current_policy(registry).version == policy_version)

    def __call__(self, registry: Registry) -> tuple[Records, Policy]:
        if self.is_current(registry):
            return builder.current_records(registry)
        event_id, policy_version = basis(registry, self.actor)
        return records_as_of(registry, event_id), policy_version_of(registry, policy_version)


def records_as_of(registry: Registry, event_id: int) -> Records:
    """The records as `Records.load` reads them, as they were at audit event `event_id`."""
    found = asof.records_as_of(registry.store, event_id)
    agreements, assessments = defaultdict(list), defaultdict(list)
    for agreement in found["agreements"]:
        if agreement.archived_at is None:
            for tool_id in agreement.tool_ids:
                agreements[tool_id].append(agreement)
    for assessment in found["assessments"]:
        if assessment.archived_at is None:
            assessments[assessment.tool_id].append(assessment)
    records = Records(
        tools={t.id: t for t in found["tools"] if t.archived_at is None},
        vendors={v.id: v for v in found["vendors"]},
        agreements=agreements,
        assessments=assessments,
    )
    return boards.with_boards(records, boards_as_of(registry, event_id))


def boards_as_of(registry: Registry, event_id: int) -> boards.BoardRecords:
    """The boards and their decisions as they were at audit event `event_id`: the last
    event of each up to it (as `registry.store.asof` reads the other kinds)."""
    found = {}
    for name in BOARD_KINDS:
        kind = KINDS[name]
        rows = registry.store.rows(
            "SELECT after FROM events WHERE id IN (SELECT max(id) FROM events "
            "WHERE id <= ? AND kind = ? GROUP BY record_id) ORDER BY record_id",
            [event_id, name])
        docs = (msgspec.json.decode(row["after"]) for row in rows if row["after"])
        found[name] = [msgspec.convert({k: v for k, v in doc.items() if v is not None},
                                       kind.stored, strict=False) for doc in docs if doc]
    return boards.BoardRecords.of(found["boards"], found["board_decisions"])


def policy_version_of(registry: Registry, version: str | None) -> Policy:
    """The stored policy `version` (the packaged default if that is it); the current one
    when it is not known."""
    for document in registry.policies.documents():
        if document["version"] == version:
            return msgspec.convert(document["document"], Policy)
    default = load_policy()
    return default if default.version == version else current_policy(registry)
