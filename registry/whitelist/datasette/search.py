"""The whitelist's search: folded as its index was, every word a prefix."""

from __future__ import annotations

import urllib.parse

from registry.domains import name_key

SEARCH_PARAMS_DROPPED = ("_searchmode", "_fts_table", "_fts_pk")


def fold_search(query_string: bytes) -> bytes:
    """`_search=Ëxamen Reken` → `_search=examen* reken*&_searchmode=raw`.

    The words are folded with `name_key`, as the `search` column was, so only letters and
    digits remain: FTS5 syntax cannot get in, and raw mode is safe. A search that folds to
    nothing is dropped. Callers cannot pick the search mode or the index themselves.
    """
    if b"_search" not in query_string and b"_fts" not in query_string:
        return query_string
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True,
                                   encoding="utf-8", errors="replace")
    out, searched = [], False
    for key, value in pairs:
        if key in SEARCH_PARAMS_DROPPED:
            continue
        if key.startswith("_search"):
            words = name_key(value).split()
            if not words:
                continue
            value, searched = " ".join(f"{word}*" for word in words), True
        out.append((key, value))
    if searched:
        out.append(("_searchmode", "raw"))
    return urllib.parse.urlencode(out).encode("ascii")
