"""Records as they were at an audit event, read back from the log.

Each event keeps the whole record as it became (`after`), so the last event of each record
up to an event id is that record at that moment: what a publication was built from, for a
due publication that must not publish changes nobody approved yet (`registry.publish.due`).
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from registry.store.connection import Store
from registry.store.kinds import KINDS

RECORD_KINDS = ("vendors", "tools", "agreements", "assessments")
"""The kinds a whitelist is built from."""


def records_as_of(store: Store, event_id: int, include_archived: bool = True
                  ) -> dict[str, list]:
    """Every record of `RECORD_KINDS` as the last event up to `event_id` left it, by kind
    and then by id; archived ones keep their `archived_at` (left out unless
    `include_archived`)."""
    out: dict[str, list] = {}
    for name in RECORD_KINDS:
        kind = KINDS[name]
        rows = store.rows(
            "SELECT after FROM events WHERE id IN (SELECT max(id) FROM events "
            "WHERE id <= ? AND kind = ? GROUP BY record_id) ORDER BY record_id",
            [event_id, name])
        records = []
        for row in rows:
            doc = msgspec.json.decode(row["after"]) if row["after"] else None
            if not doc:
                continue
            record = msgspec.convert({k: v for k, v in doc.items() if v is not None},
                                     kind.stored, strict=False)
            if include_archived or record.archived_at is None:
                records.append(record)
        out[name] = sorted(records, key=lambda r: r.id)
    return out


def changed_since(store: Store, event_id: int, kinds: Iterable[str]) -> bool:
    """Whether any event of these kinds came after `event_id`."""
    kinds = list(kinds)
    rows = store.rows(
        f"SELECT 1 FROM events WHERE id > ? AND +kind IN ({', '.join('?' for _ in kinds)}) "
        "LIMIT 1", [event_id, *kinds])
    return bool(rows)
