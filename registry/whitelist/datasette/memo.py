"""What a Datasette instance remembers about the files it serves.

A published file is immutable while it is served (a new publication gets a new instance), so
what one request works out about it holds for every later one. Kept beside the instance, not
in it, and forgotten with it.
"""

from __future__ import annotations

import weakref

_MEMOS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def memo(datasette, name: str) -> dict:
    """The dict `name` of this Datasette instance."""
    return _MEMOS.setdefault(datasette, {}).setdefault(name, {})
