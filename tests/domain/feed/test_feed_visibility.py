"""What a served item needs to still be shown when its page is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.visibility import showable_posts, showable_products
from shoppable.domain.identity.actor import Actor


@dataclass(frozen=True)
class PostRecord:
    id: int
    status: str
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class ProductRecord:
    id: int
    merchant_id: int
    status: str


def test_only_published_posts_that_are_not_deleted() -> None:
    posts = [
        PostRecord(1, "PUBLISHED"),
        PostRecord(2, "DRAFT"),
        PostRecord(3, "REMOVED"),
        PostRecord(4, "PUBLISHED", datetime.now(UTC)),
        None,
    ]
    assert list(showable_posts(posts)) == [1]


def test_only_products_on_sale_even_for_their_own_merchant() -> None:
    products = [
        ProductRecord(1, 10, ProductStatus.ACTIVE),
        ProductRecord(2, 10, ProductStatus.DRAFT),
        None,
    ]
    assert list(showable_products(Actor(), products)) == [1]
    assert list(showable_products(Actor(user_id=1, merchant_ids=frozenset({10})), products)) == [1]
