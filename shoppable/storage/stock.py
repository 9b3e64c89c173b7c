"""SQL side of fast stock and price updates: one guarded statement per change."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select, update

from shoppable.domain.catalog.availability import Availability
from shoppable.storage.catalog import SqlCatalogRepository, products, skus
from shoppable.storage.types import utcnow


class SqlStockRepository(SqlCatalogRepository):
    async def change_quantity(
        self, sku_id: int, *, quantity: int | None, delta: int | None, expected: int | None, floor: int | None
    ) -> int | None:
        """The new quantity, or None when a guard (expected quantity, stock floor) refused the change."""
        new_value = quantity if quantity is not None else skus.c.quantity + (delta or 0)
        stmt = update(skus).where(skus.c.id == sku_id)
        if delta is not None:
            stmt = stmt.where(skus.c.quantity.is_not(None))
        if expected is not None:
            stmt = stmt.where(skus.c.quantity == expected)
        if floor is not None and delta is not None:
            stmt = stmt.where(skus.c.quantity + delta >= floor)
        result = await self.uow.execute(
            stmt.values(quantity=new_value, updated_at=utcnow()).returning(skus.c.quantity)
        )
        row = result.first()
        return None if row is None else row[0]

    async def set_prices(self, changes: Sequence[tuple[int, int, int | None]]) -> None:
        now = utcnow()
        await self.uow.execute(
            update(skus)
            .where(skus.c.id == bindparam("b_id"))
            .values(
                price_minor=bindparam("b_price"), compare_at_minor=bindparam("b_compare"), updated_at=now
            ),
            [{"b_id": i, "b_price": p, "b_compare": c} for i, p, c in changes],
        )
        product_ids = select(skus.c.product_id).where(skus.c.id.in_([i for i, _, _ in changes]))
        # Changed outside an import: the next import of a feed must re-apply its own values.
        await self.uow.execute(
            update(products).where(products.c.id.in_(product_ids)).values(content_hash="", updated_at=now)
        )

    async def set_availability(
        self,
        sku_states: Sequence[tuple[int, Availability]],
        product_states: Sequence[tuple[int, Availability]],
    ) -> None:
        if sku_states:
            await self.uow.execute(
                update(skus).where(skus.c.id == bindparam("b_id")).values(availability=bindparam("b_state")),
                [{"b_id": i, "b_state": a.value} for i, a in sku_states],
            )
        if product_states:
            await self.uow.execute(
                update(products)
                .where(products.c.id == bindparam("b_id"))
                .values(availability=bindparam("b_state"), content_hash="", updated_at=utcnow()),
                [{"b_id": i, "b_state": a.value} for i, a in product_states],
            )
