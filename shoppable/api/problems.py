"""RFC 9457 problem details for every REST error; internal errors are logged, never described."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = logging.getLogger("shoppable.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://shoppable.dev/problems/"


class Problem(HTTPException):
    """An HTTP error with a stable problem `type` slug and optional per-item `errors`."""

    def __init__(
        self, status_code: int, title: str, detail: str = "", *, slug: str | None = None, errors: Any = None
    ) -> None:
        super().__init__(detail=detail or title, status_code=status_code)
        self.title = title
        self.slug = slug
        self.errors = errors


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


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "Something went wrong on our side; it was logged.",
    )


EXCEPTION_HANDLERS = {HTTPException: handle_http_exception, Exception: handle_internal_error}
