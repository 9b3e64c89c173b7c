"""SQL side of visual search: catalog images, their links to products, embeddings, search photos."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, or_, select, update

from shoppable.domain.catalog.availability import Availability
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.money import Money
from shoppable.domain.content.records import PostStatus
from shoppable.domain.vision.ingest import url_hash
from shoppable.domain.vision.ports import ProductImageUrls, StoredEmbedding, Vector
from shoppable.domain.vision.records import (
    Candidate,
    CatalogImage,
    CatalogImageRendition,
    ImageLink,
    ImageStatus,
    SearchUpload,
)
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import chunks, insert_if_absent, table_of
from shoppable.storage.tables import (
    CatalogImageLinkRow,
    CatalogImageRow,
    CreatorRow,
    MediaRenditionRow,
    MediaRow,
    PostMediaRow,
    PostRow,
    ProductImageRow,
    ProductRow,
    SearchUploadRow,
    SkuRow,
    VisionLinkedProductRow,
)

images = table_of(CatalogImageRow)
links = table_of(CatalogImageLinkRow)
linked = table_of(VisionLinkedProductRow)
search_uploads = table_of(SearchUploadRow)
products = table_of(ProductRow)
product_images = table_of(ProductImageRow)
skus = table_of(SkuRow)
media = table_of(MediaRow)
renditions = table_of(MediaRenditionRow)
post_media = table_of(PostMediaRow)
posts = table_of(PostRow)
creators = table_of(CreatorRow)

EMBEDDING_DTYPE = np.float16
"""Stored at half precision: 2.5 KB an image, and the index's own precision."""


def encode_vector(vector: Vector) -> bytes:
    return np.asarray(vector, dtype=EMBEDDING_DTYPE).tobytes()


def decode_vector(data: bytes) -> Vector:
    vector = np.frombuffer(data, dtype=EMBEDDING_DTYPE).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _image(row: Any) -> CatalogImage:
    return CatalogImage(
        id=row.id,
        url=row.url,
        status=ImageStatus(row.status),
        attempts=row.attempts,
        error=row.error,
        width=row.width,
        height=row.height,
        renditions=tuple(CatalogImageRendition(int(w), int(h), str(k)) for w, h, k in row.renditions or ()),
    )


def _upload(row: Any) -> SearchUpload:
    return SearchUpload(
        id=row.id,
        owner=row.owner,
        key=row.key,
        content_type=row.content_type,
        byte_size=row.byte_size,
        expires_at=row.expires_at,
        created_at=row.created_at,
        has_embedding=row.embedding is not None,
    )


class SqlVisionRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    # -- linking ------------------------------------------------------------------------------------

    async def products_to_link(self, limit: int) -> list[int]:
        stmt = (
            select(products.c.id)
            .select_from(products.outerjoin(linked, linked.c.product_id == products.c.id))
            .where(or_(linked.c.product_id.is_(None), linked.c.linked_at < products.c.updated_at))
            .order_by(products.c.id)
            .limit(limit)
        )
        if self.uow.dialect == "postgresql":
            # Two linkers (the job in two workers, the demo seed) never rewrite one product's links at once.
            stmt = stmt.with_for_update(of=products, skip_locked=True)
        return [r[0] for r in await self.uow.execute(stmt)]

    async def image_urls_of(self, product_ids: Sequence[int]) -> list[ProductImageUrls]:
        own: dict[int, list[str]] = {i: [] for i in product_ids}
        of_skus: dict[int, list[tuple[int, str]]] = {i: [] for i in product_ids}
        for chunk in chunks(list(product_ids)):
            rows = await self.uow.execute(
                select(product_images.c.product_id, product_images.c.url)
                .where(product_images.c.product_id.in_(chunk))
                .order_by(product_images.c.product_id, product_images.c.position)
            )
            for r in rows:
                own[r.product_id].append(r.url)
            rows = await self.uow.execute(
                select(skus.c.product_id, skus.c.id, skus.c.image_url)
                .where(skus.c.product_id.in_(chunk), skus.c.image_url.is_not(None))
                .order_by(skus.c.product_id, skus.c.position, skus.c.id)
            )
            for r in rows:
                of_skus[r.product_id].append((r.id, r.image_url))
        return [ProductImageUrls(i, tuple(own[i]), tuple(of_skus[i])) for i in product_ids]

    async def ensure_images(self, urls: Sequence[str], now: datetime) -> dict[str, int]:
        if not urls:
            return {}
        hashes = {url_hash(u): u for u in urls}
        rows = [
            {
                "url": url,
                "url_hash": digest,
                "status": ImageStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "renditions": [],
                "created_at": now,
            }
            for digest, url in hashes.items()
        ]
        for batch in chunks(rows, 200):
            await self.uow.execute(insert_if_absent(self.uow, images), list(batch))
        found: dict[str, int] = {}
        for chunk in chunks(list(hashes)):
            result = await self.uow.execute(
                select(images.c.id, images.c.url_hash).where(images.c.url_hash.in_(chunk))
            )
            found.update({hashes[r.url_hash]: r.id for r in result})
        return found

    async def replace_links(
        self, product_ids: Sequence[int], new_links: Sequence[tuple[ImageLink, int]], now: datetime
    ) -> None:
        for chunk in chunks(list(product_ids)):
            await self.uow.execute(delete(links).where(links.c.product_id.in_(chunk)))
            await self.uow.execute(delete(linked).where(linked.c.product_id.in_(chunk)))
        if new_links:
            await self.uow.execute(
                links.insert(),
                [
                    {
                        "product_id": link.product_id,
                        "image_id": link.image_id,
                        "sku_id": link.sku_id,
                        "position": pos,
                    }
                    for link, pos in new_links
                ],
            )
        await self.uow.execute(linked.insert(), [{"product_id": i, "linked_at": now} for i in product_ids])

    # -- fetching -----------------------------------------------------------------------------------

    async def claim_due_images(self, now: datetime, lease_until: datetime, limit: int) -> list[CatalogImage]:
        due = select(images.c.id).where(
            images.c.status == ImageStatus.PENDING.value, images.c.next_attempt_at <= now
        )
        if self.uow.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = [
            r[0]
            for r in await self.uow.execute(due.order_by(images.c.next_attempt_at, images.c.id).limit(limit))
        ]
        if not ids:
            return []
        result = await self.uow.execute(
            update(images)
            .where(images.c.id.in_(ids), images.c.next_attempt_at <= now)
            .values(next_attempt_at=lease_until, attempts=images.c.attempts + 1)
            .returning(images)
        )
        return sorted((_image(r) for r in result), key=lambda i: i.id)

    async def image_ready(
        self,
        image_id: int,
        width: int,
        height: int,
        rendered: Sequence[CatalogImageRendition],
        embedding: Vector,
        model: str,
        now: datetime,
    ) -> None:
        await self.uow.execute(
            update(images)
            .where(images.c.id == image_id)
            .values(
                status=ImageStatus.READY.value,
                width=width,
                height=height,
                renditions=[[r.width, r.height, r.key] for r in rendered],
                embedding=encode_vector(embedding),
                model=model,
                embedded_at=now,
                error=None,
            )
        )

    async def image_failed(self, image_id: int, error: str, retry_at: datetime | None) -> None:
        values: dict[str, Any] = {"error": error}
        if retry_at is None:
            values["status"] = ImageStatus.FAILED.value
        else:
            values |= {"status": ImageStatus.PENDING.value, "next_attempt_at": retry_at}
        # A READY image stays READY (the demo may have supplied it while a fetch of it was failing).
        await self.uow.execute(
            update(images)
            .where(images.c.id == image_id, images.c.status != ImageStatus.READY.value)
            .values(**values)
        )

    async def reset_images(self, image_ids: Sequence[int] | None, now: datetime) -> int:
        stmt = update(images).values(status=ImageStatus.PENDING.value, attempts=0, next_attempt_at=now)
        if image_ids is not None:
            stmt = stmt.where(images.c.id.in_(list(image_ids)))
        else:
            stmt = stmt.where(images.c.status == ImageStatus.FAILED.value)
        result = await self.uow.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def get_images(self, ids: Sequence[int]) -> list[CatalogImage]:
        found: list[CatalogImage] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(
                select(*[c for c in images.c if c.name != "embedding"]).where(images.c.id.in_(chunk))
            )
            found.extend(_image(r) for r in rows)
        return found

    async def ready_images(self, after_id: int, limit: int) -> list[CatalogImage]:
        rows = await self.uow.execute(
            select(*[c for c in images.c if c.name != "embedding"])
            .where(images.c.status == ImageStatus.READY.value, images.c.id > after_id)
            .order_by(images.c.id)
            .limit(limit)
        )
        return [_image(r) for r in rows]

    async def ready_images_by_url(self, urls: Sequence[str]) -> dict[str, CatalogImage]:
        hashes = {url_hash(u): u for u in urls}
        found: dict[str, CatalogImage] = {}
        for chunk in chunks(list(hashes)):
            rows = await self.uow.execute(
                select(*[c for c in images.c if c.name != "embedding"]).where(
                    images.c.url_hash.in_(chunk), images.c.status == ImageStatus.READY.value
                )
            )
            found.update({hashes[r.url_hash]: _image(r) for r in rows})
        return found

    async def set_embedding(self, image_id: int, embedding: Vector, model: str, now: datetime) -> None:
        await self.uow.execute(
            update(images)
            .where(images.c.id == image_id)
            .values(embedding=encode_vector(embedding), model=model, embedded_at=now)
        )

    async def image_status_counts(self) -> dict[str, int]:
        rows = await self.uow.execute(
            select(images.c.status, func.count().label("n")).group_by(images.c.status)
        )
        return {str(r.status): int(r.n) for r in rows}

    # -- embeddings ---------------------------------------------------------------------------------

    async def embeddings_after(self, after_id: int, limit: int) -> list[StoredEmbedding]:
        rows = await self.uow.execute(
            select(images.c.id, images.c.embedding, images.c.embedded_at)
            .where(
                images.c.id > after_id,
                images.c.embedding.is_not(None),
                images.c.status == ImageStatus.READY.value,
            )
            .order_by(images.c.id)
            .limit(limit)
        )
        return [StoredEmbedding(r.id, decode_vector(r.embedding), r.embedded_at) for r in rows]

    async def embeddings_since(self, since: datetime, limit: int) -> list[StoredEmbedding]:
        rows = await self.uow.execute(
            select(images.c.id, images.c.embedding, images.c.embedded_at)
            .where(images.c.embedded_at >= since, images.c.embedding.is_not(None))
            .order_by(images.c.embedded_at, images.c.id)
            .limit(limit)
        )
        return [StoredEmbedding(r.id, decode_vector(r.embedding), r.embedded_at) for r in rows]

    # -- queries ------------------------------------------------------------------------------------

    async def visible_candidates(self, similar: dict[int, float]) -> list[Candidate]:
        """One row per visible (product, image) pair, priced at the matched SKU or the product's cheapest."""
        found: list[Candidate] = []
        visible = and_(
            products.c.status == ProductStatus.ACTIVE.value,
            products.c.availability != Availability.OUT_OF_STOCK.value,
        )
        rows: list[Any] = []
        for chunk in chunks(list(similar)):
            rows += list(
                await self.uow.execute(
                    select(links.c.product_id, links.c.image_id, links.c.sku_id)
                    .select_from(links.join(products, products.c.id == links.c.product_id))
                    .where(links.c.image_id.in_(chunk), visible)
                )
            )
        product_ids = sorted({r.product_id for r in rows})
        prices: dict[int, list[tuple[int, Money, str]]] = {}
        for chunk in chunks(product_ids):
            sku_rows = await self.uow.execute(
                select(
                    skus.c.id, skus.c.product_id, skus.c.price_minor, skus.c.currency, skus.c.availability
                ).where(skus.c.product_id.in_(chunk))
            )
            for s in sku_rows:
                prices.setdefault(s.product_id, []).append(
                    (s.id, Money(s.price_minor, s.currency), s.availability)
                )
        for r in rows:
            sku_prices = prices.get(r.product_id, [])
            buyable = [p for p in sku_prices if p[2] != Availability.OUT_OF_STOCK.value] or sku_prices
            sku_id = r.sku_id
            matched = next((p for p in sku_prices if p[0] == sku_id), None)
            if matched is not None and matched[2] == Availability.OUT_OF_STOCK.value:
                sku_id, matched = None, None  # that colour is sold out: show the product
            price = matched[1] if matched else (min(p[1] for p in buyable) if buyable else None)
            found.append(Candidate(r.product_id, sku_id, r.image_id, similar[r.image_id], price))
        return found

    async def embeddings_of_product(self, product_id: int) -> list[Vector]:
        rows = await self.uow.execute(
            select(images.c.embedding)
            .select_from(links.join(images, images.c.id == links.c.image_id))
            .where(links.c.product_id == product_id, images.c.embedding.is_not(None))
            .order_by(links.c.position)
        )
        return [decode_vector(r[0]) for r in rows]

    async def links_of_products(self, product_ids: Sequence[int]) -> list[ImageLink]:
        found: list[ImageLink] = []
        for chunk in chunks(list(product_ids)):
            rows = await self.uow.execute(
                select(links.c.product_id, links.c.image_id, links.c.sku_id)
                .where(links.c.product_id.in_(chunk))
                .order_by(links.c.product_id, links.c.position)
            )
            found.extend(ImageLink(r.product_id, r.image_id, r.sku_id) for r in rows)
        return found

    async def media_visible_to(self, media_id: int, user_id: int | None) -> bool:
        if user_id is not None:
            own = await self.uow.execute(
                select(media.c.id).where(media.c.id == media_id, media.c.owner_id == user_id)
            )
            if own.first() is not None:
                return True
        public = await self.uow.execute(
            select(post_media.c.id)
            .select_from(post_media.join(posts, posts.c.id == post_media.c.post_id))
            .where(post_media.c.media_id == media_id, posts.c.status == PostStatus.PUBLISHED.value)
            .limit(1)
        )
        return public.first() is not None

    async def rendition_keys_of_media(self, media_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        found: dict[int, list[tuple[int, str]]] = {}
        for chunk in chunks(list(media_ids)):
            rows = await self.uow.execute(
                select(renditions.c.media_id, renditions.c.width, renditions.c.key).where(
                    renditions.c.media_id.in_(chunk)
                )
            )
            for r in rows:
                found.setdefault(r.media_id, []).append((r.width, r.key))
        return found

    async def post_media_ids(self, post_id: int) -> list[int]:
        rows = await self.uow.execute(
            select(post_media.c.media_id)
            .where(post_media.c.post_id == post_id)
            .order_by(post_media.c.position)
        )
        return [r[0] for r in rows]

    # -- search photos ------------------------------------------------------------------------------

    async def add_search_upload(
        self, owner: str, key: str, content_type: str, byte_size: int, expires_at: datetime, now: datetime
    ) -> SearchUpload:
        row = (
            await self.uow.execute(
                search_uploads.insert()
                .values(
                    owner=owner,
                    key=key,
                    content_type=content_type,
                    byte_size=byte_size,
                    expires_at=expires_at,
                    created_at=now,
                )
                .returning(search_uploads)
            )
        ).one()
        return _upload(row)

    async def get_search_upload(self, upload_id: int) -> SearchUpload | None:
        row = (await self.uow.execute(select(search_uploads).where(search_uploads.c.id == upload_id))).first()
        return _upload(row) if row else None

    async def search_upload_by_key(self, key: str) -> SearchUpload | None:
        row = (await self.uow.execute(select(search_uploads).where(search_uploads.c.key == key))).first()
        return _upload(row) if row else None

    async def search_upload_embedding(self, upload_id: int) -> Vector | None:
        row = (
            await self.uow.execute(select(search_uploads.c.embedding).where(search_uploads.c.id == upload_id))
        ).first()
        return decode_vector(row[0]) if row and row[0] is not None else None

    async def set_search_upload_embedding(self, upload_id: int, embedding: Vector) -> None:
        await self.uow.execute(
            update(search_uploads)
            .where(search_uploads.c.id == upload_id)
            .values(embedding=encode_vector(embedding))
        )

    async def search_uploads_before(self, moment: datetime, limit: int) -> list[SearchUpload]:
        rows = await self.uow.execute(
            select(search_uploads)
            .where(search_uploads.c.created_at < moment)
            .order_by(search_uploads.c.created_at)
            .limit(limit)
        )
        return [_upload(r) for r in rows]

    async def delete_search_uploads(self, ids: Sequence[int]) -> None:
        for chunk in chunks(list(ids)):
            await self.uow.execute(delete(search_uploads).where(search_uploads.c.id.in_(chunk)))
