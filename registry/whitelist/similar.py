"""Names close to a name that matched no tool: "noorderlict rekenen" → Noorderlicht Rekenen.

Cheap and bounded at any size: for each word of the question, the distinct words of tool
names that share its first letters are read from the published `name_words` index (one
index seek each, at most MAX_WORDS_SEEN, all in one statement), difflib picks the close ones,
and the tools whose names hold a close word for every word of the question, in the same
order, are ranked by how much their whole name looks like the question.
"""

from __future__ import annotations

# difflib's own algorithms compiled (by RapidFuzz's author): the same matches, about three
# times as fast; a tenth of a worked-out check's time went to difflib.
import cydifflib as difflib

LAST_CHARACTER = "\U0010ffff"
MIN_WORD = 3
"""Shorter words ('de', 'op') say too little to look for."""
MAX_WORDS = 4
MAX_WORDS_SEEN = 150
MAX_TOOLS_SEEN = 50
CUTOFF = 0.75
COUNT_UP_TO = 5000

# The distinct words from `:start` up to `:end`, in order, at most `:most`: one index seek
# per word (the next word after the one before), all in one statement. A plain SELECT DISTINCT
# would read every (word, tool) row of a common word ("oefenen" has thousands).
_WALK_WORDS = (
    "WITH RECURSIVE walk(n, word) AS ("
    " SELECT 1, (SELECT word FROM name_words WHERE word >= :start AND word < :end"
    " ORDER BY word LIMIT 1)"
    " UNION ALL"
    " SELECT n + 1, (SELECT word FROM name_words WHERE word > walk.word AND word < :end"
    " ORDER BY word LIMIT 1) FROM walk WHERE walk.word IS NOT NULL AND n < :most)"
    " SELECT word FROM walk WHERE word IS NOT NULL ORDER BY n"
)


def close_words(conn, word: str) -> list[str]:
    """Words of tool names close to `word` that start with its first three letters, else
    with its first two, closest first."""
    for start in dict.fromkeys([word[:3], word[:2]]):
        if close := _close_words(conn, word, start):
            return close
    return []


def _close_words(conn, word: str, start: str) -> list[str]:
    return _close_matches(word, walk_words(conn, start))


def _close_matches(word: str, seen: list[str]) -> list[str]:
    """`difflib.get_close_matches(word, seen, n=5, cutoff=CUTOFF)`, the words whose length
    alone rules them out (difflib's `real_quick_ratio`, the same sum) left out first: the same
    list, without a SequenceMatcher step for most of them."""
    size = len(word)
    fitting = [w for w in seen if 2.0 * min(size, len(w)) / (size + len(w)) >= CUTOFF]
    return difflib.get_close_matches(word, fitting, n=5, cutoff=CUTOFF)


def walk_words(conn, start: str) -> list[str]:
    """The first MAX_WORDS_SEEN distinct words of tool names that start with `start`, in
    order: one statement."""
    params = {"start": start, "end": start + LAST_CHARACTER, "most": MAX_WORDS_SEEN}
    return [row[0] for row in conn.execute(_WALK_WORDS, params)]


def _marks(values: list) -> str:
    return ", ".join("?" for _ in values)


def _how_many(conn, words: list[str]) -> int:
    """How many tools have one of `words`, counted up to COUNT_UP_TO."""
    return conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM name_words WHERE word IN ({_marks(words)}) "
        "LIMIT ?)", [*words, COUNT_UP_TO]).fetchone()[0]


def _in_order(words: list[str], close: list[list[str]], name_key: str) -> bool:
    """Whether the name holds a close word for each word asked, in the order asked."""
    parts, at = name_key.split(), -1
    for options in close:
        following = [n for n, part in enumerate(parts) if n > at and part in options]
        if not following:
            return False
        at = following[0]
    return True


def close_names(conn, key: str, limit: int) -> list[str]:
    """Ids of at most `limit` tools whose names look like `key` (a name key), best first."""
    words = [w for w in key.split() if len(w) >= MIN_WORD][:MAX_WORDS]
    if not words:
        return []
    close = []
    for word in words:
        if not (options := close_words(conn, word)):
            return []  # every word must be close to one of the name's
        close.append(options)
    # The rarest word leads (SQLite would otherwise pick, and may walk thousands of tools of
    # a common word such as "oefenen"); the others are looked up per tool through the index.
    rarest, *others = sorted(close, key=lambda options: _how_many(conn, options))
    # EXISTS per tool: an `IN (SELECT ...)` here became (word, tool_id) probes for every
    # tool of the common word (23 ms instead of 0.4 ms at 100,000 tools).
    having = "".join(
        f" AND EXISTS (SELECT 1 FROM name_words AS o{n} WHERE o{n}.word IN ({_marks(options)})"
        f" AND o{n}.tool_id = w.tool_id)" for n, options in enumerate(others))
    rows = conn.execute(
        "SELECT DISTINCT t.id, t.name_key FROM name_words AS w CROSS JOIN tools AS t "
        f"ON t.id = w.tool_id WHERE w.word IN ({_marks(rarest)}){having} LIMIT ?",
        [*rarest, *(w for options in others for w in options), MAX_TOOLS_SEEN],
    ).fetchall()
    fitting = [(difflib.SequenceMatcher(None, key, r["name_key"]).ratio(), r["name_key"], r["id"])
               for r in rows if _in_order(words, close, r["name_key"])]
    return [tool_id for _, _, tool_id in sorted(fitting, key=lambda f: (-f[0], f[1], f[2]))
            ][:limit]
