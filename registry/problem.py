"""RFC 9457 problem details: the one error shape of both wings, and its OpenAPI documentation.

The read wing answers with it on its own (`registry.whitelist.app.create_read_app`); the
write side adds its `RegistryError` family and the words for a body's fields
(`registry/api/problems.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("registry.api")


class FieldError(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One thing wrong with one field: where (JSONPath and JSON pointer) and what."""

    field: str
    pointer: str
    message: str
    location: str = "body"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An error: what went wrong (`detail`) and, for bad input, which fields (`errors`)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = []


TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
    507: "Insufficient storage",
}


def problem_response(
    request: Request, status: int, detail: str, errors=(), headers=None
) -> Response[Problem]:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=list(errors),
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


BodyError = Callable[[str, str], FieldError]
"""(Litestar's message, the field's JSONPath) → the FieldError of a body field."""


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def _plain_body_error(message: str, path: str) -> FieldError:
    return FieldError(field=path, pointer="", message=_lower_first(message))


def _validation_errors(exc: ValidationException, body_error: BodyError) -> list[FieldError]:
    """Litestar's validation `extra` as FieldErrors with a JSONPath for body fields."""
    out = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message, key, source = item.get("message", ""), item.get("key") or "", item.get("source")
        if source == "body":
            key = "" if key == "data" else key  # Litestar names the whole body "data"
            path = "$" + ("" if not key or key.startswith("[") else ".") + key
            out.append(body_error(message, path))
        else:
            where = getattr(source, "value", source) or "query"
            out.append(FieldError(field=key, pointer="", location=where,
                                  message=_lower_first(message)))
    return out


def http_exception_handler(body_error: BodyError = _plain_body_error):
    """The handler of Litestar's HTTP errors; `body_error` words a body field's error."""

    def handle_http_exception(request: Request, exc: HTTPException) -> Response[Problem]:
        detail = exc.detail
        if isinstance(exc, ValidationException):
            errors = _validation_errors(exc, body_error)
            summary = "; ".join(f"{e.field}: {e.message}" for e in errors) + "."
            if any(e.field.startswith("$") for e in errors):
                return problem_response(request, 422, summary, errors)
            return problem_response(request, 400, summary if errors else detail, errors)
        if isinstance(exc.__cause__, SerializationException):
            reason = _lower_first(detail.removeprefix("JSON is malformed: "))
            detail = f"The body is not valid JSON ({reason}); check quotes, commas and brackets."
        elif exc.status_code == 413:
            detail = "The request body is larger than this endpoint accepts; send less at once."
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="registry"')
        if exc.status_code == 429 and "RateLimit-Reset" in headers:
            # Litestar's rate limiter sends only RateLimit-*; clients and proxies know Retry-After.
            headers.setdefault("Retry-After", str(max(1, int(headers["RateLimit-Reset"]))))
        return problem_response(request, exc.status_code, detail, headers=headers)

    return handle_http_exception


def handle_unexpected(request: Request, exc: Exception) -> Response[Problem]:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; nothing was changed. Please report it if it repeats.",
    )


def exception_handlers(body_error: BodyError = _plain_body_error) -> dict:
    """For `Litestar(exception_handlers=...)`: every error a problem."""
    return {HTTPException: http_exception_handler(body_error), Exception: handle_unexpected}


_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON or a query parameter is out of range.",
    401: "No token, an unknown token or a revoked token.",
    403: "The token's role does not allow this.",
    404: "No record with this id.",
    409: "The id exists already, or the record is archived.",
    412: "If-Match does not match the record's current version (someone changed it).",
    413: "The request body is larger than the limit.",
    422: "A field is invalid; `errors` names each field with its JSON path and pointer.",
    428: "If-Match is required on every change: send the ETag of your last read.",
    429: "Too many requests; see the Retry-After header.",
    503: "No whitelist has been published yet.",
    507: "The disk or the database is full; nothing was changed.",
}


def problems(*statuses: int, notes: dict[int, str] | None = None) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a handler can give; `notes` replaces the
    general description of a status with what it means for this handler."""
    notes = notes or {}
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=notes.get(status, _DESCRIPTIONS[status]),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }
