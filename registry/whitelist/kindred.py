"""Lists of allowed alternatives, worked out once per publication and day.

A tool that was allowed when published has no published alternatives; when it is not allowed
on the day asked (its verdict changed by itself, or a teacher's board does not allow it), the
check offers the allowed tools of its category that share a school type. A tool that was not
allowed has its alternatives published, and the check offers those still allowed on the day
asked. Both lists depend only on the category and school types (or the published list) and
the day, not on the question, so one publication has a few dozen of them (38 published lists
for 65,581 tools at 100,000; each one cost ten row lookups per check): `Kindred` keeps them
beside the open file (`reader.PublishedWhitelist`) and forgets them with it, or when the day
changes. This is an index of the file, not a kept answer: it stays on when kept answers are
off.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any


class Kindred:
    """Lists keyed by (category, school types) or ("published", the published list), each
    worked out once per day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._lists: dict[tuple, Any] = {}

    def get(self, key: tuple, today: dt.date, work_out: Callable[[], Any]) -> Any:
        """The list for `key` on `today`, from `work_out()` the first time it is asked."""
        with self._lock:
            if today != self._day:
                self._day, self._lists = today, {}
            found = self._lists.get(key)
        if found is None:
            found = work_out()
            with self._lock:
                if today == self._day:
                    self._lists[key] = found
        return found
