"""What the feed's ranker learns from: events of users who turned personalization on, as
(user, product, time, weight), and the active catalog with the metadata the ranker uses.

A model that personalizes is trained only on the behaviour of people who agreed to it. Likes and
saves of posts count for the products tagged in them; events about SKUs count for their product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from shoppable.domain.feed.ports import FeedUnitOfWork, TrainingEvent
from shoppable.domain.feed.ranking import EVENT_WEIGHTS
from shoppable.domain.recs.item_meta import ItemRecord

CHUNK = 50_000
POST_ENGAGEMENT_SHARE = 0.5  # a like of a post counts half as much for each product tagged in it
# The app's event weights are by type (EVENT_WEIGHTS: a view 1 ... an order 8), not quantities: the
# ranker keeps them as they are in a viewer's history, where on purchase logs it counts each order once.
RANKER_PARAMS = {"history_event_weighting": "raw"}


@dataclass
class Interactions:
    """One entry per (event, product it counts for), aligned by position."""

    user_ids: list[str] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)
    timestamps: list[float] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    def add(self, user_id: int, product_id: int, at: datetime, weight: float) -> None:
        self.user_ids.append(str(user_id))
        self.item_ids.append(str(product_id))
        self.timestamps.append(at.timestamp())
        self.weights.append(weight)


def products_of(
    event: TrainingEvent, sku_products: dict[int, int], post_products: dict[int, list[int]]
) -> list[tuple[int, float]]:
    """The products an event counts for, each with its weight."""
    weight = EVENT_WEIGHTS[event.type]
    if event.subject_type == "Product":
        return [(event.subject_id, weight)]
    if event.subject_type == "Sku" and event.subject_id in sku_products:
        return [(sku_products[event.subject_id], weight)]
    if event.subject_type == "Post":
        return [(p, weight * POST_ENGAGEMENT_SHARE) for p in post_products.get(event.subject_id, [])]
    return []


async def interactions(uow: FeedUnitOfWork, since: datetime) -> Interactions:
    """Every weighted event since `since`, read in chunks of CHUNK events."""
    feed = uow.feed
    weighted = [t for t, w in EVENT_WEIGHTS.items() if w > 0]
    sku_products = await feed.sku_product_ids()
    post_products = await feed.tagged_product_ids()
    found = Interactions()
    after = 0
    while chunk := await feed.training_events(since, weighted, after, CHUNK):
        after = chunk[-1].id
        for event in chunk:
            for product_id, weight in products_of(event, sku_products, post_products):
                found.add(event.user_id, product_id, event.occurred_at, weight)
    return found


async def catalog(uow: FeedUnitOfWork) -> list[ItemRecord]:
    """Active products: rankable even before anyone interacted with them."""
    return [
        ItemRecord(
            item_id=str(item.product_id),
            creator_id=f"merchant:{item.merchant_id}",
            category=item.category,
            price=item.price_minor / 100 if item.price_minor is not None else None,
            created_at=item.created_at.timestamp(),
        )
        for item in await uow.feed.catalog_items()
    ]
