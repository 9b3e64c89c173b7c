"""Demo catalog images: drawn locally for every image URL of the demo products, then rendered,
embedded and indexed by the same code a fetched image goes through, so visual search works offline."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from shoppable.demo.product_images import draw_product, specs_for
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.ports import ProductFilter
from shoppable.domain.pagination import PageRequest
from shoppable.domain.vision.ingest import ingest_bytes, link_products
from shoppable.domain.vision.records import ImageStatus

if TYPE_CHECKING:
    from shoppable.services import Services

ALL_STATUSES = frozenset(ProductStatus)


async def seed_catalog_images(services: Services, merchant_ids: list[int]) -> int:
    """Draw and ingest the images of these merchants' products that are not ready yet; returns how many."""
    uow = services.database.unit_of_work(write=True)
    ingested = 0
    async with uow:
        await link_products(uow, services.clock())
        product_ids: list[int] = []
        for merchant_id in merchant_ids:
            after = None
            while True:
                page = await uow.catalog.list_products(
                    ProductFilter(statuses=ALL_STATUSES, merchant_id=merchant_id), PageRequest(100, after)
                )
                product_ids += [p.id for p in page.items]
                if not page.has_next:
                    break
                after = page.keys[-1]
        products = {p.id: p for p in await uow.catalog.get_products(product_ids)}
        colours: dict[int, str | None] = {}
        for sku in await uow.catalog.skus_of_products(product_ids):
            colours[sku.id] = next((v for n, v in sku.options if n.lower() in {"color", "colour"}), None)
        for urls in await uow.vision.image_urls_of(product_ids):
            product = products[urls.product_id]
            specs = specs_for(
                product.handle,
                product.category or product.title,
                urls.images,
                [(url, colours.get(sku_id)) for sku_id, url in urls.sku_images],
            )
            ids = await uow.vision.ensure_images([s.url for s in specs], services.clock())
            await uow.commit()
            current = {i.id: i for i in await uow.vision.get_images(list(ids.values()))}
            for spec in specs:
                image = current.get(ids[spec.url])
                if image is None or image.status is ImageStatus.READY:
                    continue
                data = await asyncio.to_thread(draw_product, spec)
                await ingest_bytes(uow, services, image, data)
                ingested += 1
    await services.visual_index.persist()
    return ingested
