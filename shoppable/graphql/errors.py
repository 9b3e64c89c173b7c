"""How domain errors reach clients: typed userErrors for mutations, masked messages for bugs."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import strawberry
from graphql import GraphQLError

from shoppable.domain.errors import ErrorCode as DomainErrorCode
from shoppable.domain.errors import FieldError

log = logging.getLogger("shoppable.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")

# Errors whose message is meant for the caller; everything else is masked as "Unexpected error.".
EXPECTED_CODES = frozenset({"BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "GRAPHQL_VALIDATION_FAILED"})


@strawberry.type
class UserError:
    field: list[str] | None
    code: ErrorCode  # type: ignore[valid-type]
    message: str


def user_errors(errors: Sequence[FieldError]) -> list[UserError]:
    return [
        UserError(field=[str(part) for part in e.field] or None, code=e.code, message=e.message)
        for e in errors
    ]


def should_mask_error(error: GraphQLError) -> bool:
    """Let through what the caller caused (validation, limits, bad input); mask and log the rest."""
    if error.original_error is None or error.path is None:
        # Parse and validation errors (the depth/alias/token/cost limiters among them) and variables
        # that do not fit their types: all about the caller's request, none from inside a resolver.
        return False
    code = (error.extensions or {}).get("code")
    if code in EXPECTED_CODES:
        return False
    log.error("unexpected error in %s", error.path, exc_info=error.original_error)
    return True
