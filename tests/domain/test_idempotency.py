"""Idempotency keys: one answer per key and body, replayed; a concurrent winner's answer stands."""

from __future__ import annotations

from typing import Any

import pytest

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.idempotency import KeyAlreadyClaimed, KeyReused, StoredResponse, request_hash, run_once
from tests.domain.in_memory import InMemoryIdempotency, InMemoryUnitOfWork


class Counter:
    """An operation that writes a record of each run, so a rollback is visible."""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self.uow = uow
        self.runs = 0

    async def __call__(self) -> tuple[int, Any]:
        self.runs += 1
        await self.uow.identity.add_user(f"run{self.runs}@example.com", "x", "run", is_admin=False)
        return 200, {"run": self.runs}


async def test_without_a_key_the_operation_runs_and_commits_every_time() -> None:
    uow = InMemoryUnitOfWork()
    operation = Counter(uow)
    assert await run_once(uow, 1, "inventory", None, {"a": 1}, operation) == (200, {"run": 1}, False)
    assert await run_once(uow, 1, "inventory", None, {"a": 1}, operation) == (200, {"run": 2}, False)
    assert uow.commits == 2 and uow.idempotency.records == {}


async def test_a_key_replays_its_first_answer_and_refuses_another_body() -> None:
    uow = InMemoryUnitOfWork()
    operation = Counter(uow)
    first = await run_once(uow, 1, "inventory", "order-1", {"a": 1}, operation)
    replay = await run_once(uow, 1, "inventory", "order-1", {"a": 1}, operation)
    assert first == (200, {"run": 1}, False) and replay == (200, {"run": 1}, True)
    assert operation.runs == 1
    other_merchant = await run_once(uow, 2, "inventory", "order-1", {"a": 1}, operation)
    other_endpoint = await run_once(uow, 1, "prices", "order-1", {"a": 1}, operation)
    assert other_merchant[2] is False and other_endpoint[2] is False
    with pytest.raises(KeyReused) as reused:
        await run_once(uow, 1, "inventory", "order-1", {"a": 2}, operation)
    assert [(e.field, e.code) for e in reused.value.errors] == [(("Idempotency-Key",), ErrorCode.CONFLICT)]


async def test_malformed_keys_are_refused_before_anything_runs() -> None:
    uow = InMemoryUnitOfWork()
    operation = Counter(uow)
    for key in ("", "x" * 256, "with space", "naïve"):
        with pytest.raises(DomainError) as refused:
            await run_once(uow, 1, "inventory", key, {}, operation)
        assert refused.value.errors[0].code is ErrorCode.INVALID
    assert operation.runs == 0


async def test_losing_a_race_for_the_key_undoes_the_operation_and_replays_the_winner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = InMemoryUnitOfWork()
    operation = Counter(uow)
    winner = StoredResponse(request_hash({"a": 1}), 200, {"run": "winner"})
    real_save = InMemoryIdempotency.save

    async def lose_once(
        self: InMemoryIdempotency, merchant_id: int, endpoint: str, key: str, response: StoredResponse
    ) -> None:
        monkeypatch.setattr(InMemoryIdempotency, "save", real_save)  # only the first save loses
        uow.commit_elsewhere(lambda w: w.idempotency.records.update({(merchant_id, endpoint, key): winner}))
        raise KeyAlreadyClaimed  # the key is unique: a concurrent request committed it first

    monkeypatch.setattr(InMemoryIdempotency, "save", lose_once)
    assert await run_once(uow, 1, "inventory", "k", {"a": 1}, operation) == (200, {"run": "winner"}, True)
    assert operation.runs == 1 and uow.identity.users == {}  # our run was rolled back whole
