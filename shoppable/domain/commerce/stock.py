"""Stock as shoppers see it: units on hand minus the unexpired holds of open checkouts.

Holds are filtered by `expires_at` on every read, so an expired hold stops counting the moment it
expires; the `commerce_holds` job only deletes them and refreshes the stored availability that
listings and the feed read (at least every minute).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shoppable.domain.catalog.availability import (
    Availability,
    InventoryPolicy,
    product_availability,
    sku_availability,
)

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


@dataclass(frozen=True)
class SkuStock:
    sku_id: int
    product_id: int
    quantity: int | None
    policy: InventoryPolicy
    held: int  # units in unexpired holds
    low_stock_at: int


def availability_of(stock: SkuStock) -> Availability:
    free = None if stock.quantity is None else stock.quantity - stock.held
    return sku_availability(free, stock.policy, stock.low_stock_at)


async def lock_stock(uow: UnitOfWork, merchant_ids: set[int], sku_ids: list[int]) -> None:
    """Lock the merchants' catalogs, then the SKUs, each in id order: the order every writer of stock
    takes them in (imports and stock updates lock the catalog first), so none can deadlock another."""
    for merchant_id in sorted(merchant_ids):
        await uow.catalog.lock_catalog(merchant_id)
    await uow.commerce.lock_skus(sorted(sku_ids))


async def refresh_availability(uow: UnitOfWork, product_ids: Iterable[int], now: datetime) -> None:
    """Recompute stored availability of these products and all their SKUs, holds included."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    by_product: dict[int, list[tuple[int, Availability]]] = defaultdict(list)
    for stock in await uow.commerce.stock_of_products(ids, now):
        by_product[stock.product_id].append((stock.sku_id, availability_of(stock)))
    sku_states = [state for states in by_product.values() for state in states]
    product_states = [
        (product_id, product_availability(a for _, a in states)) for product_id, states in by_product.items()
    ]
    await uow.catalog.set_availability(sku_states, product_states)


async def release_expired_holds(uow: UnitOfWork, now: datetime) -> int:
    """Delete expired holds and give their products back their availability. Returns holds deleted."""
    await uow.begin_write()
    product_ids = await uow.commerce.delete_expired_holds(now)
    await refresh_availability(uow, product_ids, now)
    await uow.commit()
    return len(product_ids)
