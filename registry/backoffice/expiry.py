"""What runs out and what changes by itself, at /beheer/verloopt: signed agreements and final
assessments whose last valid day comes within 30, 60 or 90 days (`?binnen=`, in bands of 30
days), and the tools whose verdict changes by itself, per day (`?dag=YYYY-MM-DD`: one day).

Fast at 100,000 tools: the days come from the overview's live verdicts (`overview.Keeper`,
kept per worker), and only the tools the page lists are evaluated again, for the verdict now
and from that day on (`Records.verdict_and_following`). A tool is listed on the first day
its verdict changes; when its reasons change but not its verdict, the page says it stays.
(No `from __future__ import annotations`: Litestar reads the handlers' annotations.)
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from registry.backoffice.access import SignedInAccount, signed_in
from registry.backoffice.overview import Expiring, Tally, expiring_unnamed, keeper, named
from registry.db import Registry
from registry.labels import VERDICT_LABELS, dutch_date
from registry.labels.notices import EXPIRY_PROBLEMS
from registry.models import Role
from registry.publish.preview import records_for
from registry.verdicts import current_policy

BANDS = (30, 60, 90)
SHOWN_PER_BAND = 100
SHOWN_PER_DAY = 10
"""Tools listed per day in the overview of days; `?dag=` lists up to `SHOWN_ON_A_DAY`."""
SHOWN_ON_A_DAY = 500


@dataclass(frozen=True)
class Band:
    first: int  # days left, from
    last: int  # up to and including
    items: list[Expiring]
    total: int


@dataclass(frozen=True)
class Coming:
    """A tool whose verdict changes by itself on `day`."""

    tool_id: str
    name: str
    now: str  # verdict code
    then: str | None  # the verdict code from `day` on (None: it no longer changes)
    day: dt.date


@dataclass(frozen=True)
class Day:
    day: dt.date
    tools: list[Coming]
    total: int


def bands(registry: Registry, today: dt.date, within: int) -> list[Band]:
    """What runs out within `within` days, in bands of 30 days, each soonest first."""
    found = expiring_unnamed(registry, today, within)
    out, first = [], 0
    for last in (b for b in BANDS if b <= within):
        inside = [e for e in found if first <= e.days_left <= last]
        out.append(Band(first, last, inside[:SHOWN_PER_BAND], len(inside)))
        first = last + 1
    shown = iter(named(registry, [e for band in out for e in band.items]))
    return [Band(b.first, b.last, [next(shown) for _ in b.items], b.total) for b in out]


def coming_days(tally: Tally, today: dt.date, within: int, day: dt.date | None
                ) -> list[tuple[dt.date, list[str], int]]:
    """(day, the ids of the tools shown, how many change that day) of each day after `today`
    within `within` days on which verdicts change (only `day`, when given)."""
    if day is not None:
        ids = sorted(t for t, d in tally.changes_on.items() if d == day)
        return [(day, ids[:SHOWN_ON_A_DAY], len(ids))] if ids else []
    horizon = today + dt.timedelta(days=within)
    per_day: dict[dt.date, list[str]] = {}
    for tool_id, d in tally.changes_on.items():
        if today < d <= horizon:
            per_day.setdefault(d, []).append(tool_id)
    return [(d, sorted(ids)[:SHOWN_PER_DAY], len(ids)) for d, ids in sorted(per_day.items())]


def evaluated(db_path: Path, today: dt.date, chosen: list[tuple[dt.date, list[str], int]]
              ) -> list[Day]:
    """The chosen tools with their verdict now and from their day on, evaluated afresh (on a
    connection of its own, in a worker thread)."""
    wanted = {t for _, ids, _ in chosen for t in ids}
    registry = Registry(db_path)
    try:
        with registry.snapshot():
            tools = [t for t in registry.records_by_id("tools", wanted).values()
                     if t.archived_at is None]
            records, policy = records_for(registry, tools), current_policy(registry)
    finally:
        registry.close()
    found = {}
    for tool in tools:
        now, then = records.verdict_and_following(tool, policy, today)
        found[tool.id] = (tool.name, now, then)
    days = []
    for day, ids, total in chosen:
        rows = []
        for tool_id in ids:
            if tool_id not in found:
                continue  # archived since the live verdicts were counted
            name, now, then = found[tool_id]
            rows.append(Coming(tool_id, name, now.code.value, then.code.value if then else None,
                               now.valid_until or day))
        days.append(Day(day, sorted(rows, key=lambda c: (c.name.casefold(), c.tool_id)), total))
    return days


def _choices(query: Any, today: dt.date) -> tuple[int, dt.date | None, str, dict[str, str]]:
    """(within, the day asked for, the day as typed, problems by field) from the address."""
    problems = {}
    within_text = (query.get("binnen") or "").strip()
    within = max(BANDS)
    if within_text:
        if within_text in {str(b) for b in BANDS}:
            within = int(within_text)
        else:
            problems["binnen"] = EXPIRY_PROBLEMS["binnen"]
    typed = (query.get("dag") or "").strip()[:40]
    day = None
    if typed:
        try:
            day = dt.date.fromisoformat(typed) if len(typed) == 10 else None
        except ValueError:
            day = None
        if day is None:
            problems["dag"] = EXPIRY_PROBLEMS["dag"]
    return within, day, typed, problems


@get("/beheer/verloopt", guards=[signed_in(Role.procurement)], name="verloopt",
     include_in_schema=False)
async def expiry(request: Request, account: SignedInAccount, today: NamedDependency[dt.date]
                 ) -> Template:
    within, day, typed, problems = _choices(request.query_params, today)
    kept = keeper(request)
    tally, current = await anyio.to_thread.run_sync(kept.tally, today)

    def gather() -> tuple[list[Band], list[Day]]:
        registry = Registry(kept.db_path)
        try:
            with registry.snapshot():
                found = bands(registry, today, within)
        finally:
            registry.close()
        if tally is None or problems:
            return found, []
        return found, evaluated(kept.db_path, today, coming_days(tally, today, within, day))

    found, days = await anyio.to_thread.run_sync(gather)
    return Template(template_name="beheer/verloopt.html", status_code=400 if problems else 200,
                    context={
        "account": account, "section": "expiry", "today": today, "within": within,
        "bands": found, "choices": BANDS, "day": day, "typed": typed, "errors": problems,
        "days": days, "tally": tally, "current": current, "verdict_labels": VERDICT_LABELS,
        "dutch_date": dutch_date, "shown_per_day": SHOWN_PER_DAY,
    })


HANDLERS = [expiry]
