"""The published JSON Schemas (draft 2020-12), generated from the msgspec models.

One schema per kind of record, one for an import bundle (which embeds the four record schemas,
so it validates on its own) and the policy's. `python -m registry.jsonschemas` rewrites
schemas/*.json; a test fails when the committed files drift from what this module generates.

msgspec cannot express the cross-field rules in the models' `__post_init__`, so the ones JSON
Schema can say are added here by hand as `if`/`then` fragments. Date order and unique hosts
cannot be said in JSON Schema at all: the importer always decodes every record with msgspec
too, so those rules are reported as well.
"""

from __future__ import annotations

import copy
import json
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from registry import models
from registry.errors import FieldError, field_error, field_errors
from registry.policy import policy_schema

if TYPE_CHECKING:  # jsonschema and its format checkers take 15 MB: loaded by the first import
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://schemas.witte-lijst.nl/"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
MEDIA_TYPE = "application/schema+json"
RECORD_NAMES = {models.SINGULAR[kind]: kind for kind in models.RECORD_TYPES}
NAMES = (*RECORD_NAMES, "bundle", "policy")
REGENERATE = "Generated from registry.models: regenerate with `python -m registry.jsonschemas`."


def schema_id(name: str) -> str:
    return f"{BASE_URI}{name}.schema.json"


def _rule(message: str, when: dict, then: dict) -> dict:
    """An if/then fragment whose sentence (the model's own) names the field it is about."""
    then = copy.deepcopy(then)
    for prop in then.get("properties", {}).values():
        prop["description"] = message  # errors under `then` read their sentence from here
    return {"if": when, "then": {"description": message, **then}}


def _is(field: str, value: Any) -> dict:
    return {"required": [field], "properties": {field: {"const": value}}}


_FINAL = _is("status", "final")
# The rules of the models' __post_init__ that JSON Schema can express, by Struct name.
RULES: dict[str, list[dict]] = {
    "VendorIn": [
        _rule(
            "`covenant_since` is only meaningful with a covenant status",
            {"required": ["covenant_since"], "properties": {"covenant_since": {"type": "string"}}},
            {"required": ["covenant_status"],
             "properties": {"covenant_status": {"not": {"const": "none"}}}},
        )
    ],
    "AgreementIn": [
        _rule(
            "`signed_on` is required when the status is `signed`",
            _is("status", "signed"),
            {"required": ["signed_on"], "properties": {"signed_on": {"type": "string"}}},
        ),
        _rule(
            "`deviations_summary` is required when `deviations` is true",
            _is("deviations", True),
            {"required": ["deviations_summary"],
             "properties": {"deviations_summary": {"type": "string", "minLength": 1}}},
        ),
    ],
    "AssessmentIn": [
        _rule(
            "`outcome` is required when the status is `final`",
            _FINAL,
            {"required": ["outcome"], "properties": {"outcome": {"type": "string"}}},
        ),
        _rule(
            "`residual_risk` is required when the status is `final`",
            _FINAL,
            {"required": ["residual_risk"], "properties": {"residual_risk": {"type": "string"}}},
        ),
        _rule(
            "`conditions` must list at least one condition when the outcome is "
            "`approved_with_conditions`",
            _is("outcome", "approved_with_conditions"),
            {"required": ["conditions"], "properties": {"conditions": {"minItems": 1}}},
        ),
    ],
    "BoardDecisionIn": [
        _rule(
            "`not_allowed` is only meaningful when the decision is `stricter`",
            _is("not_allowed", True),
            {"required": ["decision"], "properties": {"decision": {"const": "stricter"}}},
        ),
        _rule(
            "`conditions` are not meaningful when `not_allowed` is true: the tool is then not "
            "allowed at all",
            _is("not_allowed", True),
            {"properties": {"conditions": {"maxItems": 0}}},
        ),
        _rule(
            "`conditions` must list at least one condition when the decision is `stricter` and "
            "`not_allowed` is false",
            {"required": ["decision"], "properties": {"decision": {"const": "stricter"}},
             "not": _is("not_allowed", True)},
            {"required": ["conditions"], "properties": {"conditions": {"minItems": 1}}},
        ),
    ],
}
UNIQUE_LISTS = {"ToolIn": ("levels", "audience", "data_locations"), "AgreementIn": ("tool_ids",),
                "BoardIn": ("school_types", "schools")}
# What only the registry checks; said in the schema's description so nobody is surprised.
NOT_EXPRESSIBLE = {
    "VendorIn": "a certification's `valid_until` must be after its `certified_on`",
    "ToolIn": "no host may be listed twice in `domains`",
    "AgreementIn": "`expires_on` must be after `signed_on`",
    "AssessmentIn": "`valid_until` must be after `assessed_on`",
    "BoardIn": "that a board's number is one DUO publishes (the registry takes any 5 digits)",
    "BoardDecisionIn": "`ends_on` must be after `decided_on`; one live decision per board and "
                       "tool; an own approval of a tool the sector rejected only where the "
                       "policy allows it",
}


def _add_rules(defs: dict[str, dict]) -> None:
    for name, rules in RULES.items():
        if name in defs:
            defs[name]["allOf"] = copy.deepcopy(rules)
    for name, fields in UNIQUE_LISTS.items():
        for field in fields if name in defs else ():
            defs[name]["properties"][field]["uniqueItems"] = True


def record_schema(name: str) -> dict:
    """The schema of one record as a client sends it (`vendor`, `tool`, ...)."""
    in_type = models.RECORD_TYPES[RECORD_NAMES[name]][0]
    body = msgspec.json.schema(in_type)
    _add_rules(body["$defs"])
    checked = NOT_EXPRESSIBLE[in_type.__name__]
    return {
        "$schema": DIALECT,
        "$id": schema_id(name),
        "title": f"{name.capitalize()} of the school whitelist registry",
        "description": (
            f"A {name} as a client sends it: one item of a bundle's `{RECORD_NAMES[name]}`, or "
            f"the body of POST /api/{RECORD_NAMES[name]}. The registry also checks what JSON "
            f"Schema cannot say: {checked}. {REGENERATE}"
        ),
        **body,
    }


def bundle_schema() -> dict:
    """The import/export bundle; it embeds the record schemas so that it stands on its own."""
    body = msgspec.json.schema(models.Bundle)
    bundle = body["$defs"]["Bundle"]
    embedded = {}
    for name, kind in RECORD_NAMES.items():
        bundle["properties"][kind]["items"] = {"$ref": schema_id(name)}
        embedded[name] = {k: v for k, v in record_schema(name).items() if k != "$schema"}
    return {
        "$schema": DIALECT,
        "$id": schema_id("bundle"),
        "title": "Import bundle of the school whitelist registry",
        "description": (
            "Vendors, tools, boards, agreements, assessments and board decisions in one file: what `registry import` "
            "and POST /api/imports take and `registry export` writes. Records are created or "
            "updated by id. " + REGENERATE
        ),
        "$ref": "#/$defs/Bundle",
        "$defs": {"Bundle": bundle, **embedded},
    }


@cache
def schema(name: str) -> dict:
    """One published schema by name (see NAMES); the API serves these."""
    if name in RECORD_NAMES:
        return record_schema(name)
    if name == "bundle":
        return bundle_schema()
    if name == "policy":
        return policy_schema()
    raise KeyError(name)


def render(name: str) -> str:
    """The schema as committed in schemas/: two-space indent, UTF-8, final newline."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n"


def write_all(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in NAMES:
        path = folder / f"{name}.schema.json"
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


@cache
def validator(name: str) -> Draft202012Validator:
    """A compiled validator that really checks formats (dates), not just annotates them."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


# --- jsonschema errors in the registry's words ----------------------------------------------

_TYPES = {"string": "text", "integer": "a whole number", "number": "a number",
          "boolean": "true or false", "array": "a list", "object": "an object", "null": "null"}
_FORMATS = {"date": "a date written as YYYY-MM-DD, for example '2026-02-01'",
            "date-time": "a date and time such as '2026-02-01T09:30:00Z'"}


def schema_errors(name: str, instance: Any, root: str = "$") -> list[FieldError]:
    """Every error of `instance` against schema `name`, as FieldErrors under `root`."""
    out: list[FieldError] = []
    for error in validator(name).iter_errors(instance):
        out.extend(_translate(error, root))
    return out


def _path(root: str, parts) -> str:
    return root + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _msgspec_style(message: str, path: str) -> FieldError:
    # msgspec's own wording goes through errors.field_errors, so both validators speak alike.
    return field_errors(msgspec.ValidationError(f"{message} - at `{path}`"))


def _translate(error: ValidationError, root: str) -> list[FieldError]:
    path = _path(root, error.absolute_path)
    value, kind, expected = error.instance, error.validator, error.validator_value
    if "then" in error.absolute_schema_path and "description" in error.schema:
        parent = path if kind == "required" else _path(root, list(error.absolute_path)[:-1])
        return [_msgspec_style(error.schema["description"], parent)]
    if kind == "anyOf":  # an optional field: what the non-null branch says is what matters
        errors = [e for e in error.context if e.schema.get("type") != "null"]
        return [f for e in errors for f in _translate(e, root)] or [
            field_error(path, "has the wrong type")
        ]
    if kind == "required":
        return [_msgspec_style(f"Object missing required field `{f}`", path)
                for f in expected if isinstance(value, dict) and f not in value]
    if kind == "additionalProperties" and expected is False:
        known = error.schema.get("properties", {})
        return [_msgspec_style(f"Object contains unknown field `{k}`", path)
                for k in value if k not in known]
    if kind == "pattern":
        if "propertyNames" in error.absolute_schema_path:
            hint = error.schema.get("description", "").rstrip(".")
            hint = f" ({hint[:1].lower()}{hint[1:]})" if hint else ""
            return [field_error(path, f"'{value}' is not a valid key{hint}")]
        found = _msgspec_style(f"Expected `str` matching regex {expected!r}", path)
        if found.message.startswith("does not have") and "description" in error.schema:
            found.message = f"does not have the expected form: {error.schema['description']}"
        return [found]
    return [field_error(path, _sentence(kind, value, expected, error.schema))]


def _sentence(kind: str, value: Any, expected: Any, schema: dict) -> str:
    """One plain sentence for the remaining keywords."""
    if kind == "enum":
        if len(expected) <= 12:
            return f"'{value}' is not one of: " + ", ".join(map(str, expected))
        hint = f" ({schema['description'].rstrip('.')})" if "description" in schema else ""
        return f"'{value}' is not one of the allowed values{hint}"
    if kind == "type":
        types = [expected] if isinstance(expected, str) else expected
        return "must be " + " or ".join(_TYPES.get(t, t) for t in types)
    if kind == "format":
        return f"'{value}' is not {_FORMATS.get(expected, f'in the format {expected}')}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"must be at least {expected} characters"
    if kind == "maxLength":
        return f"must be at most {expected} characters (it has {len(value)})"
    if kind == "minItems":
        return "must list at least one value" if expected == 1 else (
            f"must list at least {expected} values")
    if kind == "maxItems":
        return f"must list at most {expected} values (it has {len(value)})"
    if kind == "minimum":
        return f"must be {expected} or more"
    if kind == "maximum":
        return f"must be {expected} or less"
    if kind == "uniqueItems":
        return "lists the same value twice"
    return "is not valid here"


def main(argv: list[str]) -> int:
    """Rewrite schemas/*.json; with --check, only say whether they are up to date."""
    if "--check" in argv:
        stale = [n for n in NAMES
                 if not (SCHEMA_DIR / f"{n}.schema.json").is_file()
                 or (SCHEMA_DIR / f"{n}.schema.json").read_text(encoding="utf-8") != render(n)]
        for name in stale:
            print(f"schemas/{name}.schema.json is out of date", file=sys.stderr)
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
