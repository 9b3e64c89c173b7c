"""Persistence the catalog operations need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shoppable.domain.catalog.availability import Availability
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.catalog.sync import ExistingProduct, ProductWrite
from shoppable.domain.identity.records import Merchant
from shoppable.domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class ProductFilter:
    statuses: frozenset[ProductStatus] = frozenset({ProductStatus.ACTIVE})
    merchant_id: int | None = None


class CatalogRepository(Protocol):
    """Merchants' products, SKUs and images: read, written whole, and changed SKU by SKU."""

    # -- reading --------------------------------------------------------------------------------

    async def get_products(self, ids: Sequence[int]) -> list[Product]: ...

    async def products_with_merchants(self, ids: Sequence[int]) -> list[tuple[Product, Merchant]]:
        """`get_products` with each product's merchant, in one statement (a product card shows it)."""
        ...

    async def get_products_by_handle(self, merchant_id: int, handle: str) -> Product | None: ...

    async def list_products(self, where: ProductFilter, page: PageRequest) -> Page[Product]: ...

    async def skus_of_products(self, product_ids: Sequence[int]) -> list[Sku]: ...

    async def images_of_products(self, product_ids: Sequence[int]) -> list[ProductImage]: ...

    async def skus_and_images_of_products(
        self, product_ids: Sequence[int]
    ) -> tuple[list[Sku], list[ProductImage]]:
        """`skus_of_products` and `images_of_products` at once (one read for a page of product cards,
        which show both)."""
        ...

    async def get_skus(self, ids: Sequence[int]) -> list[Sku]: ...

    async def skus_by_codes(self, merchant_id: int, codes: Sequence[str]) -> list[Sku]: ...

    # -- products written whole (upserts and imports) ---------------------------------------------

    async def existing_products(
        self, merchant_id: int, handles: Sequence[str]
    ) -> dict[str, ExistingProduct]: ...

    async def sku_owners(self, merchant_id: int, codes: Sequence[str]) -> dict[str, int]: ...

    async def lock_catalog(self, merchant_id: int) -> None:
        """Hold the merchant's catalog for writing until the transaction ends.

        Taken before reading what exists, so that two writers of one catalog (two imports, an import
        and an upsert) plan on each other's committed rows instead of both creating the same product.
        """

    async def write_products(self, merchant_id: int, writes: Sequence[ProductWrite]) -> list[int]: ...

    async def set_status(self, product_id: int, status: ProductStatus) -> None: ...

    # -- fast stock and price changes -------------------------------------------------------------

    async def change_quantity(
        self,
        sku_id: int,
        *,
        quantity: int | None,
        delta: int | None,
        expected: int | None,
        floor: int | None,
        ceiling: int | None = None,
    ) -> int | None:
        """Set or adjust stock in one guarded statement; None when a guard refused the change.

        `floor` and `ceiling` bound the stock an adjustment (`delta`) may lead to."""
        ...

    async def set_prices(self, changes: Sequence[tuple[int, int, int | None]]) -> None:
        """(SKU id, price in minor units, compare-at in minor units or None) for each SKU."""
        ...

    async def set_availability(
        self, skus: Sequence[tuple[int, Availability]], products: Sequence[tuple[int, Availability]]
    ) -> None: ...

    async def held_units(self, product_ids: Sequence[int], now: datetime) -> dict[int, int]:
        """SKU id -> units in open checkouts' unexpired holds, for the SKUs of these products that have any."""
        ...

    # -- the archive step of full imports ----------------------------------------------------------

    async def live_product_id_chunks(self, merchant_id: int, after: int, limit: int) -> list[int]:
        """Ids of the merchant's products that are not archived, above `after`, in id order."""
        ...

    async def archive(self, product_ids: Sequence[int]) -> None: ...
