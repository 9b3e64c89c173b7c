"""Catalog images, from a URL in a feed to a rendition we serve and a vector we search.

1. Linking: products written since they were last linked (upserts, imports, status changes) get their
   image URLs (the product's own first, then each SKU's) turned into catalog images, one per distinct
   URL whatever the number of products showing it, and their links rewritten.
2. Fetching: due PENDING images are claimed (a lease, so that two workers never fetch the same one
   and a crashed worker's claim runs out), downloaded by the `ImageFetcher` (public https addresses
   only, size and type limits), rendered into WebP renditions like creators' photos (the original is
   not kept) and embedded. Transient failures are retried with a growing delay; refusals are final.
3. The embedding goes to the database (the source of truth) and to this process's index; other
   processes' indexes catch up from the database on their next query.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from shoppable.domain.content.media import SNIFF_BYTES, sniff_content_type
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.uow import UnitOfWork
from shoppable.domain.vision import limits
from shoppable.domain.vision.ports import FetchFailed, FetchRefused, StoredEmbedding, VisionServices
from shoppable.domain.vision.records import CatalogImage, CatalogImageRendition, ImageLink

log = logging.getLogger("shoppable.vision")

CATALOG_MEDIA_PREFIX = "media/catalog/"


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def rendition_key_for(url: str, width: int) -> str:
    """`media/catalog/ab/<sha256 of the URL>.w640.webp`: one URL, one set of keys, on any store."""
    digest = url_hash(url)
    return f"{CATALOG_MEDIA_PREFIX}{digest[:2]}/{digest}.w{width}.webp"


@dataclass
class IngestReport:
    linked_products: int = 0
    fetched: int = 0
    failed: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)


async def link_products(uow: UnitOfWork, now: datetime, *, batch: int = 500) -> int:
    """Link every product written since it was last linked; returns how many were."""
    total = 0
    while True:
        await uow.begin_write()
        product_ids = await uow.vision.products_to_link(batch)
        if not product_ids:
            await uow.rollback()
            return total
        found = await uow.vision.image_urls_of(product_ids)
        wanted: dict[int, list[tuple[str, int | None]]] = {}
        for product in found:
            urls: list[tuple[str, int | None]] = [(u, None) for u in product.images]
            urls += [(u, sku_id) for sku_id, u in product.sku_images]
            seen: set[tuple[str, int | None]] = set()
            distinct = []
            for url, sku_id in urls:
                if (url, sku_id) not in seen:
                    seen.add((url, sku_id))
                    distinct.append((url, sku_id))
            wanted[product.product_id] = distinct[: limits.MAX_IMAGES_PER_PRODUCT]
        ids = await uow.vision.ensure_images(sorted({u for urls in wanted.values() for u, _ in urls}), now)
        links = [
            (ImageLink(product_id, ids[url], sku_id), position)
            for product_id, urls in wanted.items()
            for position, (url, sku_id) in enumerate(urls)
        ]
        await uow.vision.replace_links(product_ids, links, now)
        await uow.commit()
        total += len(product_ids)


def retry_at(now: datetime, attempts: int) -> datetime | None:
    if attempts >= limits.CATALOG_IMAGE_MAX_ATTEMPTS:
        return None
    return now + limits.CATALOG_IMAGE_RETRY_BASE * (4 ** max(attempts - 1, 0))


async def ingest_bytes(
    uow: UnitOfWork, services: VisionServices, image: CatalogImage, data: bytes
) -> StoredEmbedding:
    """Render and embed bytes of a claimed image (fetched, or supplied by the demo), and store both.

    Raises DomainError when the bytes are not an image we can read."""
    if sniff_content_type(data[:SNIFF_BYTES]) is None:
        raise DomainError.single(
            ("url",),
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "The URL did not give a JPEG, PNG, WebP or HEIC image.",
        )
    processed = await services.images(data, limits.CATALOG_IMAGE_WIDTHS)
    if not processed.renditions or processed.width is None or processed.height is None:
        raise DomainError.single(
            ("url",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The image could not be rendered."
        )
    # The model sees the 640 px rendition: already decoded, upright and small, the same for every
    # source format, and what a shopper's photo of the product will resemble most.
    source = min(processed.renditions, key=lambda r: abs(r.width - 640))
    vector = await services.embedder.embed(source.data, max_pixels=limits.CATALOG_IMAGE_MAX_PIXELS)
    renditions = []
    for rendition in processed.renditions:
        key = rendition_key_for(image.url, rendition.width)
        await services.media.put(key, rendition.data, rendition.content_type)
        renditions.append(CatalogImageRendition(rendition.width, rendition.height, key))
    now = services.clock()
    await uow.begin_write()
    await uow.vision.image_ready(
        image.id, processed.width, processed.height, renditions, vector, services.embedder.model_name, now
    )
    await uow.commit()
    stored = StoredEmbedding(image.id, vector, now)
    await services.visual_index.add([stored])
    return stored


async def fetch_due_images(
    uow: UnitOfWork, services: VisionServices, *, max_images: int | None = None
) -> IngestReport:
    """Fetch, render and embed every due image (in batches), until none is due or `max_images`."""
    report = IngestReport()
    while max_images is None or report.fetched + report.failed + report.retried < max_images:
        now = services.clock()
        await uow.begin_write()
        claimed = await uow.vision.claim_due_images(
            now, now + limits.CATALOG_IMAGE_LEASE, limits.CATALOG_IMAGE_BATCH
        )
        await uow.commit()
        if not claimed:
            break
        for image in claimed:
            await _fetch_one(uow, services, image, report)
    return report


async def _fetch_one(
    uow: UnitOfWork, services: VisionServices, image: CatalogImage, report: IngestReport
) -> None:
    try:
        data = await services.image_fetcher.fetch(image.url, max_bytes=limits.CATALOG_IMAGE_MAX_BYTES)
        await ingest_bytes(uow, services, image, data)
        report.fetched += 1
        return
    except FetchFailed as exc:
        error, again = str(exc), retry_at(services.clock(), image.attempts)
    except FetchRefused as exc:
        error, again = str(exc), None
    except DomainError as exc:
        error, again = "; ".join(e.message for e in exc.errors), None
    await uow.rollback()
    await uow.begin_write()
    await uow.vision.image_failed(image.id, error[:500], again)
    await uow.commit()
    if again is None:
        report.failed += 1
    else:
        report.retried += 1
    if len(report.errors) < 20:
        report.errors.append(f"{image.url}: {error}")
    log.info("catalog image %s not ingested (%s): %s", image.id, "retry" if again else "final", error)
