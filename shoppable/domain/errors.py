"""Error vocabulary shared by every domain service and exposed by the API as-is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    CONFLICT = "CONFLICT"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    DUPLICATE = "DUPLICATE"
    # Commerce: what a shopper can act on (see domain/commerce).
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    PRICE_CHANGED = "PRICE_CHANGED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    EXPIRED = "EXPIRED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_FAILED = "PAYMENT_FAILED"


Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldError:
    """One problem with one place in the caller's input."""

    field: Path
    code: ErrorCode
    message: str

    def under(self, *prefix: str | int) -> FieldError:
        return FieldError((*prefix, *self.field), self.code, self.message)


class DomainError(Exception):
    """An expected failure of an operation, reported to the caller as userErrors."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def single(cls, field: Path, code: ErrorCode, message: str) -> DomainError:
        return cls(FieldError(field, code, message))
