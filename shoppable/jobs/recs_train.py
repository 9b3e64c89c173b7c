"""Training the feed's ranker from the events table; run periodically and by `shoppable recs train`.

Only events of users who turned personalization on are used: a model that personalizes is trained
on the behaviour of people who agreed to it. Likes and saves of posts count for the products tagged
in them. The new model version is written beside the old ones and swapped in atomically; web
processes pick it up within a minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.ranking import EVENT_WEIGHTS
from shoppable.domain.recs.item_meta import ItemRecord
from shoppable.domain.recs.training import train_from_arrays
from shoppable.storage.tables import EventRow, ProductRow, ProductTagRow, SkuRow, UserRow

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.recs")

TRAINING_WINDOW = timedelta(days=180)
CHUNK = 50_000
POST_ENGAGEMENT_SHARE = 0.5  # a like of a post counts half as much for each product tagged in it

events = EventRow.__table__
users = UserRow.__table__
products = ProductRow.__table__
skus = SkuRow.__table__
tags = ProductTagRow.__table__


async def _interactions(
    services: Services, since: datetime
) -> tuple[list[str], list[str], list[float], list[float]]:
    user_ids: list[str] = []
    item_ids: list[str] = []
    stamps: list[float] = []
    weights: list[float] = []
    weighted = [t for t, w in EVENT_WEIGHTS.items() if w > 0]
    uow = services.database.unit_of_work()
    async with uow:
        sku_product = dict((await uow.execute(select(skus.c.id, skus.c.product_id))).all())
        post_products: dict[int, list[int]] = {}
        for post_id, product_id in await uow.execute(select(tags.c.post_id, tags.c.product_id)):
            post_products.setdefault(post_id, []).append(product_id)
        after = 0
        while True:
            rows = (
                await uow.execute(
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
                        events.c.id > after,
                        events.c.occurred_at >= since,
                        events.c.type.in_(weighted),
                        users.c.consent_personalization.is_(True),
                    )
                    .order_by(events.c.id)
                    .limit(CHUNK)
                )
            ).all()
            if not rows:
                break
            after = rows[-1].id
            for row in rows:
                weight = EVENT_WEIGHTS[row.type]
                if row.subject_type == "Product":
                    targets = [(row.subject_id, weight)]
                elif row.subject_type == "Sku" and row.subject_id in sku_product:
                    targets = [(sku_product[row.subject_id], weight)]
                elif row.subject_type == "Post":
                    targets = [
                        (p, weight * POST_ENGAGEMENT_SHARE) for p in post_products.get(row.subject_id, [])
                    ]
                else:
                    continue
                for product_id, w in targets:
                    user_ids.append(str(row.user_id))
                    item_ids.append(str(product_id))
                    stamps.append(row.occurred_at.timestamp())
                    weights.append(w)
    return user_ids, item_ids, stamps, weights


async def _catalog(services: Services) -> list[ItemRecord]:
    uow = services.database.unit_of_work()
    async with uow:
        prices = dict(
            (
                await uow.execute(
                    select(skus.c.product_id, skus.c.price_minor).order_by(skus.c.product_id, skus.c.position)
                )
            ).all()
        )
        rows = await uow.execute(
            select(products.c.id, products.c.merchant_id, products.c.category, products.c.created_at).where(
                products.c.status == ProductStatus.ACTIVE.value
            )
        )
        return [
            ItemRecord(
                item_id=str(r.id),
                creator_id=f"merchant:{r.merchant_id}",
                category=r.category,
                price=prices[r.id] / 100 if r.id in prices else None,
                created_at=r.created_at.timestamp(),
            )
            for r in rows
        ]


async def recs_train(services: Services) -> dict[str, Any] | None:
    started = time.perf_counter()
    now = datetime.now(UTC)
    user_ids, item_ids, stamps, weights = await _interactions(services, now - TRAINING_WINDOW)
    if not user_ids:
        log.info("recs train: no consented interactions yet; keeping the current model")
        return None
    catalog = await _catalog(services)
    trained = await asyncio.to_thread(
        train_from_arrays, user_ids, item_ids, stamps, weights, items=catalog, now=now.timestamp()
    )
    store = services.models
    path = await asyncio.to_thread(store.save, trained)
    info = {
        **trained.info,
        "version": trained.version,
        "path": str(path),
        "seconds": round(time.perf_counter() - started, 2),
    }
    log.info("recs train: %s", info)
    return info
