"""Errors about a record's fields in the words of the back office's forms (Dutch, from
`registry.record_labels.FORM_MESSAGES`): msgspec's messages, the models' cross-field rules, and the
English sentences of the API and of imports (`dutch_error`).

Each error names its field; this module only finds the words for it and, with `dutch`, the
input of a form it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from registry import labels
from registry.labels import records as record_labels
from registry.backoffice.formspec import PATTERNS, Part, spec_at

ERROR_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_MESSAGES: list[tuple[re.Pattern[str], Callable[..., tuple[str, dict]]]] = []


def _rule(pattern: str):
    def register(fn):
        _MESSAGES.append((re.compile(pattern), fn))
        return fn
    return register


@_rule(r"^Expected `str` of length >= (\d+)$")
def _short(spec, m):
    return ("required", {}) if m[1] == "1" else ("too_short", {"limit": m[1]})


@_rule(r"^Expected `str` of length <= (\d+)$")
def _long(spec, m):
    return "too_long", {"limit": m[1]}


@_rule(r"^Expected `array` of length >= (\d+)$")
def _few(spec, m):
    return ("choose_one" if getattr(spec, "widget", "") == "checkboxes" else "required"), {}


@_rule(r"^Expected `array` of length <= (\d+)$")
def _many(spec, m):
    return "too_many", {"limit": m[1]}


@_rule(r"^Expected `int` >= (-?\d+)$")
def _low(spec, m):
    return "number_min", {"limit": m[1]}


@_rule(r"^Expected `int` <= (-?\d+)$")
def _high(spec, m):
    return "number_max", {"limit": m[1]}


@_rule(r"^Expected `str` matching regex '(.*)'$")
def _form(spec, m):
    found = PATTERNS.get(m[1]) or next((k for p, k in PATTERNS.items() if repr(p)[1:-1] == m[1]),
                                       None)
    return found or ("phone" if getattr(spec, "widget", "") == "tel" else "invalid"), {}


@_rule(r"^Invalid enum value")
def _choice(spec, m):
    return ("country" if getattr(spec, "widget", "") == "country" else "choose"), {}


CROSS_FIELD = re.compile(r"^`(?P<field>\w+)`")


def _cross_field(kind: str, message: str, path: str) -> tuple[str, dict]:
    """A rule of a Struct's `__post_init__`, whose message names its field first."""
    if m := re.match(r"^`\w+` must be after `(\w+)` \(([\d-]+)\)", message):
        other = record_labels.field_label(kind, re.sub(r"\[\d+\]", "", path + m[1]).lstrip("."))
        return "after", {"other": other, "day": labels.dutch_date(m[2])}
    if m := re.match(r"^`\w+` is required when the status is `(\w+)`", message):
        status = spec_at(kind, "status")
        return "required_for_status", {"status": dict(status.choices).get(m[1], m[1])}
    if m := re.match(r"^`conditions` must list at least one condition when the outcome is "
                     r"`(\w+)`", message):
        return "conditions_required", {"outcome": dict(spec_at(kind, "outcome").choices)[m[1]]}
    for start, key in (("`deviations_summary` is required", "deviations_summary"),
                       ("`covenant_since` is only", "covenant_since"),
                       ("` lists the same value twice", "twice")):
        if start in message:
            return key, {}
    return "invalid", {}


def dutch(kind: str, field_name: str, error: str) -> tuple[str, str, dict]:
    """(input name, message key, words) of msgspec's error (its text) about a field's value;
    `field_name` "" for an error of the whole record."""
    m = ERROR_AT.match(error)
    message, path = m["message"], m["path"] or ""
    if missing := re.match(r"^Object missing required field `(\w+)`$", message):
        return f"{field_name}{path}.{missing[1]}".lstrip("."), "required", {}
    if cross := CROSS_FIELD.match(message):
        return (f"{field_name}{path}.{cross['field']}".lstrip("."),
                *_cross_field(kind, message, f"{field_name}{path}."))
    spec = spec_at(kind, re.sub(r"\[\d+\]", "", f"{field_name}{path}").rstrip("."))
    if isinstance(spec, Part) and spec.scalar and f"{field_name}{path}".endswith("]"):
        spec = spec.items[0]
    for pattern, fn in _MESSAGES:
        if found := pattern.match(message):
            return f"{field_name}{path}", *fn(spec, found)
    return f"{field_name}{path}", "invalid", {}


# --- the same words for errors found elsewhere (the API's, an import's) ------------------------

_SINGULAR = {words: kind for kind, words in
             (("vendors", "vendor"), ("tools", "tool"), ("agreements", "agreement"),
              ("assessments", "assessment"))}
_SENTENCES: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), key) for p, key in (
    (r"^is required$", "required"),
    (r"^must be a slug", "slug"),
    (r"^must be a KvK number", "kvk"),
    (r"^must be an absolute http", "url"),
    (r"^must be a host name", "host"),
    (r"^must be an e-mail address", "email"),
    (r"^'.*' is not one of the allowed values$", "choose"),
    (r"^is not a known field", "unknown_field"),
    (r"^does not have the expected form", "invalid"),
    (r"^expected `date`, got|rfc3339 encoded date", "date"),
    (r"^expected `int`, got", "whole_number"),
    (r"^expected `bool`, got", "yes_no"),
)]
_NO_RECORD = re.compile(r"^there is no (\w+) with id '([^']*)'")
_OWNER = re.compile(r"^(\w+) '([^']*)' belongs to (\w+) '([^']*)', not to '([^']*)'")


def dutch_error(kind: str, path: str, message: str) -> str:
    """An error about a field of a record of `kind`, in the words of the back office's forms.

    `path` is the field's JSON path within the record ("$.domains[0].host"); `message` is
    msgspec's, a sentence of `registry.errors.field_errors` or of the reference checks (all
    English). What cannot be recognised becomes the general "Dit klopt niet" sentence."""
    name = path.removeprefix("$").lstrip(".")
    spec = spec_at(kind, re.sub(r"\[\d+\]", "", name))
    if isinstance(spec, Part) and spec.scalar and name.endswith("]"):
        spec = spec.items[0]
    widget = getattr(spec, "widget", "")
    if m := _NO_RECORD.match(message):
        words = record_labels.RECORD_WORDS[_SINGULAR.get(m[1], "tools")]
        return record_labels.FORM_MESSAGES["no_record"].format(record=words[0], id=m[2])
    if m := _OWNER.match(message):
        words = record_labels.RECORD_WORDS[_SINGULAR.get(m[1], "tools")]
        return record_labels.FORM_MESSAGES["other_owner"].format(record=words[0], id=m[2], owner=m[4],
                                                          own=m[5])
    for pattern, key in _SENTENCES:
        if pattern.search(message):
            if key == "choose" and widget == "country":
                key = "country"
            elif key == "invalid" and widget == "tel":
                key = "phone"
            return record_labels.FORM_MESSAGES[key]
    text = message[:1].upper() + message[1:]
    if CROSS_FIELD.match(text):  # the path names the field already
        parent = re.sub(r"(^|\.)\w+$", "", name)
        _, key, words = dutch(kind, parent, text)
    else:
        _, key, words = dutch(kind, name, text)
    return record_labels.FORM_MESSAGES[key].format(**words)
