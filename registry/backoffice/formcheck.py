"""A form as read (`registry.backoffice.forms`), checked by the same models the API uses:
field by field so that every error is found at once, then the cross-field rules of the
Struct, then its references (typed as an id or a name). Each error lands on its input, in
Dutch. Nothing here reads the database: the caller gives the lookups."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Any

import msgspec

from registry.backoffice.errorwords import CROSS_FIELD, dutch
from registry.backoffice.forms import Lookup, Reading
from registry.backoffice.formspec import spec_at
from registry.labels import records as record_labels
from registry.store.kinds import KINDS
from registry.store.references import value_of


# --- checking it with the models ----------------------------------------------------------------

STEP_PAST = {
    "signed_on": {"status": "offered"},
    "outcome": {"outcome": "approved"},
    "residual_risk": {"residual_risk": "low"},
    "conditions": {"outcome": "approved"},
    "deviations_summary": {"deviations": False},
}
"""How to step past a failing cross-field rule of the models to find the next one (each
such rule fails on a value, not on the whole form). A rule of a field not listed here is
stepped past by leaving that field out."""


def check(reading: Reading) -> msgspec.Struct | None:
    """The kind's input Struct from `reading.doc`, or None with every error in `errors`:
    each field on its own first (msgspec stops at a record's first error), then the
    Struct's cross-field rules, one after the other."""
    kind, input_type = reading.kind, KINDS[reading.kind].input
    info = {f.name: f for f in msgspec.inspect.type_info(input_type).fields}
    typed: dict[str, Any] = {}
    for f in msgspec.structs.fields(input_type):
        if f.name not in reading.doc:
            if info[f.name].required and f.name not in reading.errors:
                reading.error(f.name, _missing(kind, f.name))
            continue
        value = _check_field(reading, f.name, f.type, reading.doc[f.name])
        if value is not None:
            typed[f.name] = value
    _cross_fields(reading, typed, info)
    if reading.errors:
        return None
    try:
        return msgspec.convert(reading.doc, input_type)
    except msgspec.ValidationError as exc:  # not expected: every rule was checked above
        where, key, words = dutch(kind, "", str(exc))
        reading.error(_known(reading, where), key, **words)
        return None


def _check_field(reading: Reading, name: str, type_: Any, value: Any) -> Any:
    """`value` converted to `type_`, or None with its errors noted: each field of a nested
    Struct and each item of a list on its own, so that all their errors are found."""
    before = set(reading.errors)
    bare = _bare(msgspec.inspect.type_info(type_))
    if isinstance(bare, msgspec.inspect.StructType) and isinstance(value, dict):
        _check_struct(reading, name, bare.cls, value)
    elif isinstance(bare, msgspec.inspect.ListType) and isinstance(value, list):
        item = _bare(bare.item_type)
        for i, v in enumerate(value):
            if isinstance(item, msgspec.inspect.StructType) and isinstance(v, dict):
                _check_struct(reading, f"{name}[{i}]", item.cls, v)
            else:
                _convert(reading, f"{name}[{i}]", _item_type(type_), v)
    if set(reading.errors) != before:
        return None
    return _convert(reading, name, type_, value)


def _check_struct(reading: Reading, prefix: str, cls: type, value: dict) -> None:
    """Each field of a nested Struct, then (when they pass) its own cross-field rules."""
    before = set(reading.errors)
    for f in msgspec.structs.fields(cls):
        if f.name in value:
            _convert(reading, f"{prefix}.{f.name}", f.type, value[f.name])
        elif f.required:
            reading.error(_known(reading, f"{prefix}.{f.name}"),
                          _missing(reading.kind, f"{prefix}.{f.name}"))
    if set(reading.errors) == before:
        _convert(reading, prefix, cls, value)


def _missing(kind: str, name: str) -> str:
    """The message key of a required input left empty: choosing differs from typing."""
    widget = getattr(spec_at(kind, re.sub(r"\[\d+\]", "", name)), "widget", "")
    return {"checkboxes": "choose_one", "select": "choose", "country": "country"}.get(
        widget, "required")


def _convert(reading: Reading, name: str, type_: Any, value: Any) -> Any:
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        where, key, words = dutch(reading.kind, name, str(exc))
        reading.error(_known(reading, where), key, **words)
        return None


def _item_type(type_: Any) -> Any:
    """The item type of a list type, through Annotated and `| None`."""
    while True:
        if typing.get_origin(type_) is typing.Annotated:
            type_ = typing.get_args(type_)[0]
        elif typing.get_origin(type_) in (typing.Union, types.UnionType):
            type_ = next(a for a in typing.get_args(type_) if a is not type(None))
        else:
            return typing.get_args(type_)[0]


def _cross_fields(reading: Reading, typed: dict[str, Any], info: dict[str, Any]) -> None:
    """Every cross-field rule (`__post_init__`) that fails, found by stepping past each in
    turn. The Struct's constructor runs them without checking types again, so a field that
    failed its own check is given as None (an empty list for a list) and is judged by it."""
    lists = {name for name, f in info.items()
             if isinstance(_bare(f.type), msgspec.inspect.ListType)}
    values = dict(typed)
    for name, f in info.items():
        if name not in values and f.required:
            values[name] = [] if name in lists else None
    for _ in range(len(info)):
        try:
            KINDS[reading.kind].input(**values)
            return
        except (ValueError, TypeError) as exc:
            if isinstance(exc, TypeError) or not (cross := CROSS_FIELD.match(str(exc))):
                return
            name, before = cross["field"], dict(values)
            where, key, words = dutch(reading.kind, "", str(exc))
            if key == "twice":
                i = _first_twice(values[name])
                part = spec_at(reading.kind, name)
                where = f"{name}[{i}]" + ("" if part.scalar else f".{part.items[0].name}")
                values[name] = [x for j, x in enumerate(values[name]) if j != i]
            else:
                values.update(STEP_PAST.get(name, {}))
                if values == before and name in values:
                    values.pop(name)
            field_errors = [n for n in reading.errors if re.match(rf"{name}(\W|$)", n)]
            if not field_errors:  # a field with errors of its own is judged by them
                reading.error(_known(reading, where), key, **words)
            if values == before:
                return


def _bare(t: Any) -> Any:
    while isinstance(t, msgspec.inspect.Metadata):
        t = t.type
    if isinstance(t, msgspec.inspect.UnionType):
        t = next(x for x in t.types if not isinstance(x, msgspec.inspect.NoneType))
    return t


def _first_twice(items: list[Any]) -> int:
    """The position of the first item that repeats an earlier one (Structs by their first
    field: a domain by its host)."""
    seen = []
    for i, item in enumerate(items):
        key = msgspec.structs.astuple(item)[0] if isinstance(item, msgspec.Struct) else item
        if key in seen:
            return i
        seen.append(key)
    return 0


def _known(reading: Reading, name: str) -> str:
    """The input an error belongs to: `name`, or the nearest part that has an input
    (an error about `levels[1]` belongs to the checkboxes `levels`)."""
    while name not in reading.values and name not in reading.rows:
        shorter = re.sub(r"(\.\w+|\[\d+\])$", "", name)
        if shorter == name:
            break
        name = shorter
    return name


# --- references ---------------------------------------------------------------------------------


def resolve_references(reading: Reading, lookup: Lookup) -> None:
    """Each reference typed as an id, or as the exact name of one record: replaced by that
    record's id; otherwise an error at its input, naming the records it may have meant."""
    for ref in KINDS[reading.kind].references:
        value = reading.doc.get(ref.field)
        if value is None:
            continue
        names = [f"{ref.field}[{i}]" for i in range(len(value))] if ref.many else [ref.field]
        for i, (name, text) in enumerate(zip(names, value if ref.many else [value],
                                             strict=True)):
            if not isinstance(text, str) or text == ref.unless:  # "sector" names no board
                continue
            exact, near = lookup(ref.target, text)
            words = record_labels.RECORD_WORDS[ref.target]
            shown = ", ".join(f"{n} ({i})" for i, n in (exact or near)[:5])
            if len(exact) == 1:
                if ref.many:
                    reading.doc[ref.field][i] = exact[0][0]
                else:
                    reading.doc[ref.field] = exact[0][0]
                reading.values[name] = exact[0][0]
            elif exact:
                reading.error(name, "several", records=words[1], text=text, names=shown)
            elif near:
                reading.error(name, "not_found_suggest", record=words[0], text=text,
                              names=shown)
            else:
                reading.error(name, "not_found_name", record=words[0], text=text)


def check_references(reading: Reading, record: msgspec.Struct | dict[str, Any],
                     owner_of: Callable[[str, str], str | None]) -> None:
    """The rule of `Reference.same` (an agreement's tools belong to its vendor), in Dutch:
    `owner_of(kind, id)` gives the owner's id of a referenced record, or None. `record` may
    be the form's builtins, when other fields have errors."""
    for ref in KINDS[reading.kind].references:
        if ref.same is None:
            continue
        own, targets = value_of(record, ref.same), value_of(record, ref.field)
        if not isinstance(own, str) or not isinstance(targets, list):
            continue
        for i, target_id in enumerate(targets):
            theirs = owner_of(ref.target, target_id)
            if theirs is not None and theirs != own:
                reading.error(f"{ref.field}[{i}]", "other_owner",
                              record=record_labels.RECORD_WORDS[ref.target][0], id=target_id,
                              owner=theirs, own=own)
