"""Answers kept in memory until their publication is replaced, within a budget of bytes.

A published whitelist never changes, so neither do the answers worked out from it: the
check keeps its JSON answers (`registry.whitelist.reader`) and the whitelist its pages
(`registry.whitelist.mount`), each in a `Kept` that belongs to one publication and goes with it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Values by key, the least recently asked forgotten first once their costs (about the
    bytes each takes) add up to more than `limit`. Safe to share between threads."""

    def __init__(self, limit: int):
        self.limit, self.size = limit, 0
        self._values: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            kept = self._values.get(key)
            if kept is None:
                return None
            self._values.move_to_end(key)
            return kept[0]

    def keep(self, key: K, value: V, cost: int) -> None:
        """Keep `value` unless it alone costs more than the budget or `key` is kept already."""
        if cost > self.limit:
            return
        with self._lock:
            if key in self._values:
                return
            self._values[key] = (value, cost)
            self.size += cost
            while self.size > self.limit:
                _, (_, freed) = self._values.popitem(last=False)
                self.size -= freed

    def keys(self) -> list[K]:
        """Least recently asked first."""
        with self._lock:
            return list(self._values)

    def __len__(self) -> int:
        return len(self._values)
