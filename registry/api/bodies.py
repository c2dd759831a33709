"""JSON request bodies: decoded strictly and depth-capped, and documented by their JSON Schema.

Litestar decodes a `JSONBody[...]` body in `Request.json()` (into builtins, with no cap on
nesting: about 1,000 levels raised RecursionError, a 500) and then converts the handler's
arguments with `strict=False`, which turns `"true"` into `True` and `"12"` into `12`.
`StrictJSONRequest` does both steps itself, so the handler receives a Struct that msgspec
decoded strictly: the conversion that follows passes a Struct of the right type through as is.

Litestar's OpenAPI schema of a msgspec Struct also leaves out what the API enforces (unknown
fields refused, constraints on list items, cross-field rules). `body_operation` documents a
body with the registry's published JSON Schema instead, the one `/api/schemas` serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody

from registry.errors import decode, parse_json


def body_type(handler: HTTPRouteHandler) -> Any:
    """The type of a handler's `data` argument, or None when it takes no body."""
    data = handler.parsed_fn_signature.parameters.get("data")
    return data.annotation if data is not None else None


class StrictJSONRequest(Request):
    """A request whose JSON body is refused when nested too deeply (400) and decoded strictly
    into the handler's body type (422 naming the field, such as `$.free_of_charge`)."""

    async def json(self) -> Any:
        value = parse_json(await self.body() or b"null", "The body")
        target = body_type(self.route_handler)
        return value if target is None or target is Any else decode(value, target)


def inline(schema: dict) -> dict:
    """A JSON Schema with every `$ref` replaced by what it names (a `$defs` entry, or an embedded
    schema by its `$id`), so that it stands on its own inside another document."""
    by_id: dict[str, Any] = {}

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                by_id[node["$id"]] = node
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def resolve(node: Any, defs: dict[str, Any]) -> Any:
        if isinstance(node, list):
            return [resolve(value, defs) for value in node]
        if not isinstance(node, dict):
            return node
        defs = {**defs, **node.get("$defs", {})}
        out = {k: resolve(v, defs) for k, v in node.items()
               if k not in ("$ref", "$defs", "$id", "$schema")}
        if "$ref" in node:
            ref = node["$ref"]
            target = by_id[ref] if ref in by_id else defs[ref.removeprefix("#/$defs/")]
            out = {**resolve(target, defs), **out}
        return out

    collect(schema)
    return resolve(schema, {})


def body_operation(schema: dict, description: str | None = None) -> type[Operation]:
    """An Operation class whose JSON request body is documented by `schema` (a JSON Schema)."""
    body = inline(schema)

    @dataclass
    class BodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                content={"application/json": OpenAPIMediaType(schema=body)},  # type: ignore[arg-type]
                required=True,
                description=description,
            )

    return BodyOperation


def struct_schema(type_: type, **rules: Any) -> dict:
    """msgspec's JSON Schema of a Struct, with `rules` (JSON Schema keywords) added at its top."""
    schema = msgspec.json.schema(type_)
    schema["$defs"][type_.__name__].update(rules)
    return schema
