"""Who asked today, forgotten tomorrow: one client address counts once per tool per day.

Without it every repeated review request from one address raised the tool's count. What is
kept is a set of keyed hashes of (address, tool) in this process's memory, with a key drawn
at random each day and dropped with the set when the day ends: never stored, never logged,
and not linkable to an address without the key, which nobody sees. With several worker
processes each keeps its own set, so an address may count once per process; that is the
price of keeping no personal data anywhere else.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

DAY = 86_400
MAX_PER_DAY = 200_000
"""Pairs remembered per day (about 20 MB at most). Past it, further asks count no more:
a flood of addresses cannot make memory grow, nor counts either."""


class Askers:
    """The (address, target) pairs that asked since the start of the day (UTC), as keyed hashes."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._day = -1
        self._key = b""
        self._seen: set[bytes] = set()

    def first_today(self, address: str, target: str) -> bool:
        """Whether `address` asks for `target` for the first time today; remembers it."""
        day = int(self._clock() // DAY)
        if day != self._day:
            self._day, self._key, self._seen = day, secrets.token_bytes(32), set()
        digest = hashlib.blake2b(f"{address}\n{target}".encode(), key=self._key,
                                 digest_size=16).digest()
        if digest in self._seen or len(self._seen) >= MAX_PER_DAY:
            return False
        self._seen.add(digest)
        return True

    def __repr__(self) -> str:  # no digests in logs or tracebacks
        return f"<Askers: {len(self._seen)} today>"
