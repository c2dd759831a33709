"""A record's history in words: its audit events as a timeline (who, when, which fields from
what to what), and what others changed while someone was editing it (a conflict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry import labels, models
from registry.labels import records as record_labels
from registry.backoffice.formspec import form_of, show


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    """One event: when, who, what it did and which fields it changed."""

    at: str
    actor: str
    action: str
    version: int
    changes: list[Change] = field(default_factory=list)
    source: str | None = None
    new: bool = False
    """The record's first version: its changes have no "before"."""


def _order(kind: str, names: list[str]) -> list[str]:
    """Field names in the order of the kind's form (the audit log lists them by name)."""
    order = [item.name for item in form_of(kind)]
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


def timeline(kind: str, events: list[models.Event]) -> list[Entry]:
    """The events of one record, newest first, in words."""
    out = []
    for event in reversed(events):
        before, after = event.before or {}, event.after or {}
        changes = []
        if event.action not in ("archive", "restore"):
            for name in _order(kind, event.changed):
                changes.append(Change(record_labels.field_label(kind, name),
                                      show(kind, name, before.get(name)) if before
                                      else record_labels.EMPTY,
                                      show(kind, name, after.get(name))))
        out.append(Entry(at=labels.dutch_datetime(event.at), actor=event.actor,
                         action=record_labels.ACTION_LABELS.get(event.action, event.action),
                         version=event.version, changes=changes, source=event.source,
                         new=not before))
    return out


@dataclass(frozen=True)
class Clash:
    """A field someone else changed since the form was read: their value, and the one typed
    in the form; `both` when both changed it (the form keeps what was typed)."""

    label: str
    theirs: str
    mine: str
    both: bool


@dataclass(frozen=True)
class Conflict:
    who: list[tuple[str, str]]  # (actor, when) of each change since
    clashes: list[Clash]
    merged: dict[str, Any]
    """The form to save again: the other person's changes, with the fields this person
    changed as they typed them."""


def merge(kind: str, base: dict[str, Any], mine: dict[str, Any], current: dict[str, Any],
          events: list[models.Event]) -> Conflict:
    """What to show and keep when a form read at `base` meets the record as it is now
    (`current`, after `events`): nothing typed is lost, nothing of theirs is overwritten
    unless the person typed something else in the same field."""
    merged, clashes = {}, []
    for name in (item.name for item in form_of(kind)):
        was, typed, now = base.get(name), mine.get(name), current.get(name)
        if now == was or typed == now:
            merged[name] = typed
            continue
        both = typed != was
        merged[name] = typed if both else now
        clashes.append(Clash(record_labels.field_label(kind, name), show(kind, name, now),
                             show(kind, name, typed), both))
    who = [(e.actor, labels.dutch_datetime(e.at)) for e in events]
    return Conflict(who=who, clashes=clashes, merged=merged)
