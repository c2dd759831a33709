"""A back-office form, read into a kind's input Struct by the same models the API uses.

`read_form` turns what a browser posted into builtins (dates typed the Dutch way, a URL in a
domain field turned into its host) and keeps what the person typed, to show again. `check`
validates it with msgspec field by field, so that every error is found at once and not only
the first, then the cross-field rules of the Struct itself; each error lands on the input it
is about, in Dutch (`registry.labels.records.FORM_MESSAGES`). Nothing here reads the database:
references are checked by `check_references` with a lookup the caller gives.

Input names follow the field paths: `name`, `pseudonymisation.status`, `domains[0].host`,
`data_locations[1]`; a checkbox sends "ja".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from registry import domains
from registry.labels import records as record_labels
from registry.backoffice.formspec import Part, Spec, form_of
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
        self.errors.setdefault(name, record_labels.FORM_MESSAGES[key].format(**words))


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


def summary(errors: Mapping[str, str]) -> str:
    one, many = record_labels.FORM_SUMMARY
    return one if len(errors) == 1 else many.format(count=len(errors))
