"""The day verdicts are computed for: today, or the one `$REGISTRY_TODAY` fixes (demos, tests,
transcripts). Every command reads it here, so `serve` and `publish` agree."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable

ENV_TODAY = "REGISTRY_TODAY"


def clock_from_env() -> Callable[[], dt.date]:
    """`$REGISTRY_TODAY` (YYYY-MM-DD) fixes the date verdicts are computed for; otherwise the
    real date. A malformed value is a ValueError naming the variable."""
    if fixed := os.environ.get(ENV_TODAY):
        try:
            day = dt.date.fromisoformat(fixed)
        except ValueError:
            raise ValueError(f"{ENV_TODAY} must be a date as YYYY-MM-DD, not {fixed!r}.") from None
        return lambda: day
    return dt.date.today
