"""Catalog entities as readers see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shoppable.domain.catalog.availability import Availability, InventoryPolicy
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.money import Money
from shoppable.domain.vision.records import CatalogImageRendition


@dataclass(frozen=True)
class Product:
    id: int
    merchant_id: int
    handle: str
    title: str
    description: str | None
    brand: str | None
    category: str | None
    status: ProductStatus
    option_names: tuple[str, ...]
    availability: Availability
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProductImage:
    id: int
    product_id: int
    position: int
    url: str
    alt_text: str | None
    hosted: tuple[CatalogImageRendition, ...] = ()
    """Our own renditions of the image, once visual search fetched it (`jobs/vision.py`); else none."""


@dataclass(frozen=True)
class Sku:
    id: int
    product_id: int
    merchant_id: int
    sku: str
    title: str | None
    options: tuple[tuple[str, str], ...]
    price: Money
    compare_at_price: Money | None
    quantity: int | None
    inventory_policy: InventoryPolicy
    availability: Availability
    gtin: str | None
    mpn: str | None
    image_url: str | None


@dataclass(frozen=True)
class PriceRange:
    min: Money
    max: Money


def price_range(skus: list[Sku]) -> PriceRange | None:
    if not skus:
        return None
    prices = [s.price for s in skus]
    currency = prices[0].currency
    same = [p for p in prices if p.currency == currency]
    return PriceRange(min=min(same), max=max(same))
