"""RFC 9457 problem details for every REST error; internal errors are logged, never described."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.idempotency import KeyReused
from shoppable.domain.rate_limits import RateLimited

log = logging.getLogger("shoppable.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://shoppable.dev/problems/"


class Problem(HTTPException):
    """An HTTP error with a stable problem `type` slug and optional per-item `errors`."""

    def __init__(
        self,
        status_code: int,
        title: str,
        detail: str = "",
        *,
        slug: str | None = None,
        errors: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=detail or title, status_code=status_code, headers=headers)
        self.title = title
        self.slug = slug
        self.errors = errors


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request class: a JSON body nested deeper than the decoder's recursion allows (`[[[…`,
    a thousand levels) is the caller's malformed JSON, answered 400 like any other, not a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise Problem(
                400, "Malformed JSON", "The request body is nested too deeply.", slug="malformed-json"
            ) from None


def problem_response(
    status: int, title: str, detail: str, *, slug: str | None = None, errors: Any = None, headers: Any = None
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    title = HTTPStatus(status).phrase if status in {s.value for s in HTTPStatus} else "Error"
    if isinstance(exc, Problem):
        return problem_response(
            status, exc.title, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
        )
    errors = exc.extra if isinstance(exc, ValidationException) and exc.extra else None
    return problem_response(status, title, exc.detail, errors=errors, headers=exc.headers)


def field_problems(errors: list[FieldError], status: int = 422, title: str = "Invalid request") -> Problem:
    return Problem(
        status,
        title,
        "; ".join(e.message for e in errors[:3]),
        slug="invalid-request",
        errors=[
            {"field": [str(p) for p in e.field], "code": e.code.value, "message": e.message} for e in errors
        ],
    )


def domain_problem(exc: DomainError) -> Problem:
    """The one mapping of domain errors to problems. Errors about the request body answer 422 with
    every problem listed; a used-up rate limit 429 with Retry-After; errors about a header (`Idempotency-Key`) 400; about the `merchant` query
    parameter 404 (not one the caller manages) or 400 (needed to choose among several)."""
    first = exc.errors[0] if exc.errors else FieldError((), ErrorCode.INVALID, "Invalid request.")
    if isinstance(exc, RateLimited):
        return Problem(
            429,
            "Too Many Requests",
            first.message,
            slug="rate-limited",
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )
    if isinstance(exc, KeyReused):
        return field_problems(exc.errors, 422, "Idempotency-Key reused")
    if first.field == ("merchant",) and first.code is ErrorCode.NOT_FOUND:
        return Problem(404, "Merchant not found", first.message)
    if first.field == ("merchant",):
        return Problem(400, "Merchant required", first.message, slug="merchant-required")
    if first.field[:1] == ("Idempotency-Key",):
        return field_problems(exc.errors, 400)
    return field_problems(exc.errors)


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return handle_http_exception(request, domain_problem(exc))


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "Something went wrong on our side; it was logged.",
    )


EXCEPTION_HANDLERS = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_internal_error,
}
