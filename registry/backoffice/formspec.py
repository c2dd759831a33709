"""What a back-office form asks for each kind of record, read from the kind's input Struct.

The inputs follow the models field by field (`registry.models`), so a field added there
appears in its form with a widget that fits its type: a date field, a checkbox, a select
with Dutch names, rows that repeat. Only the words come from elsewhere: `registry.labels`.
`show` puts a stored value into words the same way, for a record's page, its history and a
conflict.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import msgspec
from msgspec import inspect

from registry import fields, labels, models
from registry.labels import boards as board_labels
from registry.labels import records as record_labels
from registry.store.kinds import KINDS

Widget = Literal["text", "textarea", "slug", "url", "email", "tel", "host", "date", "number",
                 "checkbox", "select", "checkboxes", "country", "reference"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


ENUM_LABELS: dict[type[StrEnum], dict[str, str]] = {
    models.Category: labels.CATEGORY_LABELS,
    models.Level: {c: f"{_capital(w)} ({c})" for c, w in labels.LEVEL_LABELS.items()},
    models.Audience: {c: _capital(w) for c, w in labels.AUDIENCE_LABELS.items()},
    models.CovenantStatus: labels.COVENANT_LABELS,
    models.PseudonymisationStatus: labels.PSEUDONYMISATION_LABELS,
    models.ChainRole: record_labels.CHAIN_ROLE_LABELS,
    models.ModelVersion: labels.MODEL_LABELS,
    models.AgreementStatus: labels.AGREEMENT_STATUS_LABELS,
    models.AssessmentKind: labels.KIND_LABELS,
    models.AssessmentStatus: record_labels.ASSESSMENT_STATUS_LABELS,
    models.Outcome: labels.OUTCOME_LABELS,
    models.Risk: {c: _capital(w) for c, w in labels.RISK_LABELS.items()},
    models.SchoolType: {c: f"{_capital(w)} ({c})" for c, w in labels.LEVEL_LABELS.items()},
    models.BoardDecisionKind: {c: w for c, w in board_labels.DECISION_LABELS.items()
                               if c != "follow"},
}
"""The Dutch name of every choice a form offers, by the enum it comes from."""


def _pattern(alias: Any) -> str:
    return next(m.pattern for m in alias.__metadata__ if getattr(m, "pattern", None))


PATTERNS = {
    _pattern(fields.Slug): "slug",
    _pattern(fields.KvkNumber): "kvk",
    _pattern(fields.HttpUrl): "url",
    _pattern(fields.Host): "host",
    _pattern(fields.Email): "email",
}
"""A constrained text by its pattern: the widget and the message (`FORM_MESSAGES`) it gets."""


@dataclass(frozen=True)
class Spec:
    """One input: `path` is its field path without list positions ("domains.host")."""

    path: str
    widget: Widget
    required: bool
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    target: str | None = None  # the kind a reference names

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]


@dataclass(frozen=True)
class Part:
    """A fieldset: a nested Struct (`group`), a list of Structs or values (`rows`, whose
    `items` are one Spec with an empty name when the rows hold plain values), or a
    multiple choice (`checkboxes`, as one Spec)."""

    path: str
    form: Literal["group", "rows"]
    items: tuple[Spec, ...]
    required: bool = False
    max_items: int | None = None

    @property
    def name(self) -> str:
        return self.path

    @property
    def scalar(self) -> bool:
        return self.form == "rows" and self.items[0].path == self.path


def _unwrap(t: inspect.Type) -> tuple[inspect.Type, bool]:
    """The type without Metadata and `| None`, and whether None is allowed."""
    optional = False
    if isinstance(t, inspect.UnionType):
        rest = [x for x in t.types if not isinstance(x, inspect.NoneType)]
        optional, t = len(rest) < len(t.types), rest[0]
    while isinstance(t, inspect.Metadata):
        t = t.type
    return t, optional


def _spec(kind: str, path: str, t: inspect.Type, required: bool, default: Any) -> Spec:
    t, _ = _unwrap(t)
    references = {r.field: r.target for r in KINDS[kind].references} if kind in KINDS else {}
    if path in references:
        return Spec(path, "reference", required, target=references[path])
    if isinstance(t, inspect.BoolType):
        return Spec(path, "checkbox", False, default)
    if isinstance(t, inspect.DateType):
        return Spec(path, "date", required)
    if isinstance(t, inspect.IntType):
        return Spec(path, "number", required, default, minimum=t.ge, maximum=t.le)
    if isinstance(t, inspect.EnumType):
        words = ENUM_LABELS[t.cls]
        return Spec(path, "select", required, default,
                    choices=tuple((m.value, words[m.value]) for m in t.cls))
    if isinstance(t, inspect.LiteralType):  # the countries
        return Spec(path, "country", required, choices=country_choices())
    if isinstance(t, inspect.StrType):
        widget = {"slug": "slug", "url": "url", "host": "host", "email": "email"}.get(
            PATTERNS.get(t.pattern or ""), "text")
        if t.pattern and widget == "text" and path.endswith("phone"):
            widget = "tel"
        if widget == "text" and t.max_length and t.max_length > 500:
            widget = "textarea"
        return Spec(path, widget, required, default, max_length=t.max_length)
    raise TypeError(f"no widget for {path}: {t!r}")


@functools.cache
def country_choices() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((code, f"{name} ({code})") for code, name
                         in record_labels.COUNTRY_LABELS.items()), key=lambda c: c[1]))


@functools.cache
def form_of(kind: str) -> tuple[Spec | Part, ...]:
    """The inputs of the form of a kind of record, in the order of its input Struct."""
    out: list[Spec | Part] = []
    for f in inspect.type_info(KINDS[kind].input).fields:
        t, _ = _unwrap(f.type)
        default = None if f.default is msgspec.NODEFAULT else f.default
        if isinstance(t, inspect.StructType):
            items = tuple(_spec(kind, f"{f.name}.{g.name}", g.type, g.required,
                                None if g.default is msgspec.NODEFAULT else g.default)
                          for g in t.fields)
            out.append(Part(f.name, "group", items, f.required))
        elif isinstance(t, inspect.ListType):
            item, _ = _unwrap(t.item_type)
            if isinstance(item, inspect.EnumType):
                spec = _spec(kind, f.name, item, f.required, None)
                out.append(Spec(f.name, "checkboxes", f.required, choices=spec.choices))
            elif isinstance(item, inspect.StructType):
                items = tuple(_spec(kind, f"{f.name}.{g.name}", g.type, g.required,
                                    None if g.default is msgspec.NODEFAULT else g.default)
                              for g in item.fields)
                out.append(Part(f.name, "rows", items, f.required, t.max_length))
            else:
                out.append(Part(f.name, "rows", (_spec(kind, f.name, item, True, None),),
                                f.required, t.max_length))
        else:
            out.append(_spec(kind, f.name, f.type, f.required, default))
    return tuple(out)


def spec_at(kind: str, path: str) -> Spec | Part | None:
    """The Spec (or Part) of a field path without list positions: "domains.host"."""
    head, _, rest = path.partition(".")
    for item in form_of(kind):
        if item.path == head:
            if not rest or not isinstance(item, Part):
                return item
            return next((s for s in item.items if s.path == path), None)
    return None


# --- values in words -------------------------------------------------------------------------


def show(kind: str, path: str, value: Any) -> str:
    """A stored value of a field in Dutch: choices by their names, dates as Dutch dates."""
    if path in ("created_at", "updated_at", "archived_at") and value:
        return labels.dutch_datetime(value)
    return _show(kind, spec_at(kind, path), value)


def _show(kind: str, spec: Spec | Part | None, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return record_labels.EMPTY
    if isinstance(value, bool):
        return record_labels.YES_NO[value]
    if isinstance(spec, Part) and spec.form == "group" and isinstance(value, dict):
        # Stored without its defaults ("unknown" is a status too): each field as it counts.
        shown = [(s, value.get(s.name, s.default)) for s in spec.items]
        return "; ".join(f"{record_labels.field_label(kind, s.path)}: {_show(kind, s, v)}"
                         for s, v in shown if v not in (None, "", False, 0)) or record_labels.EMPTY
    if isinstance(spec, Part) and isinstance(value, list):
        return "; ".join(_show_row(kind, spec, v) for v in value)
    if isinstance(value, list):
        return ", ".join(_show(kind, spec, v) for v in value)
    if isinstance(spec, Spec) and spec.choices:
        return dict(spec.choices).get(str(value), str(value))
    if isinstance(spec, Spec) and spec.widget == "date":
        return labels.dutch_date(value)
    return str(value)


def _show_row(kind: str, part: Part, row: Any) -> str:
    """One item of a list: its first field, and the rest in brackets."""
    if part.scalar or not isinstance(row, dict):
        return _show(kind, part.items[0], row)
    first, *rest = part.items
    words = []
    for spec in rest:
        value = row.get(spec.name)
        if value is True:
            words.append(record_labels.field_label(kind, spec.path).lower())
        elif value not in (None, "", False):
            words.append(_show(kind, spec, value))
    head = _show(kind, first, row.get(first.name))
    return head + (f" ({', '.join(words)})" if words else "")
