"""Deleting behavioural events older than EVENT_RETENTION_DAYS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.feed.retention import delete_old_events

if TYPE_CHECKING:
    from shoppable.services import Services


async def event_retention(services: Services) -> int:
    async with services.database.unit_of_work(write=True) as uow:
        return await delete_old_events(uow, services.clock(), services.settings.event_retention_days)
