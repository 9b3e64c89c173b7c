"""What the ranker learns from: consenting users' events, mapped to the products they are about."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoppable.domain.feed import training
from shoppable.domain.feed.ranking import EVENT_WEIGHTS
from tests.domain.feed.fakes import NOW, FakeUnitOfWork


async def test_events_count_for_products_directly_through_skus_and_through_tagged_posts() -> None:
    uow = FakeUnitOfWork()
    feed = uow.feed
    shoe, bag = feed.add_product(1), feed.add_product(1)
    post = feed.add_post(5)
    feed.tags[post] = [shoe, bag]
    feed.sku_products[77] = bag
    feed.consenting.add(1)
    feed.record(1, "VIEW", ("Product", shoe))
    feed.record(1, "PURCHASE", ("Sku", 77))
    feed.record(1, "LIKE", ("Post", post))
    feed.record(1, "IMPRESSION", ("Product", shoe))  # weighs nothing: not read
    feed.record(1, "VIEW", ("Creator", 5))  # about no product
    feed.record(2, "VIEW", ("Product", shoe))  # no consent
    feed.record(1, "VIEW", ("Product", bag), at=NOW - timedelta(days=400))  # too old
    found = await training.interactions(uow, NOW - timedelta(days=180))
    assert found.user_ids == ["1"] * 4
    assert found.item_ids == [str(shoe), str(bag), str(shoe), str(bag)]
    like = EVENT_WEIGHTS["LIKE"] * training.POST_ENGAGEMENT_SHARE
    # A client-sent PURCHASE is a claim, not an order: it teaches what an add to cart does.
    assert found.weights == [EVENT_WEIGHTS["VIEW"], EVENT_WEIGHTS["ADD_TO_CART"], like, like]
    assert found.timestamps == [NOW.timestamp()] * 4


async def test_reading_in_chunks_reads_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    uow = FakeUnitOfWork()
    shoe = uow.feed.add_product(1)
    uow.feed.consenting.add(1)
    for _ in range(5):
        uow.feed.record(1, "VIEW", ("Product", shoe))
    monkeypatch.setattr(training, "CHUNK", 2)
    assert len((await training.interactions(uow, NOW - timedelta(days=1))).item_ids) == 5


async def test_catalog_items_carry_merchant_category_and_price_in_major_units() -> None:
    uow = FakeUnitOfWork()
    shoe = uow.feed.add_product(4, category="Shoes")
    [record] = await training.catalog(uow)
    assert record.item_id == str(shoe) and record.creator_id == "merchant:4"
    assert record.category == "Shoes" and record.price == (1000 + shoe) / 100
