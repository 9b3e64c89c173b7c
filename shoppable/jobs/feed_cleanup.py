"""Removing feed sessions (and their served history) once they expire."""

from __future__ import annotations

from datetime import UTC, datetime

from shoppable.jobs.context import JobContext
from shoppable.storage.feed import SqlFeedSessions


async def feed_cleanup(ctx: JobContext) -> int:
    uow = ctx.database.unit_of_work(write=True)
    async with uow:
        removed = await SqlFeedSessions(uow).delete_expired(datetime.now(UTC))
        await uow.commit()
    return removed
