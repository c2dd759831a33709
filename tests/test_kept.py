"""`Kept`: answers kept within a budget, the least recently asked forgotten first."""

from __future__ import annotations

import threading

from registry.kept import Kept


def test_the_least_recently_asked_go_first_when_over_budget():
    kept: Kept[str, str] = Kept(limit=25)
    kept.keep("a", "A", 10)
    kept.keep("b", "B", 10)
    assert kept.get("a") == "A"  # asked again: b is now the least recently asked
    kept.keep("c", "C", 10)
    assert kept.keys() == ["a", "c"]
    assert (kept.get("b"), kept.size) == (None, 20)


def test_a_value_over_the_whole_budget_is_not_kept_and_forgets_nothing():
    kept: Kept[str, str] = Kept(limit=25)
    kept.keep("a", "A", 10)
    kept.keep("huge", "H", 26)
    assert kept.keys() == ["a"] and kept.size == 10
    nothing: Kept[str, str] = Kept(limit=0)
    nothing.keep("a", "A", 1)
    assert len(nothing) == 0


def test_the_first_value_kept_under_a_key_stays():
    kept: Kept[str, str] = Kept(limit=100)
    kept.keep("a", "first", 10)
    kept.keep("a", "second", 10)
    assert (kept.get("a"), kept.size) == ("first", 10)


def test_threads_keep_the_size_right():
    kept: Kept[int, int] = Kept(limit=1000)

    def work(n: int) -> None:
        for i in range(2000):
            kept.keep((n * 7919 + i) % 500, i, 3)
            kept.get(i % 500)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert kept.size == 3 * len(kept) <= 1000
