"""Idempotency keys for merchants' write calls: the same key and body replay the first answer.

The record is written in the same transaction as the changes it answers for, and a key is unique
per merchant and endpoint, so of two concurrent calls with one key only one can commit; the other
is rolled back whole and replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shoppable.domain.errors import DomainError, ErrorCode

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class StoredResponse:
    request_hash: str
    status_code: int
    body: Any


class KeyAlreadyClaimed(Exception):
    """Another transaction stored a response for this key first."""


class IdempotencyRepository(Protocol):
    async def find(self, merchant_id: int, endpoint: str, key: str) -> StoredResponse | None: ...

    async def save(self, merchant_id: int, endpoint: str, key: str, response: StoredResponse) -> None: ...


class KeyReused(DomainError):
    """The key was used before with a different request body."""


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def validate_key(key: str) -> None:
    if not KEY_RE.match(key):
        raise DomainError.single(
            ("Idempotency-Key",),
            ErrorCode.INVALID,
            "Idempotency-Key must be 1-255 printable ASCII characters.",
        )


async def run_once(
    uow: UnitOfWork,
    merchant_id: int,
    endpoint: str,
    key: str | None,
    body: Any,
    operation: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any, bool]:
    """Run `operation` (which must not commit) at most once per key; returns (status, body, replayed)."""
    if key is None:
        status, response = await operation()
        await uow.commit()
        return status, response, False
    validate_key(key)
    digest = request_hash(body)
    await uow.begin_write()
    for _attempt in range(2):
        stored = await uow.idempotency.find(merchant_id, endpoint, key)
        if stored is not None:
            if stored.request_hash != digest:
                raise KeyReused.single(
                    ("Idempotency-Key",),
                    ErrorCode.CONFLICT,
                    "This Idempotency-Key was already used with a different request body.",
                )
            return stored.status_code, stored.body, True
        status, response = await operation()
        try:
            await uow.idempotency.save(merchant_id, endpoint, key, StoredResponse(digest, status, response))
            await uow.commit()
        except KeyAlreadyClaimed:
            await uow.rollback()  # the concurrent winner's changes stand; ours are undone
            continue
        return status, response, False
    raise RuntimeError("idempotency record vanished between attempts")
