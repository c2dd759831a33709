"""A form as its template shows it: each input with its label, help, value, choices and error,
and the ids that tie them together (`aria-describedby`), built from a `forms.Reading`.

Repeatable parts show their filled rows and then empty ones (two, or as many as were left
empty, and one more for each press of "Nog een regel"), so they work without JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from registry.labels import records as record_labels
from registry.backoffice.forms import Reading
from registry.backoffice.formspec import Part, Spec, form_of

EMPTY_ROWS = 2
MORE = "regel:"
"""The value of the `actie` button that adds a row to a part: "regel:domains"."""


def input_id(name: str) -> str:
    """The HTML id of an input: "domains[0].host" → "veld-domains-0-host"."""
    return "veld-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@dataclass
class Control:
    name: str
    widget: str
    label: str
    required: bool = False
    value: Any = ""
    help: str | None = None
    error: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)
    datalist: str | None = None
    readonly: bool = False
    suffix: str = ""
    """Said, not shown: the row number of an input in a repeatable part (" 2")."""
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def id(self) -> str:
        return input_id(self.name)

    @property
    def help_id(self) -> str:
        return self.id + "-uitleg"

    @property
    def error_id(self) -> str:
        return self.id + "-fout"

    @property
    def describedby(self) -> str:
        return " ".join([self.error_id] * bool(self.error) + [self.help_id] * bool(self.help))

    def chosen(self, value: str) -> bool:
        return value in self.value if isinstance(self.value, list) else value == self.value


@dataclass
class Fieldset:
    name: str
    form: str  # "group", "rows" or "checkboxes"
    label: str
    help: str | None = None
    error: str | None = None
    controls: list[Control] = field(default_factory=list)
    rows: list[list[Control]] = field(default_factory=list)
    required: bool = False

    @property
    def id(self) -> str:
        return input_id(self.name)

    @property
    def help_id(self) -> str:
        return self.id + "-uitleg"

    @property
    def error_id(self) -> str:
        return self.id + "-fout"

    @property
    def describedby(self) -> str:
        return " ".join([self.error_id] * bool(self.error) + [self.help_id] * bool(self.help))

    @property
    def more(self) -> str:
        return MORE + self.name


@dataclass
class Choices:
    """What the database offers a form: references as choices or suggestions."""

    vendors: list[tuple[str, str]] | None = None
    """(id, name) of every vendor when there are few enough for a select; else None."""
    tools: list[tuple[str, str]] = field(default_factory=list)
    """(id, name) suggestions for tool references (a vendor's tools)."""


def _control(kind: str, spec: Spec, name: str, reading: Reading, choices: Choices,
             label: str | None = None) -> Control:
    control = Control(
        name=name, widget=spec.widget, label=label or record_labels.field_label(kind, spec.path),
        required=spec.required, value=reading.values.get(name, _default(spec)),
        help=record_labels.field_help(kind, spec.path) if label is None else None,
        error=reading.errors.get(name), choices=list(spec.choices),
        max_length=spec.max_length, minimum=spec.minimum, maximum=spec.maximum)
    if spec.widget == "reference":
        if spec.target == "vendors" and choices.vendors is not None:
            control.widget, control.choices = "select", [
                (i, f"{n} ({i})") for i, n in choices.vendors]
        elif spec.target == "tools" and choices.tools:
            control.datalist = "lijst-tools"
    return control


def _default(spec: Spec) -> Any:
    if spec.widget == "checkbox":
        return bool(spec.default)
    if spec.widget == "checkboxes":
        return []
    return "" if spec.default is None else str(spec.default)


def build(kind: str, reading: Reading, choices: Choices, *, empty_rows: dict[str, int] | None
          = None, locked: frozenset[str] = frozenset()) -> list[Control | Fieldset]:
    """The inputs of a kind's form, filled from `reading`; `empty_rows`: how many empty rows
    each repeatable part shows (default two); `locked`: inputs shown but not editable (an
    existing record's id)."""
    items: list[Control | Fieldset] = []
    for item in form_of(kind):
        label = record_labels.field_label(kind, item.path)
        if isinstance(item, Spec) and item.widget == "checkboxes":
            control = _control(kind, item, item.name, reading, choices)
            items.append(Fieldset(item.name, "checkboxes", label, control.help, control.error,
                                  [control], required=item.required))
        elif isinstance(item, Spec):
            control = _control(kind, item, item.name, reading, choices)
            control.readonly = item.name in locked
            items.append(control)
        elif item.form == "group":
            items.append(Fieldset(
                item.name, "group", label, record_labels.field_help(kind, item.path),
                reading.errors.get(item.name),
                [_control(kind, s, f"{item.name}.{s.name}", reading, choices)
                 for s in item.items]))
        else:
            items.append(_rows(kind, item, reading, choices, (empty_rows or {}).get(item.name)))
    return items


def _rows(kind: str, part: Part, reading: Reading, choices: Choices, empty: int | None
          ) -> Fieldset:
    filled = reading.rows.get(part.name, 0)
    total = filled + (EMPTY_ROWS if empty is None else empty)
    if part.max_items is not None:
        total = max(filled, min(total, part.max_items))
    singular = record_labels.field_label(kind, f"{part.path}.item")
    fieldset = Fieldset(part.name, "rows", record_labels.field_label(kind, part.path),
                        record_labels.field_help(kind, part.path), reading.errors.get(part.name),
                        required=part.required)
    for i in range(total):
        prefix = f"{part.name}[{i}]"
        if part.scalar:
            row = [_control(kind, part.items[0], prefix, reading, choices, label=singular)]
        else:
            row = [_control(kind, s, f"{prefix}.{s.name}", reading, choices,
                            label=record_labels.field_label(kind, s.path)) for s in part.items]
        for control in row:  # a row may stay empty; a filled one is checked whole
            control.required, control.suffix = False, f" {i + 1}"
        fieldset.rows.append(row)
    return fieldset


def empty_rows(data: dict[str, list[str]], reading: Reading, action: str) -> dict[str, int]:
    """How many empty rows each part shows again: as many as were shown empty (at least
    two), and one more for the part whose "Nog een regel" was pressed."""
    out = {}
    for item in form_of(reading.kind):
        if isinstance(item, Part) and item.form == "rows":
            shown = _int(data.get(f"rijen.{item.name}", [""])[0])
            left = max(EMPTY_ROWS, (shown or 0) - reading.rows.get(item.name, 0))
            out[item.name] = left + (action == MORE + item.name)
    return out


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 4 else None


def error_list(items: list[Control | Fieldset]) -> list[tuple[str, str, str]]:
    """(id to link to, label, message) of every error, in the order of the form."""
    out = []
    for item in items:
        if item.error:
            target = item.id if isinstance(item, Control) else (
                item.controls[0].id + "-0" if item.form == "checkboxes" else item.id)
            out.append((target, item.label, item.error))
        if isinstance(item, Fieldset):
            for control in [*item.controls, *(c for row in item.rows for c in row)]:
                if control.error and item.form != "checkboxes":
                    out.append((control.id, control.label + control.suffix, control.error))
    return out
