"""How domain errors reach clients: typed userErrors for mutations, masked messages for bugs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from shoppable.domain.errors import DomainError, FieldError
from shoppable.domain.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("shoppable.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")

# Errors whose message is meant for the caller; everything else is masked as "Unexpected error.".
EXPECTED_CODES = frozenset({"BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "GRAPHQL_VALIDATION_FAILED"})


@strawberry.type
class UserError:
    field: list[str] | None
    code: ErrorCode  # type: ignore[valid-type]  # strawberry enums are values
    message: str


def user_errors(errors: Sequence[FieldError]) -> list[UserError]:
    return [
        UserError(field=[str(part) for part in e.field] or None, code=e.code, message=e.message)
        for e in errors
    ]


def is_caller_error(error: GraphQLError) -> bool:
    """What the caller caused (validation, limits, bad input): its message is meant for them."""
    if error.original_error is None or error.path is None:
        # Parse and validation errors (the limits rule among them) and variables that do not fit
        # their types: all about the caller's request, none from inside a resolver.
        return True
    return (error.extensions or {}).get("code") in EXPECTED_CODES


def should_mask_error(error: GraphQLError) -> bool:
    """Mask everything that is not the caller's doing as "Unexpected error."."""
    return not is_caller_error(error)


def log_errors(errors: Sequence[GraphQLError]) -> None:
    """Caller errors at INFO on one line; our own errors at ERROR with the traceback."""
    for error in errors:
        if is_caller_error(error):
            log.info("client error at %s: %s", error.path or "-", error.message)
        else:
            log.error("unexpected error in %s", error.path, exc_info=error.original_error)


class UserErrorsExtension(FieldExtension):
    """Answers a mutation's DomainError as its payload with `userErrors`, so resolvers need no try/except.

    Every payload type has defaults for all fields but `user_errors`, so it can be built from errors alone.
    """

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        except DomainError as exc:
            payload: Any = info.return_type  # the field's payload class (strawberry types it loosely)
            return payload(user_errors=user_errors(exc.errors))


def mutation(*, description: str | None = None) -> Any:
    """`strawberry.mutation` whose domain errors become the payload's userErrors."""
    return strawberry.mutation(description=description, extensions=[UserErrorsExtension()])
