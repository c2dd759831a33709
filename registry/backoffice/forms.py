"""A back-office form, read into a kind's input Struct by the same models the API uses.

`read_form` turns what a browser posted into builtins (dates typed the Dutch way, a URL in a
domain field turned into its host) and keeps what the person typed, to show again. `check`
validates it with msgspec field by field, so that every error is found at once and not only
the first, then the cross-field rules of the Struct itself; each error lands on the input it
is about, in Dutch (`registry.labels.FORM_MESSAGES`). Nothing here reads the database:
references are checked by `check_references` with a lookup the caller gives.

Input names follow the field paths: `name`, `pseudonymisation.status`, `domains[0].host`,
`data_locations[1]`; a checkbox sends "ja".
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from registry import domains, labels
from registry.backoffice.errorwords import CROSS_FIELD, dutch
from registry.backoffice.errorwords import dutch_error  # noqa: F401 (the import page's)
from registry.backoffice.formspec import Part, Spec, form_of, spec_at
from registry.store.kinds import KINDS
from registry.store.references import value_of
from registry.store.rows import to_builtins

FormData = Mapping[str, list[str]]
"""What a browser posted: each input name with its values."""
CHECKED = "ja"
MAX_ROWS = 500  # the longest list a model allows (an agreement's tools)

Lookup = Callable[[str, str], tuple[list[tuple[str, str]], list[tuple[str, str]]]]
"""(kind, text) -> ((id, name) of the record with that id or of those with exactly that
name, (id, name) of a few whose id or name starts with it); see `resolve_references`."""


@dataclass
class Reading:
    """A form as read: what to show in each input, the record's builtins, the errors."""

    kind: str
    values: dict[str, Any] = field(default_factory=dict)
    """By input name: text as typed (normalised: hosts, dates), True for a ticked box, a
    list for a multiple choice."""
    rows: dict[str, int] = field(default_factory=dict)
    """By repeatable part: how many filled rows it has."""
    doc: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, key: str, **words: Any) -> None:
        """Note an error at an input; the first found at each input stays."""
        self.errors.setdefault(name, labels.FORM_MESSAGES[key].format(**words))


def first(data: FormData, name: str) -> str:
    values = data.get(name) or [""]
    return values[0]


# --- reading what was typed ---------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DUTCH_DATE = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")
_WHOLE = re.compile(r"^[+-]?\d{1,9}$")


def parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """A date as a date field sends it (2026-09-01) or as a person types it (1-9-2026,
    01/09/2026): (the date, None), or (None, the message key)."""
    if m := _ISO_DATE.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DUTCH_DATE.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        return None, "date"
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, "no_such_date"


def to_host(text: str) -> tuple[str | None, str | None]:
    """A host from what was typed in a domain field: a host, or a URL whose host is taken
    (as a browser reads it, `registry.domains`): (host, None) or (None, message key)."""
    try:
        return domains.normalize_host(text), None
    except ValueError:
        pass
    query = domains.parse_query(text)
    if query.kind != "url" or query.host is None:
        return None, "host"
    if query.is_ip:
        return None, "ip_host"
    try:
        return domains.normalize_host(query.host), None
    except ValueError:
        return None, "host"


def to_url(text: str) -> str:
    """An address typed without its scheme ("www.rekenrijk.nl/privacy") gets https://."""
    if "://" not in text and domains.parse_query(text).kind == "url":
        return "https://" + text
    return text


def _read_value(reading: Reading, spec: Spec, name: str, raw: str) -> Any:
    """The builtin of one typed text (None: left empty, or an error noted at `name`)."""
    text = raw.replace("\r\n", "\n").strip()
    reading.values[name] = text
    if not text:
        return None
    if spec.widget == "date":
        day, problem = parse_date(text)
        if problem:
            reading.error(name, problem)
            return None
        reading.values[name] = day.isoformat()
        return day
    if spec.widget == "number":
        if not _WHOLE.match(text):
            reading.error(name, "whole_number")
            return None
        return int(text)
    if spec.widget == "host":
        host, problem = to_host(text)
        if problem:
            reading.error(name, problem)
            return text
        reading.values[name] = host
        return host
    if spec.widget == "url":
        reading.values[name] = text = to_url(text)
    if spec.widget == "country":
        reading.values[name] = text = text.upper()
    return text


def _read_inputs(reading: Reading, specs: Iterable[Spec], data: FormData, prefix: str
                 ) -> dict[str, Any]:
    """The fields of a record, a group or a row: `prefix` + each spec's name."""
    out: dict[str, Any] = {}
    for spec in specs:
        name = prefix + spec.name
        if spec.widget == "checkbox":
            reading.values[name] = out[spec.name] = first(data, name) == CHECKED
        elif spec.widget == "checkboxes":
            chosen = [v for v in data.get(name, []) if v]
            reading.values[name] = out[spec.name] = chosen
        else:
            value = _read_value(reading, spec, name, first(data, name))
            if value is not None:
                out[spec.name] = value
    return out


def _row_numbers(data: FormData, part: str) -> list[int]:
    pattern = re.compile(rf"^{re.escape(part)}\[(\d{{1,3}})\](?:\.\w+)?$")
    return sorted({int(m[1]) for key in data if (m := pattern.match(key))})


def _read_rows(reading: Reading, part: Part, data: FormData) -> list[Any]:
    """The filled rows of a repeatable part, numbered again from 0 (empty rows are left
    out, so the form shows them again after the filled ones)."""
    items = []
    for number in _row_numbers(data, part.name)[:MAX_ROWS]:
        old = f"{part.name}[{number}]"
        texts = [first(data, old if part.scalar else f"{old}.{s.name}").strip()
                 for s in part.items if s.widget != "checkbox"]
        if not any(texts):
            continue
        new = f"{part.name}[{len(items)}]"
        # Read under the old name, then move what was noted to the new one.
        scratch = Reading(reading.kind)
        if part.scalar:
            value = _read_value(scratch, part.items[0], old, first(data, old))
        else:
            value = _read_inputs(scratch, part.items, data, f"{old}.")
        for store in ("values", "errors"):
            for name, v in getattr(scratch, store).items():
                getattr(reading, store)[new + name[len(old):]] = v
        items.append(value)
    reading.rows[part.name] = len(items)
    return items


def read_form(kind: str, data: FormData) -> Reading:
    """What was posted, as builtins for the kind's input Struct (not validated yet)."""
    reading = Reading(kind)
    for item in form_of(kind):
        if isinstance(item, Part) and item.form == "rows":
            rows = _read_rows(reading, item, data)
            if rows:
                reading.doc[item.name] = rows
        elif isinstance(item, Part):
            group = _read_inputs(reading, item.items, data, f"{item.name}.")
            typed = any(v not in (None, False, "") for v in group.values())
            if typed or item.required:
                reading.doc[item.name] = group
        else:
            reading.doc.update(_read_inputs(reading, [item], data, ""))
    return reading


def values_of(kind: str, record: msgspec.Struct) -> Reading:
    """A stored record as a form shows it, to edit it."""
    doc = to_builtins(record)  # every field, defaults too
    reading = Reading(kind, doc={k: doc[k] for k in (f.name for f in form_of(kind)) if k in doc})

    def put(name: str, spec: Spec, value: Any) -> None:
        if spec.widget in ("checkbox", "checkboxes"):
            reading.values[name] = value if value is not None else (
                [] if spec.widget == "checkboxes" else False)
        else:
            reading.values[name] = "" if value is None else str(value)

    for item in form_of(kind):
        value = doc.get(item.name)
        if isinstance(item, Spec):
            put(item.name, item, value)
        elif item.form == "group":
            for spec in item.items:
                put(f"{item.name}.{spec.name}", spec, (value or {}).get(spec.name))
        else:
            for i, row in enumerate(value or []):
                if item.scalar:
                    put(f"{item.name}[{i}]", item.items[0], row)
                else:
                    for spec in item.items:
                        put(f"{item.name}[{i}].{spec.name}", spec, row.get(spec.name))
            reading.rows[item.name] = len(value or [])
    return reading


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
            if not isinstance(text, str):
                continue
            exact, near = lookup(ref.target, text)
            words = labels.RECORD_WORDS[ref.target]
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
                              record=labels.RECORD_WORDS[ref.target][0], id=target_id,
                              owner=theirs, own=own)


def summary(errors: Mapping[str, str]) -> str:
    one, many = labels.FORM_SUMMARY
    return one if len(errors) == 1 else many.format(count=len(errors))
