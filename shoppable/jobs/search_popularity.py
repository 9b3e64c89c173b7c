"""The popularity that search relevance is blended with, from the last 30 days of engagement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.search.upkeep import refresh_popularity

if TYPE_CHECKING:
    from shoppable.services import Services


async def search_popularity(services: Services) -> int:
    async with services.database.unit_of_work(write=True) as uow:
        return await refresh_popularity(uow, services.clock())
