"""Commerce housekeeping: expired stock holds, commissions whose return window closed, payouts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.commerce.commissions import lock_due, pay_out
from shoppable.domain.commerce.stock import release_expired_holds

if TYPE_CHECKING:
    from shoppable.services import Services


async def commerce_holds(services: Services) -> int:
    """Delete expired holds (they already count for nothing) and refresh stored availability."""
    async with services.database.unit_of_work(write=True) as uow:
        return await release_expired_holds(uow, services.clock())


async def commerce_commissions(services: Services) -> dict[str, int]:
    """Lock commissions past their return window, then record payouts of what is locked."""
    async with services.database.unit_of_work(write=True) as uow:
        locked = await lock_due(uow, services.clock())
        batches = await pay_out(uow, services.settings.payout_minimum_minor, services.clock())
    return {"locked": locked, "payouts": batches}
