"""The next publication before it happens: its preview, and four eyes.

- `preview` says what publishing now would change against the served file: tools added,
  removed, and each verdict that changes, from what to what and why (the sentence the
  changelog will carry, and the reasons of the rules the new verdict fails). The back office
  (/beheer/publiceren) and `registry publish --dry-run` show the same list.
- `prepare_publication` builds and checks the next file without serving it: it waits in
  `voorbereid/` beside the served file (a folder the builder's clean-up of half-built files
  leaves alone) with its content's sha256 frozen. `approve_publication` by another publisher
  serves exactly that file, unless anything it was built from changed since (`stale`): then
  it must be prepared again. A newer preparation supersedes the pending one.

Policies are prepared and approved the same way (`registry.publish.prepare_policy`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import msgspec

from registry.db import Registry
from registry.errors import Conflict, NotFound, RegistryError
from registry.labels import VERDICT_LABELS
from registry.publish import rows
from registry.publish.builder import Built, build, install
from registry.publish.preview import LiveVerdicts, NextPublication, read_published, records_for
from registry.publish.record import Publication, content_sha256
from registry.verdicts import current_policy

LIMIT = 200
"""Changes listed with their reasons (the counts are always whole)."""
FOLDER = "voorbereid"
PENDING = "prepared"


# --- the change list ---------------------------------------------------------------------------


class Change(msgspec.Struct, kw_only=True):
    """One tool the publication changes: `change` is added, removed or verdict_changed."""

    tool_id: str
    name: str
    change: str
    before: str | None
    """The published verdict code (None: not on the list)."""
    after: str | None
    """The new verdict code (None: off the list)."""
    reason: str
    """Why, in Dutch, as the changelog will say it."""
    failing: list[str] = []
    """The Dutch reasons of the rules the new verdict fails."""


class Preview(msgspec.Struct, kw_only=True):
    """What a publication (or a policy) changes: the counts, and the first `LIMIT` changes."""

    since_version: int | None
    evaluated_on: dt.date
    added: int
    removed: int
    verdict_changed: int
    total: int
    changes: list[Change]


def upcoming(registry: Registry, out_path: Path, today: dt.date) -> NextPublication:
    """What publishing now would change against the file at `out_path`, worked out afresh
    (the back office keeps it per worker: `registry.backoffice.overview.keeper`)."""
    published = read_published(Path(out_path))
    live = LiveVerdicts()
    live.refresh(registry, today, published)
    return live.next_publication(published)


def preview(registry: Registry, out_path: Path, today: dt.date, limit: int | None = LIMIT,
            next_publication: NextPublication | None = None) -> Preview:
    """The preview of the next publication: `next_publication` (default: `upcoming`) with
    the reasons of its first `limit` changes (None: all)."""
    found = next_publication or upcoming(registry, out_path, today)
    ordered = ([(t, "added") for t in found.added] + [(t, "removed") for t in found.removed]
               + [(t, "verdict_changed") for t, _, _ in found.verdict_changed])
    chosen = ordered if limit is None else ordered[:limit]
    now_ids = {t for t, change in chosen if change != "removed"}
    before_ids = {t for t, change in chosen if change != "added"}
    with registry.snapshot():
        policy = current_policy(registry)
        tools = list(registry.records_by_id("tools", now_ids).values())
        records = records_for(registry, tools)
        current = []
        for tool in tools:
            verdict = records.verdict(tool, policy, today)
            current.append({"id": tool.id, "name": tool.name, "verdict": verdict.code.value,
                            "verdict_label": VERDICT_LABELS[verdict.code], "reasons": json.dumps(
                                [{"rule": r.rule, "passed": r.passed, "text": r.text}
                                 for r in verdict.reasons], ensure_ascii=False)})
    previous = _published_tools(Path(out_path), sorted(before_ids))
    reasons = {row["id"]: row["reasons"] for row in current}
    changes = [_change(row, reasons.get(row["tool_id"]))
               for row in rows.change_rows(previous, current)]
    return Preview(since_version=found.since_version, evaluated_on=today,
                   added=len(found.added), removed=len(found.removed),
                   verdict_changed=len(found.verdict_changed), total=found.total,
                   changes=changes)


def _change(row: dict[str, Any], reasons: str | None) -> Change:
    failing = [r["text"] for r in json.loads(reasons) if not r["passed"]] if reasons else []
    return Change(tool_id=row["tool_id"], name=row["name"], change=row["change"],
                  before=row["before"], after=row["after"], reason=row["reason"],
                  failing=failing)


def _published_tools(path: Path, ids: list[str]) -> dict[str, dict]:
    """The published rows (id, name, verdict, verdict_label, reasons) of the tools `ids`."""
    if not ids or not path.exists():
        return {}
    found = {}
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            found |= {row["id"]: dict(row) for row in conn.execute(
                "SELECT id, name, verdict, verdict_label, reasons FROM tools WHERE id IN "
                f"({', '.join('?' for _ in part)})", part)}
    return found


def changes_in_file(path: Path, limit: int = LIMIT) -> Preview:
    """The change list a built (not yet served) whitelist file carries: exactly what it
    will change."""
    order = " ".join(f"WHEN '{c}' THEN {n}" for n, c in enumerate(rows.CHANGE_LABELS))
    with closing(sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        head = conn.execute("SELECT previous_version, evaluated_on FROM publication").fetchone()
        counts = dict(conn.execute("SELECT change, count(*) FROM changes GROUP BY change"))
        found = [_change(dict(row), row["reasons"]) for row in conn.execute(
            "SELECT c.tool_id, c.name, c.change, c.before, c.after, c.reason, t.reasons "
            f"FROM changes AS c LEFT JOIN tools AS t ON t.id = c.tool_id "
            f"ORDER BY CASE c.change {order} END, c.tool_id LIMIT ?", [limit])]
    return Preview(since_version=head["previous_version"],
                   evaluated_on=dt.date.fromisoformat(head["evaluated_on"]),
                   added=counts.get("added", 0), removed=counts.get("removed", 0),
                   verdict_changed=counts.get("verdict_changed", 0),
                   total=sum(counts.values()), changes=found)


# --- preparations ------------------------------------------------------------------------------


class Preparation(msgspec.Struct, kw_only=True):
    """A publication or policy prepared by one publisher for another's approval."""

    id: str
    kind: str
    """publication or policy"""
    status: str
    """prepared (waiting for approval), approved, withdrawn or superseded"""
    prepared_by: str
    prepared_at: dt.datetime
    evaluated_on: dt.date
    policy_version: str
    """The policy in force when it was prepared."""
    base_version: int | None = None
    """A publication: the latest publication when it was prepared (0: none)."""
    version: int | str | None = None
    """What it becomes: the publication's version, or the proposed policy's."""
    sha256: str | None = None
    """A publication: the sha256 of the prepared file's content."""
    changes: Preview
    """A publication: what it changes. A policy: the verdicts it changes (the what-if)."""
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


def as_preparation(row: dict[str, Any]) -> Preparation:
    document = json.loads(row["document"]) if row["document"] else {}
    return Preparation(
        id=row["id"], kind=row["kind"], status=row["status"], prepared_by=row["prepared_by"],
        prepared_at=dt.datetime.fromisoformat(row["prepared_at"].replace("Z", "+00:00")),
        evaluated_on=dt.date.fromisoformat(row["evaluated_on"]),
        policy_version=row["policy_version"], base_version=row["base_version"],
        version=document.get("version"), sha256=row["sha256"],
        changes=msgspec.json.decode(row["summary"], type=Preview),
        decided_by=row["decided_by"],
        decided_at=(dt.datetime.fromisoformat(row["decided_at"].replace("Z", "+00:00"))
                    if row["decided_at"] else None))


class SelfApproval(RegistryError):
    status = 403
    title = "Forbidden"

    def __init__(self, prepared_id: str):
        super().__init__(
            f"You prepared {prepared_id} yourself; four eyes means another publisher approves "
            "it. Ask a colleague with the publisher role.")


STALE_WHY = {
    "records": "records changed after it was prepared",
    "policy": "the policy changed after it was prepared",
    "published": "another publication was recorded after it was prepared",
    "day": "it was prepared on another day, and a publication holds the verdicts of its day",
    "file": "its file is gone or its content no longer matches the sha256 it was prepared with",
}


class Stale(Conflict):
    """What a preparation was made from changed since: prepare it again."""

    def __init__(self, prepared_id: str, why: list[str]):
        super().__init__(f"Preparation {prepared_id} can no longer be approved: "
                         f"{'; '.join(STALE_WHY[w] for w in why)}. Prepare it again.")
        self.why = why


def prepared_folder(out_path: Path) -> Path:
    return Path(out_path).parent / FOLDER


def pending(registry: Registry, prepared_id: str, kind: str) -> dict[str, Any]:
    """The preparation `prepared_id` of `kind`; 404 if there is none, 409 if decided."""
    row = registry.publications.prepared.get(prepared_id)
    if row is None or row["kind"] != kind:
        raise NotFound(f"prepared {kind}", prepared_id)
    if row["status"] != PENDING:
        raise Conflict(f"Preparation {prepared_id} is {row['status']}, not waiting for "
                       "approval; prepare it again.")
    return row


def prepare_publication(registry: Registry, out_path: Path, today: dt.date, actor: str, *,
                        now: dt.datetime | None = None) -> dict[str, Any]:
    """Build the next publication into `voorbereid/<id>.db` and record it as prepared by
    `actor`; older pending preparations are superseded (their files removed)."""
    prepared_id = secrets.token_hex(6)
    folder = prepared_folder(out_path)
    folder.mkdir(parents=True, exist_ok=True)
    built = build(registry, out_path, today, now=now, ready=folder / f"{prepared_id}.db")
    try:
        publication = built.publication
        superseded = registry.publications.prepared.add({
            "id": prepared_id, "kind": "publication",
            "prepared_at": msgspec.to_builtins(publication.published_at),
            "evaluated_on": today.isoformat(), "policy_version": publication.policy_version,
            "base_version": publication.version - 1, "event_id": built.event_id,
            "sha256": publication.sha256, "file": str(built.path.resolve()),
            "document": msgspec.json.encode(publication).decode(),
            "summary": msgspec.json.encode(changes_in_file(built.path)).decode(),
        }, actor)
    except BaseException:
        built.discard()
        raise
    for old in superseded:
        _remove(old)
    _sweep(registry, folder)
    return registry.publications.prepared.get(prepared_id)


ORPHAN_SECONDS = 3600
"""A file in `voorbereid/` that no pending preparation names, this old, was left by a process
killed between building and recording it (younger ones may still be in the making)."""


def _sweep(registry: Registry, folder: Path) -> None:
    named = {Path(row["file"]).name
             for row in registry.publications.prepared.list("publication", PENDING, limit=1000)}
    cutoff = time.time() - ORPHAN_SECONDS
    for path in folder.glob("*.db"):
        with suppress(FileNotFoundError):
            if path.name not in named and path.stat().st_mtime < cutoff:
                path.unlink()


def stale(registry: Registry, row: dict[str, Any], today: dt.date, *, content: bool = True
          ) -> list[str]:
    """Why a prepared publication can no longer be approved (keys of `STALE_WHY`);
    `content`: hash the file's content (else only check that it is there)."""
    why = []
    changed = registry.publications.prepared.changes_since(row["event_id"])
    if any(kind != "policy" for kind in changed):
        why.append("records")
    if "policy" in changed or current_policy(registry).version != row["policy_version"]:
        why.append("policy")
    latest = registry.publications.all()[:1]
    if (latest[0]["version"] if latest else 0) != row["base_version"]:
        why.append("published")
    if row["evaluated_on"] != today.isoformat():
        why.append("day")
    if not (_file_holds(row) if content else Path(row["file"] or "").is_file()):
        why.append("file")
    return why


def policy_stale(registry: Registry, row: dict[str, Any]) -> list[str]:
    """Why a prepared policy can no longer be approved: the policy in force changed."""
    return [] if current_policy(registry).version == row["policy_version"] else ["policy"]


def _file_holds(row: dict[str, Any]) -> bool:
    path = Path(row["file"] or "")
    if not row["file"] or not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            return content_sha256(conn) == row["sha256"]
    except sqlite3.DatabaseError:
        return False


def approve_publication(registry: Registry, out_path: Path, prepared_id: str, today: dt.date,
                        actor: str, *, own: bool = False) -> Publication:
    """Serve the prepared file as the next publication, approved by `actor`: another
    publisher than the one who prepared it (`own`: four eyes are off)."""
    row = pending(registry, prepared_id, "publication")
    if row["prepared_by"] == actor and not own:
        raise SelfApproval(prepared_id)
    # Under the write lock: nothing can change between the checks and the install.
    with registry.write():
        why = stale(registry, row, today)
        if why:
            raise Stale(prepared_id, why)
        built = Built(Path(row["file"]), msgspec.json.decode(row["document"], type=Publication),
                      event_id=row["event_id"])
        four_eyes = {"prepared_by": row["prepared_by"], "approved_by": actor}
        done = install(registry, built, out_path, actor, **four_eyes)
        registry.publications.prepared.decide(prepared_id, "approved", actor)
    return msgspec.structs.replace(done, **four_eyes)


def publish_at_once(registry: Registry, out_path: Path, today: dt.date, actor: str
                    ) -> Publication:
    """Four eyes off: prepare and approve in one step, by the same person."""
    row = prepare_publication(registry, out_path, today, actor)
    return approve_publication(registry, out_path, row["id"], today, actor, own=True)


def withdraw(registry: Registry, prepared_id: str, kind: str, actor: str) -> dict[str, Any]:
    """Withdraw a pending preparation (any publisher may); its file is removed."""
    row = pending(registry, prepared_id, kind)
    decided = registry.publications.prepared.decide(prepared_id, "withdrawn", actor)
    _remove(row)
    return decided


def _remove(row: dict[str, Any]) -> None:
    if row.get("file"):
        Path(row["file"]).unlink(missing_ok=True)


def preview_lines(found: Preview) -> list[str]:
    """The preview as `registry publish --dry-run` prints it: a line in English, then one
    per change (the reasons are the registry's, in Dutch)."""
    since = f"since version {found.since_version}" if found.since_version else "(new file)"
    lines = [f"Dry run on {found.evaluated_on.isoformat()}: publishing now would change "
             f"{found.total} tools {since}: {found.added} added, {found.removed} removed, "
             f"{found.verdict_changed} verdict changed. Nothing was changed."]
    for change in found.changes:
        why = " ".join([change.reason, *(f for f in change.failing if f not in change.reason)])
        lines.append(f"{change.change.replace('_', ' ')}: {change.tool_id} ({change.name}): "
                     f"{change.before or '-'} -> {change.after or '-'}. {why}")
    return lines
