"""The verdict valid on a given day, read from one published tool row.

A publication holds each tool's verdict as judged on the day it was published, the first day
that verdict changes by itself (`verdict_changes_on`, an agreement or assessment running out)
and the verdict from that day on (`next_verdict`, `next_verdict_label`, `next_conditions`,
`next_reasons`). The read wing answers with the verdict of the day it is asked, so a verdict
never goes stale between publications. Pure functions; standard library and labels only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from registry.labels import CHANGE_WARNING, NEXT_VERDICT_PHRASES, dutch_date

WARN_DAYS = 60
"""How long before a change the answers warn about it."""

VERDICT_TODAY_SQL = (
    "CASE WHEN verdict_changes_on IS NOT NULL AND verdict_changes_on <= :today "
    "AND next_verdict IS NOT NULL THEN next_verdict ELSE verdict END"
)
"""The verdict valid on `:today` (an ISO date parameter) as an SQL expression on `tools`."""


class Today(NamedTuple):
    verdict: str
    verdict_label: str
    conditions: str | None
    """JSON text, as published."""
    reasons: str | None
    """JSON text, as published."""
    changes_on: dt.date | None
    """The day the verdict changes next, if that is still to come."""
    next_verdict: str | None
    next_verdict_label: str | None


def _day(value: Any) -> dt.date | None:
    if not value:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def verdict_on(row: Mapping[str, Any], today: dt.date) -> Today:
    """The verdict of a published tool row on `today`."""
    changes_on = _day(row["verdict_changes_on"])
    following = row["next_verdict"] if "next_verdict" in row.keys() else None
    if changes_on is not None and changes_on <= today and following:
        return Today(following, row["next_verdict_label"], row["next_conditions"],
                     row["next_reasons"], None, None, None)
    return Today(row["verdict"], row["verdict_label"], row["conditions"], row["reasons"],
                 changes_on, following,
                 row["next_verdict_label"] if following else None)


def warns(verdict: Today, today: dt.date, days: int = WARN_DAYS) -> bool:
    """Whether an answer on `today` warns that the verdict changes soon."""
    return verdict.changes_on is not None and (verdict.changes_on - today).days <= days


def warning(verdict: Today, today: dt.date, days: int = WARN_DAYS) -> str | None:
    """'Let op: dit oordeel verandert op 15 januari 2027. Vanaf dan …' when `warns` and the
    verdict itself changes (not only the wording of a reason)."""
    if (not warns(verdict, today, days) or verdict.next_verdict == verdict.verdict
            or verdict.next_verdict not in NEXT_VERDICT_PHRASES):
        return None
    return CHANGE_WARNING.format(day=dutch_date(verdict.changes_on),
                                 then=NEXT_VERDICT_PHRASES[verdict.next_verdict])
