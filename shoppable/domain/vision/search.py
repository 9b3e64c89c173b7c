"""Visual search queries: by a shopper's photo, by a post's media ("shop this look"), by a product
("more like this"); and tag suggestions for a creator's own post.

Every answer is built from the index's nearest images, then checked against the database: only
ACTIVE products that can be bought (not sold out) appear, whatever the index still holds, so an
archived or sold-out product disappears at once. One product appears once, by its most similar
image (and the SKU that image belongs to, if it is a SKU's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.media import SNIFF_BYTES, sniff_content_type
from shoppable.domain.content.ports import MediaStoreError, ObjectNotFound, ObjectTooLarge
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import actor_key
from shoppable.domain.uow import UnitOfWork
from shoppable.domain.vision import limits
from shoppable.domain.vision.ports import Vector, VisionServices
from shoppable.domain.vision.price_bands import group_by_price_band
from shoppable.domain.vision.records import Candidate, VisualResult

log = logging.getLogger("shoppable.vision")


@dataclass(frozen=True)
class VisualQuery:
    """Exactly one of the three."""

    media_id: int | None = None
    product_id: int | None = None
    upload_id: int | None = None


def check_first(first: int | None) -> int:
    value = limits.DEFAULT_RESULTS if first is None else first
    if not 1 <= value <= limits.MAX_RESULTS:
        raise DomainError.single(
            ("first",), ErrorCode.INVALID, f"first must be between 1 and {limits.MAX_RESULTS}."
        )
    return value


async def visual_search(
    uow: UnitOfWork, services: VisionServices, actor: Actor, query: VisualQuery, first: int | None
) -> VisualResult:
    count = check_first(first)
    given = [v for v in (query.media_id, query.product_id, query.upload_id) if v is not None]
    if len(given) != 1:
        raise DomainError.single((), ErrorCode.INVALID, "Give exactly one of mediaId, productId or uploadId.")
    exclude: frozenset[int] = frozenset()
    if query.upload_id is not None:
        vectors = [await _upload_vector(uow, services, actor, query.upload_id)]
    elif query.media_id is not None:
        vectors = [await _media_vector(uow, services, actor, query.media_id)]
    else:
        assert query.product_id is not None
        vectors = await _product_vectors(uow, query.product_id)
        exclude = frozenset({query.product_id})
    candidates = await nearest_products(uow, services, vectors, exclude=exclude)
    return VisualResult(
        matches=tuple(candidates[:count]),
        by_price_band=tuple(group_by_price_band(candidates, limits.BAND_MATCHES)),
    )


async def nearest_products(
    uow: UnitOfWork, services: VisionServices, vectors: list[Vector], *, exclude: frozenset[int] = frozenset()
) -> list[Candidate]:
    """Visible products by their best image similarity to any of `vectors`, best first."""
    index = services.visual_index
    await index.catch_up(uow.vision)
    similar: dict[int, float] = {}
    for vector in vectors:
        for image_id, similarity in await index.search(vector, limits.CANDIDATE_POOL):
            if similarity >= limits.MIN_SIMILARITY and similarity > similar.get(image_id, -1.0):
                similar[image_id] = similarity
    if not similar:
        return []
    best: dict[int, Candidate] = {}
    for candidate in await uow.vision.visible_candidates(similar):
        if candidate.product_id in exclude:
            continue
        kept = best.get(candidate.product_id)
        if kept is None or (candidate.similarity, -candidate.image_id) > (kept.similarity, -kept.image_id):
            best[candidate.product_id] = candidate
    return sorted(best.values(), key=lambda c: (-c.similarity, c.product_id))


async def _product_vectors(uow: UnitOfWork, product_id: int) -> list[Vector]:
    products = await uow.catalog.get_products([product_id])
    if not products or products[0].status is not ProductStatus.ACTIVE:
        raise DomainError.single(("productId",), ErrorCode.NOT_FOUND, "No such product.")
    vectors = await uow.vision.embeddings_of_product(product_id)
    if not vectors:
        raise DomainError.single(
            ("productId",), ErrorCode.INVALID, "This product's images are not indexed yet; try again soon."
        )
    return vectors


async def _media_vector(uow: UnitOfWork, services: VisionServices, actor: Actor, media_id: int) -> Vector:
    if not await uow.vision.media_visible_to(media_id, actor.user_id):
        raise DomainError.single(("mediaId",), ErrorCode.NOT_FOUND, "No such media.")
    return await media_embedding(uow, services, media_id, ("mediaId",))


async def media_embedding(
    uow: UnitOfWork, services: VisionServices, media_id: int, field: tuple[str, ...]
) -> Vector:
    renditions = (await uow.vision.rendition_keys_of_media([media_id])).get(media_id, [])
    if not renditions:
        raise DomainError.single(
            field, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Visual search works on photos only."
        )
    _, key = min(renditions, key=lambda r: abs(r[0] - 640))
    try:
        data = await services.media.read_all(key, limits.SEARCH_UPLOAD_MAX_BYTES)
    except (ObjectNotFound, ObjectTooLarge):
        raise DomainError.single(field, ErrorCode.NOT_FOUND, "No such media.") from None
    return await services.embedder.embed(data, max_pixels=limits.SEARCH_UPLOAD_MAX_PIXELS)


async def _upload_vector(uow: UnitOfWork, services: VisionServices, actor: Actor, upload_id: int) -> Vector:
    """The photo is read once, checked, embedded and deleted; the embedding answers later queries."""
    upload = await uow.vision.get_search_upload(upload_id)
    now = services.clock()
    if (
        upload is None
        or upload.owner != actor_key(actor)
        or upload.created_at + limits.SEARCH_UPLOAD_RETENTION < now
    ):
        raise DomainError.single(("uploadId",), ErrorCode.NOT_FOUND, "No such upload.")
    if upload.has_embedding:
        stored = await uow.vision.search_upload_embedding(upload.id)
        assert stored is not None
        return stored
    try:
        data = await services.media.read_all(
            upload.key, min(upload.byte_size, limits.SEARCH_UPLOAD_MAX_BYTES)
        )
    except ObjectNotFound:
        raise DomainError.single(
            ("uploadId",), ErrorCode.NOT_FOUND, "Nothing was uploaded for this upload."
        ) from None
    except ObjectTooLarge:
        raise DomainError.single(
            ("uploadId",), ErrorCode.TOO_LARGE, "The photo is larger than declared."
        ) from None
    if sniff_content_type(data[:SNIFF_BYTES]) not in limits.SEARCH_UPLOAD_TYPES:
        raise DomainError.single(
            ("uploadId",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Search with a JPEG, PNG, WebP or HEIC photo."
        )
    vector = await services.embedder.embed(data, max_pixels=limits.SEARCH_UPLOAD_MAX_PIXELS)
    await uow.begin_write()
    await uow.vision.set_search_upload_embedding(upload.id, vector)
    await uow.commit()
    try:
        await services.media.delete(upload.key)
    except MediaStoreError:
        log.warning("could not delete search photo %s; the daily clean-up will", upload.key)
    return vector


async def suggested_tags(
    uow: UnitOfWork, services: VisionServices, actor: Actor, post_id: int, creator_user_id: int
) -> list[Candidate]:
    """Catalog products that look like what is in the post's photos: for the post's own creator only
    (anyone else gets an empty list, as for a post they may not see)."""
    if actor.user_id is None or actor.user_id != creator_user_id:
        return []
    media_ids = await uow.vision.post_media_ids(post_id)
    vectors = []
    for media_id in media_ids:
        try:
            vectors.append(await media_embedding(uow, services, media_id, ("postId",)))
        except DomainError:
            continue  # a video, or a photo whose file is gone
    if not vectors:
        return []
    candidates = await nearest_products(uow, services, vectors)
    return candidates[: limits.SUGGESTED_TAGS]
