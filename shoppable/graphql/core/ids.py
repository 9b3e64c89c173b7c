"""Opaque global ids (base64 of `Type:pk`) and signed keyset cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from graphql import GraphQLError

from shoppable.domain.catalog.limits import INT64_MAX
from shoppable.domain.errors import DomainError, ErrorCode, Path
from shoppable.domain.ids import global_id as _global_id

BAD_USER_INPUT = "BAD_USER_INPUT"


def bad_user_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def encode_id(type_name: str, pk: int) -> str:
    return _global_id(type_name, pk)


def parse_id(global_id: str) -> tuple[str, int]:
    """(type name, pk) of a global id; a malformed id is the caller's error (BAD_USER_INPUT)."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        value = int(pk)
        # Primary keys are int8 columns: a larger number is no row, and the database would refuse it.
        if not type_name.isalpha() or not 0 < value <= INT64_MAX or str(value) != pk:
            raise ValueError
        return type_name, value
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise bad_user_input(f"Malformed id {global_id[:64]!r}.") from None


def decode_id(global_id: str, expected: str) -> int | None:
    """The pk of a well-formed id of the expected type; None for an id of another type."""
    type_name, pk = parse_id(global_id)
    return pk if type_name == expected else None


class CursorCodec:
    """Cursors are `payload.signature`: callers cannot forge a position or reuse one across lists."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"cursor:" + secret.encode()).digest()

    def _sign(self, payload: bytes) -> str:
        return (
            base64.urlsafe_b64encode(hmac.new(self._key, payload, hashlib.sha256).digest()[:12])
            .decode()
            .rstrip("=")
        )

    def encode(self, kind: str, key: Any) -> str:
        payload = json.dumps([kind, key], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + self._sign(payload)

    def decode(self, kind: str, cursor: str) -> Any:
        try:
            body, _, signature = cursor.partition(".")
            payload = base64.urlsafe_b64decode((body + "=" * (-len(body) % 4)).encode())
            if not hmac.compare_digest(self._sign(payload), signature):
                raise ValueError
            found_kind, key = json.loads(payload)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad_user_input("Invalid cursor.") from None
        if found_kind != kind:
            raise bad_user_input("Cursor belongs to another list.")
        return key


def decode_input_id(global_id: str, expected: str, field: Path) -> int:
    """The pk of an id in a mutation's input; a malformed id or one of another type is a field error."""
    try:
        type_name, pk = parse_id(global_id)
    except GraphQLError:
        raise DomainError.single(field, ErrorCode.INVALID, "Malformed id.") from None
    if type_name != expected:
        raise DomainError.single(field, ErrorCode.INVALID, f"Not an id of type {expected}.")
    return pk
