"""What a shopper is told about stock, per SKU and per product."""

from __future__ import annotations

import pytest

from shoppable.domain.catalog.availability import (
    Availability,
    InventoryPolicy,
    product_availability,
    sku_availability,
)

A = Availability
DENY, CONTINUE, PREORDER = InventoryPolicy.DENY, InventoryPolicy.CONTINUE, InventoryPolicy.PREORDER


@pytest.mark.parametrize(
    ("quantity", "policy", "expected"),
    [
        (None, DENY, A.IN_STOCK),  # stock not tracked
        (6, DENY, A.IN_STOCK),
        (5, DENY, A.LOW_STOCK),  # at the threshold
        (1, CONTINUE, A.LOW_STOCK),
        (0, DENY, A.OUT_OF_STOCK),
        (0, CONTINUE, A.BACKORDER),
        (-3, CONTINUE, A.BACKORDER),
        (0, PREORDER, A.PREORDER),
        (100, PREORDER, A.PREORDER),
    ],
)
def test_sku_availability(quantity: int | None, policy: InventoryPolicy, expected: Availability) -> None:
    assert sku_availability(quantity, policy, low_stock_at=5) is expected


def test_a_product_is_as_available_as_its_most_available_sku() -> None:
    assert product_availability([A.OUT_OF_STOCK, A.LOW_STOCK, A.BACKORDER]) is A.LOW_STOCK
    assert product_availability([A.OUT_OF_STOCK, A.PREORDER, A.BACKORDER]) is A.PREORDER
    assert product_availability([A.OUT_OF_STOCK, A.BACKORDER]) is A.BACKORDER
    assert product_availability([A.OUT_OF_STOCK, A.IN_STOCK]) is A.IN_STOCK
    assert product_availability([]) is A.OUT_OF_STOCK
