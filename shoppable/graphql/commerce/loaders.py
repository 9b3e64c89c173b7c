"""Commerce DataLoaders: one statement per relation per request, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from shoppable.domain.commerce.records import Order, OrderLine, PostInsights
from shoppable.graphql.core.dataloader import Loader

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


class CommerceLoaders:
    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self.uow = uow
        self.now = now
        self.order_by_id = Loader[int, Order | None](self._orders)
        self.lines_by_order_id = Loader[int, list[OrderLine]](self._lines)
        self.insights_by_post_id = Loader[int, PostInsights](self._insights)
        self.held_by_sku_id = Loader[int, int](self._held)

    async def _orders(self, ids: list[int]) -> list[Order | None]:
        found = {o.id: o for o in await self.uow.commerce.get_orders(ids)}
        return [found.get(i) for i in ids]

    async def _lines(self, order_ids: list[int]) -> list[list[OrderLine]]:
        grouped: dict[int, list[OrderLine]] = defaultdict(list)
        for line in await self.uow.commerce.lines_of_orders(order_ids):
            grouped[line.order_id].append(line)
        return [grouped.get(i, []) for i in order_ids]

    async def _insights(self, post_ids: list[int]) -> list[PostInsights]:
        found = await self.uow.commerce.post_insights(post_ids)
        return [found[i] for i in post_ids]

    async def _held(self, sku_ids: list[int]) -> list[int]:
        found = await self.uow.commerce.held_units(sku_ids, self.now)
        return [found.get(i, 0) for i in sku_ids]
