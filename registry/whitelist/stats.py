"""The only statistics kept about teachers' checks: counts per day, nothing per teacher.

For each day: how many checks (API and check page together) and how they ended. Never the
question itself, an IP address, a browser or a time of day. Kept in the memory of each
worker process: lost on restart, and with several workers each counts its own checks.
"""

from __future__ import annotations

import datetime as dt
import threading

import msgspec

OUTCOMES = ("found", "choose", "possibly_related", "not_found", "invalid")
KEEP_DAYS = 366


class DayCount(msgspec.Struct, kw_only=True):
    """Checks on one day, by outcome: found, several tools matched (choose), possibly related
    (an address that looks like a listed tool's), not on the list, not a URL or name."""

    day: dt.date
    checks: int = 0
    found: int = 0
    choose: int = 0
    possibly_related: int = 0
    not_found: int = 0
    invalid: int = 0


class CheckCounter:
    """Counts per day, the last `keep_days` days."""

    def __init__(self, keep_days: int = KEEP_DAYS):
        self.keep_days = keep_days
        self._days: dict[dt.date, DayCount] = {}
        self._lock = threading.Lock()

    def count(self, day: dt.date, outcome: str) -> None:
        with self._lock:
            counts = self._days.get(day)
            if counts is None:
                counts = self._days[day] = DayCount(day=day)
                for old in sorted(self._days)[:-self.keep_days]:
                    del self._days[old]
            counts.checks += 1
            if outcome in OUTCOMES:
                setattr(counts, outcome, getattr(counts, outcome) + 1)

    def days(self) -> list[DayCount]:
        """Oldest first."""
        with self._lock:
            return [msgspec.structs.replace(c) for _, c in sorted(self._days.items())]


class Checking(msgspec.Struct, frozen=True):
    """What answering a check needs, given to a handler as ONE dependency: Litestar 2
    resolves two or more in an anyio task group per request, which cut the kept-answer check
    in process from 11,000-21,000 to 4,200-5,900 requests/s (measured 2026-12-02)."""

    whitelist: object
    """The `PublishedWhitelist` (not imported here: it would tie the counter to the reader)."""
    stats: CheckCounter
    today: dt.date

    def count(self, status: str) -> None:
        self.stats.count(self.today, status)
