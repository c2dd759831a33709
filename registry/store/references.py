"""The one check of references between records, for one record and for a whole file.

A reference must name a record that exists, and a `Reference.same` rule must hold (an
agreement's tools belong to its vendor). `Registry.create` and `update` ask the database
for each target; an import asks a map of the records in the file and those it looked up in
the registry in batches. The foreign keys stay the backstop.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from registry.errors import Invalid
from registry.store.connection import Store
from registry.store.kinds import KINDS, Kind, Reference
from registry.store.records import fetch

Find = Callable[[str, str], Any]
"""(kind, id) -> the record (a Struct, a row or, in a file, whatever it holds) or None."""


def value_of(record: Any, name: str) -> Any:
    """A field of a Struct, a row or a record of a file that did not decode."""
    return record.get(name) if isinstance(record, dict) else getattr(record, name, None)


def check_references(store: Store, kind: Kind, record: Any) -> None:
    """Refuse a record whose references name records the registry does not hold: the first
    such reference, as an Invalid with its path."""
    found: dict[tuple[str, str], Any] = {}

    def find(target: str, record_id: str) -> Any:
        if (target, record_id) not in found:
            found[target, record_id] = fetch(store, KINDS[target], record_id)
        return found[target, record_id]

    for path, message in reference_errors(kind, record, find):
        raise Invalid.at(path, message)


def reference_errors(kind: Kind, record: Any, find: Find, *, unknowable: Collection[str] = (),
                     where: str = "") -> Iterator[tuple[str, str]]:
    """(path, message) for each reference of `record` that `find` does not know, and each
    target of another owner than the record's. Paths start at the record: `$.tool_ids[2]`.

    A reference that is not text is left to the record's own errors, and so are references
    to the kinds in `unknowable` (a file whose list of them could not be read). `where` ends
    each "there is no" message: " in this file or in the registry"."""
    for ref in kind.references:
        if ref.target in unknowable:
            continue
        value = value_of(record, ref.field)
        if ref.many:
            items = enumerate(value) if isinstance(value, list) else ()
        else:
            items = ((None, value),)
        owner = None if ref.same is None else _owner(kind, record, ref, find)
        for i, target_id in items:
            if not isinstance(target_id, str) or target_id == ref.unless:
                continue
            found = find(ref.target, target_id)
            if found is None:
                yield _path(ref, i), (f"there is no {KINDS[ref.target].singular} with id "
                                      f"'{target_id}'{where}")
            elif owner is not None:
                owner_kind, own = owner
                theirs = value_of(found, ref.same)
                if isinstance(theirs, str) and theirs != own:
                    yield _path(ref, i), (f"{KINDS[ref.target].singular} '{target_id}' belongs "
                                          f"to {owner_kind.singular} '{theirs}', not to '{own}'")


def _path(ref: Reference, index: int | None) -> str:
    """`$.vendor_id`, or `$.tool_ids[2]` for an item of a list (only for an error: a file of
    100,000 records makes no path it does not report)."""
    return f"$.{ref.field}" if index is None else f"$.{ref.field}[{index}]"


def _owner(kind: Kind, record: Any, ref: Reference, find: Find) -> tuple[Kind, str] | None:
    """For a `same` rule: the kind and id of the record's owner, if it exists (when it does
    not, that reference is the error, not whom its targets belong to)."""
    if ref.same is None:
        return None
    own = value_of(record, ref.same)
    owner_ref = next(r for r in kind.references if r.field == ref.same)
    if isinstance(own, str) and find(owner_ref.target, own) is not None:
        return KINDS[owner_ref.target], own
    return None
