"""What every shape on the wire shares: the strict base Struct, and the two checks the
records' `__post_init__` rules use (dates in order, no value twice)."""

from __future__ import annotations

import datetime as dt

import msgspec


class Base(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base for every shape on the wire; unknown fields are an error, not silently dropped."""


def _after(later: dt.date | None, earlier: dt.date | None, later_name: str, earlier_name: str):
    if later is not None and earlier is not None and later <= earlier:
        raise ValueError(f"`{later_name}` must be after `{earlier_name}` ({earlier.isoformat()})")


def _unique(values: list, name: str):
    if len(set(values)) != len(values):
        raise ValueError(f"`{name}` lists the same value twice")
