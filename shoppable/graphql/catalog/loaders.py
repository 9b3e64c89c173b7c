"""Catalog DataLoaders: one statement per relation per request, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.identity.records import Merchant

if TYPE_CHECKING:
    from shoppable.graphql.context import Repositories


class CatalogLoaders:
    def __init__(self, repos: Repositories) -> None:
        self.repos = repos
        self.product_by_id = DataLoader[int, Product | None](self._products)
        self.skus_by_product_id = DataLoader[int, list[Sku]](self._skus_of_products)
        self.sku_by_id = DataLoader[int, Sku | None](self._skus)
        self.images_by_product_id = DataLoader[int, list[ProductImage]](self._images)
        self.merchant_by_id = DataLoader[int, Merchant | None](self._merchants)

    def prime_products(self, products: Sequence[Product]) -> None:
        for product in products:
            self.product_by_id.prime(product.id, product)

    async def _products(self, ids: list[int]) -> list[Product | None]:
        found = {p.id: p for p in await self.repos.catalog.get_products(ids)}
        return [found.get(i) for i in ids]

    async def _skus_of_products(self, product_ids: list[int]) -> list[list[Sku]]:
        grouped: dict[int, list[Sku]] = defaultdict(list)
        for sku in await self.repos.catalog.skus_of_products(product_ids):
            grouped[sku.product_id].append(sku)
            self.sku_by_id.prime(sku.id, sku)
        return [grouped.get(i, []) for i in product_ids]

    async def _skus(self, ids: list[int]) -> list[Sku | None]:
        found = {s.id: s for s in await self.repos.catalog.get_skus(ids)}
        return [found.get(i) for i in ids]

    async def _images(self, product_ids: list[int]) -> list[list[ProductImage]]:
        grouped: dict[int, list[ProductImage]] = defaultdict(list)
        for image in await self.repos.catalog.images_of_products(product_ids):
            grouped[image.product_id].append(image)
        return [grouped.get(i, []) for i in product_ids]

    async def _merchants(self, ids: list[int]) -> list[Merchant | None]:
        found = {m.id: m for m in await self.repos.identity.get_merchants(ids)}
        return [found.get(i) for i in ids]
