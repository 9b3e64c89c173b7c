"""How long behavioural events are kept: deleted once older than the retention period, in batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from shoppable.domain.feed.ports import FeedUnitOfWork

DEFAULT_RETENTION_DAYS = 180
"""The default of EVENT_RETENTION_DAYS: trending reads a week, training and history a few months."""
BATCH = 5_000
"""Events deleted per transaction: short write locks on SQLite, short transactions on PostgreSQL."""


async def delete_old_events(uow: FeedUnitOfWork, now: datetime, retention_days: int) -> int:
    """Delete events that occurred more than `retention_days` ago, BATCH at a time, each batch
    committed on its own; returns how many were deleted."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    before = now - timedelta(days=retention_days)
    deleted = 0
    while True:
        await uow.begin_write()
        count = await uow.feed.delete_events_before(before, BATCH)
        await uow.commit()
        deleted += count
        if count < BATCH:
            return deleted
