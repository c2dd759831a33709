"""Build the published whitelist: a separate SQLite file, replaced atomically, recorded once.

    records ──rows.py──▶ temp file ──checks──▶ VACUUM INTO ──fsync──▶ os.replace ──▶ recorded

Readers of the file never see a half-built or mixed file: everything is written to a temporary
file in the same folder, compacted into a second one (a single rollback-journal file, no WAL),
checked, flushed to disk and only then renamed over the old file. The registry records the
publication in the same transaction as the rename, so a failed rename records nothing.

A crash between the rename and the commit leaves a served file whose version the registry
has not recorded; `registry.publish.recovery` records it before the next publication and
removes what a killed one left behind.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from registry.bundles import gc_paused
from registry.db import Registry
from registry import signing
from registry.signing import fsync_dir
from registry.policy import Policy
from registry.publish import boards, incremental, kept, recovery, rows, sqlfile
from registry.publish.history import changelog_rows, read_previous
from registry.publish.record import ChangeSummary, Publication, registry_row
from registry.publish.sqlfile import NO_ROOM, SCHEMA_VERSION, no_room_is_storage_full
from registry.store.overview import last_event_id
from registry.verdicts import Records, current_policy

__all__ = ["NO_ROOM", "SCHEMA_VERSION", "Built", "build", "install", "publish", "publications"]

Progress = Callable[[str], None]


def publish(
    registry: Registry,
    out_path: Path,
    today: dt.date,
    actor: str,
    *,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    full: bool = False,
) -> Publication:
    """Build the whitelist from `registry` with verdicts as of `today`, replace `out_path`
    atomically and record the publication (version = previous + 1). From the served file
    when it allows (`registry.publish.incremental`); `full`: always from all the records."""
    # As for an import: hundreds of thousands of Structs and rows, and no cycles among them.
    with gc_paused():
        built = build(registry, out_path, today, progress=progress, now=now, full=full)
        try:
            return install(registry, built, out_path, actor, progress=progress)
        finally:
            built.discard()


@dataclass
class Built:
    """A whitelist file built and checked (`path`), not yet served: `install` puts it in
    place and records `publication`; `discard` removes it when it is not wanted.
    `event_id`: the newest audit event when the records it holds were read (None: it holds
    other records than the current ones, as a due publication's)."""

    path: Path
    publication: Publication
    event_id: int | None = None

    def discard(self) -> None:
        with suppress(FileNotFoundError):
            self.path.unlink()


RecordsSource = Callable[[Registry], "tuple[Records, Policy]"]
"""What a publication is built from: the records and the policy (default: as they are now,
`current_records`). Records with the school boards are `boards.WithBoards`; plain `Records`
publish no board."""


def current_records(registry: Registry) -> tuple[Records, Policy]:
    records = boards.with_boards(Records.load(registry), boards.BoardRecords.load(registry))
    return records, current_policy(registry)


def build(registry: Registry, out_path: Path, today: dt.date, *,
          progress: Progress | None = None, now: dt.datetime | None = None,
          source: RecordsSource | None = None, ready: Path | None = None,
          full: bool = False) -> Built:
    """Build the next publication's file (version = the latest recorded + 1) beside
    `out_path` (or at `ready`), compared with the file served at `out_path`: from the
    current records (incrementally when the served file allows and not `full`), or from
    what `source` gives (in full, unless it gives the current ones: `is_current`)."""
    say = progress or (lambda _: None)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    recovery.remove_leftovers(out_path)
    recovery.recover(registry, out_path)
    stamp = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    published_at = msgspec.to_builtins(stamp)

    say("Reading the registry")
    with registry.snapshot():
        event_id = last_event_id(registry.store)
        published = registry.publications.all()
        # A source that gives the current records when it can says so (`is_current`).
        current = source is None or getattr(source, "is_current", lambda _: False)(registry)
        plan = None if full or not current else incremental.plan(
            registry, out_path, published, today, event_id)
        if plan is None:
            records, policy = (source or current_records)(registry)
    head = {"version": (published[0]["version"] if published else 0) + 1,
            "published_at": published_at, "evaluated_on": today.isoformat()}
    stem = f"{recovery.leftover_prefix(out_path)}{os.getpid()}-{secrets.token_hex(4)}"
    ready = ready or out_path.with_name(stem + ".tmp")
    try:
        with no_room_is_storage_full():
            if plan is not None:
                say(f"Incremental: rebuilding {len(plan.tools):,} of {plan.listed:,} tools")
                row = incremental.build(plan, out_path, ready, today, head)
            else:
                row = _build_in_full(records, policy, out_path, today, head,
                                     out_path.with_name(stem + ".building"), ready, say)
    except BaseException:
        with suppress(FileNotFoundError):
            ready.unlink()
        raise
    return Built(ready, Publication(
        version=row["version"], published_at=stamp,
        policy_version=row["policy_version"], counts=row["counts"], sha256=row["sha256"],
        changes=ChangeSummary(**row["changes"]), actor="",
    ), event_id=event_id if current else None)


def _build_in_full(records: Records, policy: Policy, out_path: Path, today: dt.date,
                   head: dict[str, Any], building: Path, ready: Path, say: Progress
                   ) -> dict[str, Any]:
    """Every table from `records`, written to `building`, then compacted into `ready`;
    returns the file's `publication` row (counts and changes decoded)."""
    say("Computing verdicts")
    tables = _tables(records, policy, today)
    previous_version, previous_tools = read_previous(out_path)
    tables["changes"] = rows.change_rows(previous_tools, tables["tools"])
    summary, counts = _summary(tables, previous_version)
    tables["changelog"] = changelog_rows(out_path, tables, head["version"],
                                         head["published_at"])
    tables["board_changelog"] = _board_changelog(out_path, tables, head["version"],
                                                 head["published_at"])
    row = head | {"policy_version": policy.version, "previous_version": previous_version,
                  "counts": counts, "changes": msgspec.to_builtins(summary)}
    try:
        say(f"Writing {counts['tools']} tools")
        row["sha256"] = sqlfile.write(building, tables, row | {
            "counts": rows.to_json(counts), "changes": rows.to_json(row["changes"])})
        say("Checking and compacting")
        sqlfile.compact(building, ready)
    finally:
        with suppress(FileNotFoundError):
            building.unlink()
    return row


def install(registry: Registry, built: Built, out_path: Path, actor: str, *,
            progress: Progress | None = None, **recorded: Any) -> Publication:
    """Serve `built` at `out_path` and record it, in one transaction: a failed replace
    records nothing, and a publication recorded in between (its version taken) is a
    `Conflict`. `recorded`: more columns of the registry's record (`prepared_by`,
    `approved_by`, `restores_version`). A copy is kept (`registry.publish.kept`), and its
    manifest is written beside it, signed with the publisher's key (`registry.signing`)."""
    say = progress or (lambda _: None)
    out_path = Path(out_path)
    publication = msgspec.structs.replace(built.publication, actor=actor)
    key = signing.publisher_key(registry.path)  # an unusable key publishes nothing
    say("Hashing the file for its manifest")
    hashed = signing.file_sha256(built.path)  # before the rename: the manifest follows at once
    say("Replacing the published file")
    with no_room_is_storage_full():
        copy = kept.keep(built.path, out_path, publication.version)
        try:
            with registry.write():
                registry.publications.record(
                    registry_row(publication) | {"event_id": built.event_id} | recorded, actor)
                os.replace(built.path, out_path)
                fsync_dir(out_path.parent)
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
        signing.write_manifest(out_path, publication, key, hashed)
    kept.prune(out_path)
    return publication


def _summary(tables: dict[str, list[dict]], previous_version: int | None
             ) -> tuple[ChangeSummary, dict[str, int]]:
    """What changed since the previous file, and the counts of rows and of each verdict."""
    summary = ChangeSummary(**rows.change_summary(tables["changes"], previous_version))
    counts = rows.publication_counts({name: len(tables[name]) for name in rows.COUNTED},
                                     Counter(t["verdict"] for t in tables["tools"]))
    return summary, counts


def publications(registry: Registry) -> list[Publication]:
    """Every recorded publication, newest first."""
    return [msgspec.convert(row, Publication) for row in registry.publications.all()]


# --- from records to rows -----------------------------------------------------------------


def _tables(records: Records, policy, today: dt.date) -> dict[str, list[dict]]:
    tools = rows.listed_tools(records)
    judged = {tool_id: records.verdict_and_following(tool, policy, today)
              for tool_id, tool in tools.items()}
    verdicts = {tool_id: verdict for tool_id, (verdict, _) in judged.items()}
    options = rows.alternatives({tool_id: rows.place(tool, verdicts[tool_id])
                                 for tool_id, tool in tools.items()})
    vendor_ids = {v.id for v in records.vendors.values() if v.archived_at is None}
    return {
        "vendors": [rows.vendor_row(records.vendors[v]) for v in sorted(vendor_ids)],
        **rows.tool_tables(records, tools, judged, policy, today, options),
        **boards.tables(records, policy, today, verdicts),
    }


def _board_changelog(path: Path, tables: dict[str, list[dict]], version: int,
                     published_at: str) -> list[dict]:
    """The board history of the file at `path` and this publication's board changes."""
    previous, history = boards.read_previous(path)
    changes = boards.change_rows(previous, tables["board_verdicts"])
    levels = {tool["id"]: tool["level_codes"] for tool in tables["tools"]}
    return boards.changelog_rows(history, changes, levels, version, published_at)


# --- the file -------------------------------------------------------------------------------
