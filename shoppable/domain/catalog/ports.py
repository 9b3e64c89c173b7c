"""Persistence the catalog operations need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.catalog.sync import ExistingProduct, ProductWrite
from shoppable.domain.pagination import Page, PageRequest


@dataclass(frozen=True)
class ProductFilter:
    statuses: frozenset[ProductStatus] = frozenset({ProductStatus.ACTIVE})
    merchant_id: int | None = None
    query: str | None = None


class CatalogRepository(Protocol):
    async def existing_products(
        self, merchant_id: int, handles: Sequence[str]
    ) -> dict[str, ExistingProduct]: ...

    async def sku_owners(self, merchant_id: int, codes: Sequence[str]) -> dict[str, int]: ...

    async def write_products(self, merchant_id: int, writes: Sequence[ProductWrite]) -> list[int]: ...

    async def get_products(self, ids: Sequence[int]) -> list[Product]: ...

    async def list_products(self, where: ProductFilter, page: PageRequest) -> Page[Product]: ...

    async def set_status(self, product_id: int, status: ProductStatus) -> None: ...

    async def skus_of_products(self, product_ids: Sequence[int]) -> list[Sku]: ...

    async def images_of_products(self, product_ids: Sequence[int]) -> list[ProductImage]: ...

    async def get_skus(self, ids: Sequence[int]) -> list[Sku]: ...
