"""The overview at /beheer: tools per verdict, open review requests, what expires within 90
days, the last publication and what the next one would change.

The counts per verdict come from `registry.publish.preview.LiveVerdicts`, which each worker
keeps and brings up to date from the audit log. Measured at 100,000 tools (2 cores): a visit
with nothing changed 10 ms, with a day passed 0.6 s (3,306 tools whose verdict changed by
itself), the first visit of a worker 2-3 s (it starts from the published file). When it must
evaluate every tool (no publication under the current policy, or most tools changed since:
about 21 s), the page waits at most `WAIT_SECONDS`, says the counts are being worked out,
and a later visit has them. The rest of the page takes 0.3-0.6 s there (what expires).
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from registry.backoffice.access import SignedInAccount, signed_in
from registry.db import Registry
from registry.labels import KIND_LABELS, VERDICT_LABELS, dutch_date, dutch_datetime
from registry.models import Role
from registry.publish.preview import LiveVerdicts, NextPublication, PublishedFile
from registry.store import overview as queries
from registry.verdict import add_months, last_valid_day
from registry.verdicts import current_policy

WITHIN_DAYS = 90
WAIT_SECONDS = 5.0
"""How long the overview waits for the counts per verdict before it shows the page without."""
SHOWN = 10
"""Review requests and verdict changes listed on the page; the totals are always shown."""
SHOWN_EXPIRING = 50


# --- the counts per verdict, kept per worker ---------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """What one refresh of the live verdicts found, for the page to show."""

    counts: dict[str, int]
    codes: dict[str, str]
    """Every live tool's verdict code (text, or the `VerdictCode` equal to it), as this
    refresh left them: a copy, as the next refresh changes `Keeper.verdicts` while a page
    may still read these."""
    next: NextPublication
    names: dict[str, str]  # tool id → name, of the tools listed on the page
    today: dt.date
    changes_on: dict[str, dt.date] = field(default_factory=dict)
    """Each live tool's first day after `today` on which its verdict changes by itself (where
    it does), a copy as `codes` is (the expiry overview reads it)."""


@dataclass
class Keeper:
    """A worker's live verdicts: refreshed in a thread of its own, one refresh at a time."""

    db_path: Path
    whitelist_path: Path
    wait_seconds: float = WAIT_SECONDS
    verdicts: LiveVerdicts = field(default_factory=LiveVerdicts)
    latest: Tally | None = None
    error: BaseException | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: threading.Thread | None = None
    _published: PublishedFile | None = None
    _compared: Any = None  # the `Published` the latest tally's next publication was against

    def tally(self, today: dt.date) -> tuple[Tally | None, bool]:
        """(the latest counts, whether they are up to date); waits at most `wait_seconds`.
        Blocks: call it from a worker thread."""
        with self._lock:
            if self._running is None:
                self._running = threading.Thread(target=self._refresh, args=(today,),
                                                 name="beheer-overview", daemon=True)
                self._running.start()
            running = self._running
        running.join(self.wait_seconds)
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return self.latest, not running.is_alive()

    def _refresh(self, today: dt.date) -> None:
        try:
            if self._published is None:
                self._published = PublishedFile(self.whitelist_path)
            published = self._published.read()
            registry = Registry(self.db_path)
            try:
                changed = self.verdicts.refresh(registry, today, published)
                if not changed and self.latest is not None and published is self._compared:
                    return  # the counts of the last refresh still hold
                upcoming = self.verdicts.next_publication(published)
                shown = {t for t, *_ in upcoming.verdict_changed[:SHOWN]} | set(
                    upcoming.added[:SHOWN]) | set(upcoming.removed[:SHOWN])
                names = {t: r.name for t, r in registry.records_by_id("tools", shown).items()}
            finally:
                registry.close()
            self.latest = Tally(
                counts={code.value: n for code, n in self.verdicts.counts().items()},
                codes=dict(self.verdicts.codes), next=upcoming, names=names, today=today,
                changes_on=dict(self.verdicts.changes_on))
            self._compared = published
        except BaseException as exc:  # shown by the request that waits, or the next one
            self.verdicts, self._compared = LiveVerdicts(), None  # afresh, not half refreshed
            self.error = exc
        finally:
            with self._lock:
                self._running = None


def keeper(request: Request) -> Keeper:
    state = request.app.state
    found = state.get("overview_keeper")
    if found is None:
        found = state.overview_keeper = Keeper(state.registry.path, state.settings.whitelist)
    return found


# --- what expires, review requests, the last publication --------------------------------------


@dataclass(frozen=True)
class Expiring:
    kind: str  # "agreement" or "assessment"
    id: str
    last_day: dt.date
    days_left: int
    owner: str  # the vendor's id (agreement) or the tool's (assessment)
    detail: str = ""  # the kind of assessment
    about: str = ""  # the vendor and tools, or the tool and the kind of assessment

    @property
    def href(self) -> str:
        segment = "overeenkomsten" if self.kind == "agreement" else "beoordelingen"
        return f"/beheer/{segment}/{self.id}"


def expiring(registry: Registry, today: dt.date, within: int = WITHIN_DAYS,
             shown: int | None = SHOWN_EXPIRING) -> tuple[list[Expiring], int]:
    """Signed agreements and final assessments whose last valid day lies from today up to
    `within` days on, soonest first (as `registry.verdicts.expiring` finds them, with two
    queries instead of reading every record): the first `shown` (None: all), named, and
    how many there are."""
    found = expiring_unnamed(registry, today, within)
    return named(registry, found if shown is None else found[:shown]), len(found)


def expiring_unnamed(registry: Registry, today: dt.date, within: int) -> list[Expiring]:
    """What `expiring` finds, soonest first, without `about` (naming costs a query or two per
    few hundred: name only those shown, with `named`)."""
    horizon = today + dt.timedelta(days=within)
    found = []
    for row in queries.signed_agreements_ending(registry.store, today.isoformat(),
                                                horizon.isoformat()):
        last = dt.date.fromisoformat(row["expires_on"])
        found.append(Expiring("agreement", row["id"], last, (last - today).days,
                              row["vendor_id"]))
    rules = current_policy(registry).rules
    months = rules.reassessment.interval_months
    # A last valid day in the window comes from `valid_until` or from `assessed_on` plus the
    # interval; months differ in length, so the query's range of `assessed_on` is a few days
    # wider and each candidate is decided by `last_valid_day` itself.
    slack = dt.timedelta(days=4)
    for row in queries.final_assessments_ending(
            registry.store, today.isoformat(), horizon.isoformat(),
            (add_months(today, -months) - slack).isoformat(),
            (add_months(horizon, -months) + slack).isoformat()):
        until = row["valid_until"]
        assessment = _Dates(dt.date.fromisoformat(row["assessed_on"]),
                            dt.date.fromisoformat(until) if until else None)
        last = last_valid_day(assessment, rules)
        if today <= last <= horizon:
            found.append(Expiring("assessment", row["id"], last, (last - today).days,
                                  row["tool_id"], KIND_LABELS.get(row["kind"], row["kind"])))
    found.sort(key=lambda e: (e.last_day, e.kind, e.id))
    return found


def named(registry: Registry, chosen: list[Expiring]) -> list[Expiring]:
    """`chosen` with `about` said: the vendor and its tools, or the tool and the kind."""
    agreements = [e.id for e in chosen if e.kind == "agreement"]
    vendors = queries.names(registry.store, "vendors",
                            sorted({e.owner for e in chosen if e.kind == "agreement"}))
    tools = queries.names(registry.store, "tools",
                          sorted({e.owner for e in chosen if e.kind == "assessment"}))
    covered = queries.tools_of_agreements(registry.store, agreements)
    return [dataclasses.replace(e, about=(
        f"{vendors.get(e.owner, e.owner)}: {', '.join(covered[e.id])}" if e.kind == "agreement"
        else f"{tools.get(e.owner, e.owner)}: {e.detail}")) for e in chosen]


@dataclass(frozen=True)
class _Dates:
    """The two fields of an assessment that `last_valid_day` reads."""

    assessed_on: dt.date
    valid_until: dt.date | None


def _rest(db_path: Path, today: dt.date) -> dict[str, Any]:
    # On a connection of its own in a worker thread: the queries scan agreements and
    # assessments (tens of milliseconds at 100,000 tools).
    registry = Registry(db_path)
    try:
        with registry.snapshot():
            requests, open_total = registry.reviews.list("open", SHOWN, 0)
            publications = registry.publications.all()[:1]
            items, total = expiring(registry, today)
            return {
                "expiring": items,
                "expiring_total": total,
                "requests": requests,
                "open_requests": open_total,
                "publication": publications[0] if publications else None,
            }
    finally:
        registry.close()


# --- the page ----------------------------------------------------------------------------------


@get("/beheer", guards=[signed_in(Role.procurement)], name="overzicht", include_in_schema=False)
async def overview(request: Request, account: SignedInAccount, today: NamedDependency[dt.date]
                   ) -> Template:
    kept = keeper(request)
    tally, current = await anyio.to_thread.run_sync(kept.tally, today)
    rest = await anyio.to_thread.run_sync(_rest, kept.db_path, today)
    return Template(template_name="beheer/overzicht.html", context={
        "account": account, "section": "overzicht", "today": today, "within": WITHIN_DAYS,
        "tally": tally, "current": current, "verdict_labels": VERDICT_LABELS,
        "dutch_date": dutch_date, "dutch_datetime": dutch_datetime, "shown": SHOWN, **rest,
    })


HANDLERS = [overview]
