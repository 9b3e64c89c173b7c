"""What the ranker's training job reads: consenting users' events, and the catalog it ranks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.ports import CatalogItem, TrainingEvent
from shoppable.storage.feed.queries import RepositoryPart, events, products, skus, tags, users


class SqlTrainingReads(RepositoryPart):
    async def training_events(
        self, since: datetime, types: Sequence[str], after_id: int, limit: int
    ) -> list[TrainingEvent]:
        rows = await self.tx.execute(
            select(
                events.c.id,
                events.c.user_id,
                events.c.type,
                events.c.subject_type,
                events.c.subject_id,
                events.c.occurred_at,
            )
            .join(users, users.c.id == events.c.user_id)
            .where(
                events.c.id > after_id,
                events.c.occurred_at >= since,
                events.c.type.in_(list(types)),
                users.c.consent_personalization.is_(True),
            )
            .order_by(events.c.id)
            .limit(limit)
        )
        return [
            TrainingEvent(r.id, r.user_id, r.type, r.subject_type, r.subject_id, r.occurred_at) for r in rows
        ]

    async def sku_product_ids(self) -> dict[int, int]:
        return {row.id: row.product_id for row in await self.tx.execute(select(skus.c.id, skus.c.product_id))}

    async def tagged_product_ids(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for row in await self.tx.execute(select(tags.c.post_id, tags.c.product_id)):
            found.setdefault(row.post_id, []).append(row.product_id)
        return found

    async def catalog_items(self) -> list[CatalogItem]:
        prices = {
            row.product_id: row.price_minor
            for row in await self.tx.execute(
                select(skus.c.product_id, skus.c.price_minor).order_by(skus.c.product_id, skus.c.position)
            )
        }
        rows = await self.tx.execute(
            select(products.c.id, products.c.merchant_id, products.c.category, products.c.created_at).where(
                products.c.status == ProductStatus.ACTIVE.value
            )
        )
        return [CatalogItem(r.id, r.merchant_id, r.category, prices.get(r.id), r.created_at) for r in rows]
