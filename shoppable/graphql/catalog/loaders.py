"""Catalog DataLoaders: one statement per relation per request, whatever the page size."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from shoppable.domain.catalog.records import Product, ProductImage, Sku
from shoppable.domain.identity.records import Merchant
from shoppable.domain.vision.records import rendition_for
from shoppable.graphql.core.dataloader import MISSING, Loader
from shoppable.graphql.core.lookahead import field_names

PRODUCT_SKUS = field_names("Product", "skus", "priceRange", "options")
PRODUCT_IMAGES = field_names("Product", "images")
PRODUCT_MERCHANT = field_names("Product", "merchant")
HOSTED_IMAGE_WIDTH = 1080
"""Product images are served as our largest rendition (what a product page shows)."""

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork


class CatalogLoaders:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.product_by_id = Loader[int, Product | None](self._products)
        self.skus_by_product_id = Loader[int, list[Sku]](self._skus_of_products)
        self.sku_by_id = Loader[int, Sku | None](self._skus)
        self.images_by_product_id = Loader[int, list[ProductImage]](self._images)
        self.merchant_by_id = Loader[int, Merchant | None](self._merchants)
        self.hosted_keys: dict[str, str] = {}
        """Image URL -> the key of our rendition of it, for the images loaded (one statement a batch)."""

    async def prefetch_for(
        self, products: Sequence[Product], fields: set[str], *, also_merchants: Sequence[int] = ()
    ) -> None:
        """Load, for a whole page at once, the relations the query selects on its products (and the
        merchants `also_merchants`, in the same statement as the products' merchants)."""
        for product in products:
            self.product_by_id.prime(product.id, product)
        ids = [p.id for p in products]
        jobs: list[Awaitable[object]] = []
        if ids and fields & PRODUCT_SKUS and fields & PRODUCT_IMAGES:
            jobs.append(self.load_skus_and_images(ids))
        elif ids and fields & PRODUCT_SKUS:
            jobs.append(self.skus_by_product_id.load_many(ids))
        elif ids and fields & PRODUCT_IMAGES:
            jobs.append(self.images_by_product_id.load_many(ids))
        merchant_ids = set(also_merchants)
        if fields & PRODUCT_MERCHANT:
            merchant_ids.update(p.merchant_id for p in products)
        if merchant_ids:
            jobs.append(self.merchant_by_id.load_many(sorted(merchant_ids)))
        await asyncio.gather(*jobs)

    async def load_skus_and_images(self, product_ids: Sequence[int]) -> None:
        """Load `skus_by_product_id` and `images_by_product_id` for the products in one statement
        (a product card shows both), for the products either loader has not loaded yet."""
        unread = sorted(
            {
                i
                for i in product_ids
                if self.skus_by_product_id.peek(i) is MISSING or self.images_by_product_id.peek(i) is MISSING
            }
        )
        if not unread:
            return
        found_skus, found_images = await self.uow.catalog.skus_and_images_of_products(unread)
        skus, images = self._group_skus(unread, found_skus), self._group_images(unread, found_images)
        self.skus_by_product_id.prime_many(dict(zip(unread, skus, strict=True)))
        self.images_by_product_id.prime_many(dict(zip(unread, images, strict=True)))

    async def _products(self, ids: list[int]) -> list[Product | None]:
        """With their merchants (a product card names its merchant), in the same statement."""
        found: dict[int, Product] = {}
        for product, merchant in await self.uow.catalog.products_with_merchants(ids):
            found[product.id] = product
            self.merchant_by_id.prime(merchant.id, merchant)
        return [found.get(i) for i in ids]

    async def _skus_of_products(self, product_ids: list[int]) -> list[list[Sku]]:
        return self._group_skus(product_ids, await self.uow.catalog.skus_of_products(product_ids))

    def _group_skus(self, product_ids: Sequence[int], skus: Sequence[Sku]) -> list[list[Sku]]:
        grouped: dict[int, list[Sku]] = defaultdict(list)
        for sku in skus:
            grouped[sku.product_id].append(sku)
            self.sku_by_id.prime(sku.id, sku)
        return [grouped.get(i, []) for i in product_ids]

    async def _skus(self, ids: list[int]) -> list[Sku | None]:
        found = {s.id: s for s in await self.uow.catalog.get_skus(ids)}
        return [found.get(i) for i in ids]

    async def _images(self, product_ids: list[int]) -> list[list[ProductImage]]:
        return self._group_images(product_ids, await self.uow.catalog.images_of_products(product_ids))

    def _group_images(
        self, product_ids: Sequence[int], images: Sequence[ProductImage]
    ) -> list[list[ProductImage]]:
        grouped: dict[int, list[ProductImage]] = defaultdict(list)
        for image in images:
            grouped[image.product_id].append(image)
            # Fetched catalog images are served as our own renditions (see jobs/vision.py); they come
            # with the images, in the same statement.
            if (rendition := rendition_for(image.hosted, HOSTED_IMAGE_WIDTH)) is not None:
                self.hosted_keys[image.url] = rendition.key
        return [grouped.get(i, []) for i in product_ids]

    async def _merchants(self, ids: list[int]) -> list[Merchant | None]:
        found = {m.id: m for m in await self.uow.identity.get_merchants(ids)}
        return [found.get(i) for i in ids]
