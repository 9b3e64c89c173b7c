"""Event retention: events older than the period go, a batch per transaction; recent ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoppable.domain.feed import retention
from tests.domain.feed.fakes import NOW, FakeUnitOfWork


async def test_old_events_are_deleted_in_batches_and_recent_ones_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uow = FakeUnitOfWork()
    product = uow.feed.add_product(1)
    for days in (400, 200, 181, 181, 181):
        uow.feed.record(1, "VIEW", ("Product", product), at=NOW - timedelta(days=days))
    for days in (179, 30, 0):
        uow.feed.record(1, "VIEW", ("Product", product), at=NOW - timedelta(days=days))
    monkeypatch.setattr(retention, "BATCH", 2)
    assert await retention.delete_old_events(uow, NOW, 180) == 5
    assert uow.commits == 3  # 2 + 2 + 1, each batch committed on its own
    assert sorted((NOW - e.occurred_at).days for e in uow.feed.events) == [0, 30, 179]
    assert await retention.delete_old_events(uow, NOW, 180) == 0


async def test_a_retention_below_one_day_is_refused() -> None:
    with pytest.raises(ValueError):
        await retention.delete_old_events(FakeUnitOfWork(), NOW, 0)
