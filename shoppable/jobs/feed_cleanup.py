"""Removing feed sessions (and their served history) once they expire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shoppable.storage.feed import SqlFeedSessions

if TYPE_CHECKING:
    from shoppable.services import Services


async def feed_cleanup(services: Services) -> int:
    uow = services.database.unit_of_work(write=True)
    async with uow:
        removed = await SqlFeedSessions(uow).delete_expired(datetime.now(UTC))
        await uow.commit()
    return removed
