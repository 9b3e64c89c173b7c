"""What a shopper is told about stock."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Availability(StrEnum):
    IN_STOCK = "IN_STOCK"
    LOW_STOCK = "LOW_STOCK"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    PREORDER = "PREORDER"
    BACKORDER = "BACKORDER"


class InventoryPolicy(StrEnum):
    """DENY: stop selling at zero. CONTINUE: keep selling (backorder). PREORDER: not released yet."""

    DENY = "DENY"
    CONTINUE = "CONTINUE"
    PREORDER = "PREORDER"


SELLABLE = frozenset(
    {Availability.IN_STOCK, Availability.LOW_STOCK, Availability.PREORDER, Availability.BACKORDER}
)


def sku_availability(quantity: int | None, policy: InventoryPolicy, low_stock_at: int) -> Availability:
    """Availability of one SKU. `quantity=None` means the merchant does not track stock for it."""
    if policy is InventoryPolicy.PREORDER:
        return Availability.PREORDER
    if quantity is None:
        return Availability.IN_STOCK
    if quantity > low_stock_at:
        return Availability.IN_STOCK
    if quantity > 0:
        return Availability.LOW_STOCK
    return Availability.BACKORDER if policy is InventoryPolicy.CONTINUE else Availability.OUT_OF_STOCK


_PRODUCT_PRECEDENCE = (
    Availability.IN_STOCK,
    Availability.LOW_STOCK,
    Availability.PREORDER,
    Availability.BACKORDER,
    Availability.OUT_OF_STOCK,
)


def product_availability(skus: Iterable[Availability]) -> Availability:
    """A product is as available as its most available SKU; with no SKUs it is out of stock."""
    present = set(skus)
    for candidate in _PRODUCT_PRECEDENCE:
        if candidate in present:
            return candidate
    return Availability.OUT_OF_STOCK
