"""Removing feed sessions (and their served history) once they expire."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.feed.service import delete_expired_sessions

if TYPE_CHECKING:
    from shoppable.services import Services


async def feed_cleanup(services: Services) -> int:
    async with services.database.unit_of_work(write=True) as uow:
        return await delete_expired_sessions(uow, services.clock())
