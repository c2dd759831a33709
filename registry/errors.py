"""One small exception family that names what and which, and msgspec errors made readable.

Every error that reaches a user carries a status, a one-sentence `detail` a person can act on
and, where a field is to blame, a list of `FieldError`s with the field's path.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import msgspec

from registry import models
from registry.problem import FieldError  # the error shape both wings share


class RegistryError(Exception):
    """Base of the family; `status` is the HTTP status the API answers with."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(RegistryError):
    status = 404
    title = "Not found"

    def __init__(self, kind: str, record_id: str):
        super().__init__(f"No {kind} with id '{record_id}'.")


class Conflict(RegistryError):
    status = 409
    title = "Conflict"


class Invalid(RegistryError):
    status = 422
    title = "Invalid input"

    @classmethod
    def at(cls, path: str, message: str) -> Invalid:
        error = field_error(path, message)
        return cls(f"{error.field}: {message}.", [error])


class PreconditionRequired(RegistryError):
    status = 428
    title = "Precondition required"


class PreconditionFailed(RegistryError):
    status = 412
    title = "Precondition failed"


class StorageFull(RegistryError):
    """SQLite said SQLITE_FULL: the disk, or the database's size limit, has no room left."""

    status = 507
    title = "Insufficient storage"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or (
            "The database is full: the disk has no space left or the database reached its "
            "size limit. Nothing was changed; free some space and try again."
        ))


# Patterns from models.py turned into sentences; msgspec itself only says "matching regex".
_PATTERN_MESSAGES = {
    models.Slug: "must be a slug: lower-case letters, digits and hyphens, starting with a "
    "letter or digit, at most 64 characters (for example 'rekenrijk')",
    models.KvkNumber: "must be a KvK number of exactly 8 digits (for example '12345678')",
    models.HttpUrl: "must be an absolute http:// or https:// URL",
    models.Host: "must be a host name in lower case such as 'app.example.nl' "
    "(internationalised names in punycode, no scheme, port or path)",
    models.Email: "must be an e-mail address",
}
# msgspec quotes the pattern as Python's repr does (backslashes doubled): match both forms.
_PATTERNS = {
    form: message
    for alias, message in _PATTERN_MESSAGES.items()
    for meta in alias.__metadata__
    if getattr(meta, "pattern", None)
    for form in (meta.pattern, repr(meta.pattern)[1:-1])
}
_REGEX = re.compile(r"Expected `str` matching regex '(?P<pattern>.*)'$")
_UNKNOWN_FIELD = re.compile(r"Object contains unknown field `(?P<name>[^`]+)`$")
_MISSING_FIELD = re.compile(r"Object missing required field `(?P<name>[^`]+)`$")
_POST_INIT_FIELD = re.compile(r"^`(?P<name>[a-z_]+)`")
_ENUM = re.compile(r"Invalid enum value '(?P<value>.*)'$")


def pointer(path: str) -> str:
    """JSON pointer (RFC 6901) for a msgspec JSONPath such as `$.tools[3].domains[0]`."""
    parts = re.findall(r"\.([^.\[]+)|\[(\d+)\]", path.removeprefix("$"))
    tokens = [name or index for name, index in parts]
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def field_error(path: str, message: str) -> FieldError:
    return FieldError(field=path, pointer=pointer(path), message=message)


def field_errors(error: msgspec.ValidationError | msgspec.DecodeError, root: str = "$") -> FieldError:
    """Turn msgspec's one-line error into a FieldError whose path names the field itself."""
    text = str(error)
    message, _, at = text.rpartition(" - at `")
    if not message:
        message, at = text, "$`"
    path = root + at.rstrip("`").removeprefix("$")
    if m := _REGEX.match(message):
        message = _PATTERNS.get(m["pattern"], f"does not have the expected form ({m['pattern']})")
    elif m := _UNKNOWN_FIELD.match(message):
        path, message = f"{path}.{m['name']}", "is not a known field; remove it or check its spelling"
    elif m := _MISSING_FIELD.match(message):
        path, message = f"{path}.{m['name']}", "is required"
    elif m := _ENUM.match(message):
        message = f"'{m['value']}' is not one of the allowed values"
    elif m := _POST_INIT_FIELD.match(message):
        path = f"{path}.{m['name']}"
    message = message[0].lower() + message[1:] if message else message
    return field_error(path, message)


MAX_DEPTH = 64
"""How deeply arrays and objects may nest in JSON we read. Our deepest shape (a bundle) needs 5;
every decoder recurses, and about 1,000 levels exhaust Python's stack: a 500, not an answer."""
_STRING = re.compile(rb'"[^"]*"')  # linear: after escapes are gone, every quote delimits
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def too_deep(raw: bytes) -> bool:
    """Whether JSON text nests arrays and objects deeper than MAX_DEPTH (brackets in strings do
    not count); in a few passes of C loops over the bytes, so before any decoder recurses."""
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = _STRING.sub(b"", unescaped).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= MAX_DEPTH:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_DEPTH


def check_depth(raw: bytes, label: str = "The body") -> None:
    """400 when JSON text nests too deeply to decode safely."""
    if too_deep(raw):
        raise RegistryError(
            f"{label} is nested too deeply: arrays and objects may nest at most {MAX_DEPTH} "
            "levels."
        )


def _number(literal: str) -> int | float:
    value = float(literal)
    return int(value) if value.is_integer() else value


_VALUES = msgspec.json.Decoder(float_hook=_number)


def json_value(raw: bytes) -> Any:
    """JSON text as builtins, numbers as JSON has them: `3.0` is the integer 3 (as JSON Schema
    says), so strict decoding refuses `"3"` and `true` for a number, but not `3.0`.
    Check the depth first (`check_depth`); raises msgspec.DecodeError."""
    return _VALUES.decode(raw)


def parse_json(raw: bytes, label: str = "The body") -> Any:
    """JSON text as builtins (see `json_value`); 400 when it is not JSON or nests too deeply."""
    check_depth(raw, label)
    try:
        return json_value(raw)
    except msgspec.DecodeError as exc:
        reason = str(exc)
        raise RegistryError(
            f"{label} is not valid JSON ({reason[:1].lower()}{reason[1:]}); check quotes, "
            "commas and brackets."
        ) from None


def decode(data: bytes | dict, type_: type, root: str = "$"):
    """Decode JSON bytes or convert builtins into `type_`, raising `Invalid` with the field path.

    Strict either way: `"true"` is not a boolean and `"12"` is not a number.
    """
    try:
        if isinstance(data, bytes | str):
            check_depth(data.encode() if isinstance(data, str) else data)
            return msgspec.json.decode(data, type=type_)
        return msgspec.convert(data, type_)
    except msgspec.ValidationError as exc:
        error = field_errors(exc, root)
        raise Invalid(f"{error.field}: {error.message}.", [error]) from None
    except msgspec.DecodeError as exc:
        raise RegistryError(f"The body is not valid JSON: {exc}.") from None
