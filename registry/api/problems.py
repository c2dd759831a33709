"""The registry's errors as problem details: the `RegistryError` family, and a body's fields
worded with the registry's own sentences (`registry.errors.field_errors`).

The shape itself (`Problem`, `problems()` for the OpenAPI document, the handlers of HTTP and
unexpected errors) is `registry.problem`, which the read wing shares.
"""

from __future__ import annotations

import msgspec
from litestar import Request, Response

from registry.errors import FieldError, RegistryError, field_errors
from registry.problem import (
    PROBLEM_JSON,
    TITLES,
    Problem,
    exception_handlers,
    problem_response,
    problems,
)


def _body_error(message: str, path: str) -> FieldError:
    return field_errors(msgspec.ValidationError(f"{message} - at `{path}`"))


def handle_registry_error(request: Request, exc: RegistryError) -> Response[Problem]:
    return problem_response(request, exc.status, exc.detail, exc.errors)


EXCEPTION_HANDLERS = {RegistryError: handle_registry_error, **exception_handlers(_body_error)}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "TITLES", "Problem", "problem_response",
           "problems"]
