"""The live verdicts and what the next publication would change, kept up to date cheaply.

Working out every verdict reads every record: about 20 seconds at 100,000 tools. The
overview asks for the counts on every visit, so `LiveVerdicts` keeps each live tool's verdict
code and re-evaluates only the tools whose verdict may have changed since it last looked:

- the tools that audit events since then concern (`registry.store.overview.tools_touched_since`:
  a tool's own changes, its agreements' and assessments', its vendor's);
- the tools whose verdict changes by itself on a day that has come (`Verdict.valid_until`);
- all of them when the policy's version differs.

It starts from the published whitelist when that was built under the current policy: the
file holds each tool's verdict and the day it changes. A publication reads the registry
after the previous one was recorded (its version follows that one), so every change the
file may lack has an event after the previous publication's: those tools are evaluated
again, and so are the tools the file leaves out (those of an archived vendor).
Without such a file it evaluates every tool once.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from registry.db import Registry
from registry.policy import Policy
from registry.store import overview as queries
from registry.verdict import VerdictCode
from registry.verdicts import Records, current_policy

BULK = 20_000
"""From this many tools on, re-evaluating reads every record at once (`Records.load`) rather
than the tools' own records, a few hundred tools per query (`records_for`)."""


def records_for(registry: Registry, tools: list) -> Records:
    """What the verdicts on `tools` need, as `Records.load` gathers it (their vendors, archived
    ones too, and their live agreements and assessments), in a few queries per few hundred
    tools: `Records.for_tools` asks two per tool."""
    named = queries.ids_naming_tools(registry.store, sorted(t.id for t in tools))
    grouped: dict[str, dict[str, list]] = {}
    for kind, pairs in named.items():
        found = registry.records_by_id(kind, {record_id for record_id, _ in pairs})
        per_tool: dict[str, list] = defaultdict(list)
        for record_id, tool_id in sorted(pairs):  # by id, as `Records.load` has them
            per_tool[tool_id].append(found[record_id])
        grouped[kind] = per_tool
    return Records(
        tools={t.id: t for t in tools},
        vendors=registry.records_by_id("vendors", {t.vendor_id for t in tools}),
        agreements=grouped["agreements"],
        assessments=grouped["assessments"],
    )


@dataclass(frozen=True)
class Published:
    """The verdicts of the published whitelist file."""

    version: int
    policy_version: str
    evaluated_on: dt.date
    verdicts: dict[str, str]  # tool id → verdict code
    changes_on: dict[str, dt.date]  # tool id → the day its verdict changes, where it does


def read_published(path: Path) -> Published | None:
    """The published file's verdicts, or None when nothing is published there."""
    if not path.exists():
        return None
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        version, policy_version, evaluated_on = conn.execute(
            "SELECT version, policy_version, evaluated_on FROM publication").fetchone()
        verdicts, changes_on = {}, {}
        for tool_id, verdict, changes in conn.execute(
                "SELECT id, verdict, verdict_changes_on FROM tools"):
            verdicts[tool_id] = verdict
            if changes:
                changes_on[tool_id] = dt.date.fromisoformat(changes)
    return Published(version, policy_version, dt.date.fromisoformat(evaluated_on), verdicts,
                     changes_on)


class PublishedFile:
    """`read_published` once per file: publishing replaces the file (a new inode)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._identity: tuple[int, int] | None = None
        self._published: Published | None = None
        self._lock = threading.Lock()

    def read(self) -> Published | None:
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                self._identity = self._published = None
                return None
            identity = (stat.st_ino, stat.st_mtime_ns)
            if identity != self._identity:
                self._published, self._identity = read_published(self.path), identity
            return self._published


@dataclass(frozen=True)
class NextPublication:
    """How the next publication's tools would differ from the published file's."""

    since_version: int | None
    added: list[str]
    removed: list[str]
    verdict_changed: list[tuple[str, str, str]]  # (tool id, published code, live code)

    @property
    def total(self) -> int:
        return len(self.added) + len(self.removed) + len(self.verdict_changed)


@dataclass
class LiveVerdicts:
    """Every live (not archived) tool's verdict code under the current policy on `today`."""

    codes: dict[str, str] = field(default_factory=dict)
    """Tool id → verdict code (a `VerdictCode`, or its text when read from the file)."""
    changes_on: dict[str, dt.date] = field(default_factory=dict)
    unlisted: set[str] = field(default_factory=set)
    """Live tools the next whitelist leaves out: their vendor is archived."""
    policy_version: str | None = None
    today: dt.date | None = None
    event_id: int = -1
    evaluated: int = 0
    """How many verdicts the last refresh worked out (what it cost, for tests and the page)."""

    def counts(self) -> dict[str, int]:
        """Live tools per verdict code, best first."""
        out = dict.fromkeys(reversed(VerdictCode), 0)
        for code in self.codes.values():
            out[code] += 1
        return out

    def refresh(self, registry: Registry, today: dt.date, published: Published | None) -> bool:
        """Bring the codes up to date with the registry as it is now; False when nothing
        happened since the last refresh (no event, the same day and policy)."""
        self.evaluated = 0
        with registry.snapshot():
            head = queries.last_event_id(registry.store)
            policy = current_policy(registry)
            if (self.policy_version != policy.version or self.today is None
                    or today < self.today):
                self._start(registry, policy, today, published)
            elif head == self.event_id and today == self.today:
                return False
            else:
                touched = queries.tools_touched_since(registry.store, self.event_id)
                self._evaluate(registry, policy, today, touched | self._due(today))
            self.policy_version, self.today, self.event_id = policy.version, today, head
        return True

    def _due(self, today: dt.date) -> set[str]:
        return {tool_id for tool_id, day in self.changes_on.items() if day <= today}

    def _start(self, registry: Registry, policy: Policy, today: dt.date,
               published: Published | None) -> None:
        self.codes, self.changes_on, self.unlisted = {}, {}, set()
        latest = registry.publications.all()[:1]
        since = None
        if (published is not None and latest and latest[0]["version"] == published.version
                and published.policy_version == policy.version
                and published.evaluated_on <= today):
            since = 0 if published.version == 1 else queries.publication_event_id(
                registry.store, published.version - 1)
        if since is None:
            self._evaluate_all(registry, policy, today)
            return
        self.codes = dict(published.verdicts)  # text equals the StrEnum, in dicts too
        self.changes_on = dict(published.changes_on)
        stale = (queries.tools_touched_since(registry.store, since) | self._due(today)
                 | set(queries.live_tools_of_archived_vendors(registry.store)))
        if len(stale) >= BULK and len(stale) * 2 >= queries.live_tool_count(registry.store):
            self._evaluate_all(registry, policy, today)
        else:
            self._evaluate(registry, policy, today, stale)

    def _evaluate_all(self, registry: Registry, policy: Policy, today: dt.date) -> None:
        records = Records.load(registry)
        self.codes, self.changes_on, self.unlisted = {}, {}, set()
        self._store(records, records.tools.values(), policy, today)

    def _evaluate(self, registry: Registry, policy: Policy, today: dt.date,
                  tool_ids: set[str]) -> None:
        if len(tool_ids) >= BULK:
            records = Records.load(registry)
            tools = [records.tools[t] for t in tool_ids if t in records.tools]
        else:
            stored = registry.records_by_id("tools", tool_ids)
            tools = [t for t in stored.values() if t.archived_at is None]
            records = records_for(registry, tools)
        for tool_id in tool_ids:  # archived, or gone from the file's list
            self.codes.pop(tool_id, None)
            self.changes_on.pop(tool_id, None)
            self.unlisted.discard(tool_id)
        self._store(records, tools, policy, today)

    def _store(self, records: Records, tools, policy: Policy, today: dt.date) -> None:
        for tool in tools:
            verdict = records.verdict(tool, policy, today)
            self.codes[tool.id] = verdict.code
            if verdict.valid_until is not None:
                self.changes_on[tool.id] = verdict.valid_until
            vendor = records.vendors.get(tool.vendor_id)
            if vendor is None or vendor.archived_at is not None:
                self.unlisted.add(tool.id)
            self.evaluated += 1

    def next_publication(self, published: Published | None) -> NextPublication:
        """What publishing now would change against `published` (None: nothing published)."""
        before = published.verdicts if published else {}
        listed = self.codes.keys() - self.unlisted
        codes = self.codes
        return NextPublication(
            since_version=published.version if published else None,
            added=sorted(listed - before.keys()),
            removed=sorted(before.keys() - listed),
            verdict_changed=sorted((t, before[t], str(codes[t])) for t in listed & before.keys()
                                   if before[t] != codes[t]),
        )


# --- what an import would do to verdicts ---------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """A tool whose verdict an import would change (`before` None: the import adds the tool)."""

    tool_id: str
    name: str
    before: str | None
    after: str


def import_effect(registry: Registry, incoming: dict[str, list], today: dt.date) -> list[Shift]:
    """The verdicts an import of `incoming` (per kind, the records it would create or update,
    as the importer's plan has them) would change, evaluated as the registry would after it:
    the tools it names and the tools its agreements and assessments cover, before and after.
    Tools that an import would leave as they are are left out; new tools are all in."""
    new_tools = {t.id: t for t in incoming.get("tools", [])}
    new_agreements = {a.id: a for a in incoming.get("agreements", [])}
    new_assessments = {a.id: a for a in incoming.get("assessments", [])}
    affected = set(new_tools)
    for agreement in new_agreements.values():
        affected.update(agreement.tool_ids)
    affected.update(a.tool_id for a in new_assessments.values())
    for old in registry.records_by_id("agreements", new_agreements).values():
        affected.update(old.tool_ids)
    for old in registry.records_by_id("assessments", new_assessments).values():
        affected.add(old.tool_id)

    stored = {t.id: t for t in registry.records_by_id("tools", affected).values()
              if t.archived_at is None}
    current = records_for(registry, list(stored.values()))
    policy = current_policy(registry)
    before = {t: current.verdict(tool, policy, today).code for t, tool in stored.items()}

    tools = {**stored, **new_tools}
    vendors = registry.records_by_id("vendors", {t.vendor_id for t in tools.values()})
    vendors.update({v.id: v for v in incoming.get("vendors", [])})
    agreements: dict[str, list] = defaultdict(list)
    assessments: dict[str, list] = defaultdict(list)
    for tool_id in tools:
        agreements[tool_id] = [a for a in current.agreements.get(tool_id, [])
                               if a.id not in new_agreements]
        assessments[tool_id] = [a for a in current.assessments.get(tool_id, [])
                                if a.id not in new_assessments]
    for agreement in new_agreements.values():
        for tool_id in agreement.tool_ids:
            if tool_id in tools:
                agreements[tool_id].append(agreement)
    for assessment in new_assessments.values():
        if assessment.tool_id in tools:
            assessments[assessment.tool_id].append(assessment)
    after = Records(tools=tools, vendors=vendors,
                    agreements={t: sorted(a, key=lambda r: r.id) for t, a in agreements.items()},
                    assessments={t: sorted(a, key=lambda r: r.id)
                                 for t, a in assessments.items()})
    shifts = []
    for tool_id, tool in sorted(tools.items()):
        code = after.verdict(tool, policy, today).code
        if before.get(tool_id) != code:
            was = before.get(tool_id)
            shifts.append(Shift(tool_id, tool.name, was.value if was else None, code.value))
    return shifts
