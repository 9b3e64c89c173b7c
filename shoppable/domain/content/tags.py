"""Product tags on a post: where they point, what they may point at, and how many fit.

A tag names a product (of any merchant) and optionally one of its SKUs, on one item of the post's
carousel (`mediaIndex`). On an image it sits at a point (`x`, `y` as fractions of the width and
height, 0..1, both required); on a video it may name a moment (`timestampMs`, inside the video).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.media import MediaKind
from shoppable.domain.errors import ErrorCode, FieldError, Path

MAX_TAGS_PER_POST = 20
MAX_TAGS_PER_POINT = 5
POINT_DECIMALS = 2
"""Two image tags are at the same point when x and y agree to 0.01 (1% of the image)."""


@dataclass(frozen=True)
class TagDraft:
    """A tag as the creator asked for it; ids are 0 when the given id named nothing of that type."""

    product_id: int
    media_index: int
    sku_id: int | None = None
    x: float | None = None
    y: float | None = None
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class MediaSlot:
    """What the rules need to know about one carousel item."""

    kind: MediaKind
    duration_ms: int | None = None


@dataclass(frozen=True)
class TaggableProduct:
    id: int
    status: ProductStatus
    visible: bool
    """Whether the tagging creator may see the product at all; if not, it does not exist for them."""


def validate_tags(
    tags: Sequence[TagDraft],
    media: Sequence[MediaSlot] | None,
    products: Mapping[int, TaggableProduct],
    sku_products: Mapping[int, int],
    path: Path = ("productTags",),
) -> list[FieldError]:
    """Every problem with a post's tags; `sku_products` maps each known SKU id to its product id.

    `media` is None when the post's media are themselves invalid: positions are then not checked."""
    if len(tags) > MAX_TAGS_PER_POST:
        return [
            FieldError(
                path, ErrorCode.LIMIT_EXCEEDED, f"A post has at most {MAX_TAGS_PER_POST} product tags."
            )
        ]
    errors: list[FieldError] = []
    for index, tag in enumerate(tags):
        errors.extend(_product_errors(tag, products, sku_products, (*path, index)))
        if media is not None:
            errors.extend(_position_errors(tag, media, (*path, index)))
    if media is None:
        return errors
    points = Counter[tuple[object, ...]]()
    for index, tag in enumerate(tags):
        point = tag_point(tag, media)
        if point is None:
            continue
        points[point] += 1
        if points[point] > MAX_TAGS_PER_POINT:
            errors.append(
                FieldError(
                    (*path, index),
                    ErrorCode.LIMIT_EXCEEDED,
                    f"At most {MAX_TAGS_PER_POINT} products can be tagged at the same spot.",
                )
            )
    return errors


def tag_point(tag: TagDraft, media: Sequence[MediaSlot]) -> tuple[object, ...] | None:
    """The spot a tag occupies, for the per-spot limit; None when the tag is not placeable."""
    if not 0 <= tag.media_index < len(media):
        return None
    if media[tag.media_index].kind is MediaKind.IMAGE:
        if tag.x is None or tag.y is None or not _finite(tag.x, tag.y):
            return None
        return (tag.media_index, round(tag.x, POINT_DECIMALS), round(tag.y, POINT_DECIMALS))
    return (tag.media_index, "at", tag.timestamp_ms)


def _product_errors(
    tag: TagDraft, products: Mapping[int, TaggableProduct], sku_products: Mapping[int, int], path: Path
) -> list[FieldError]:
    product = products.get(tag.product_id)
    if product is None or not product.visible:
        return [FieldError((*path, "productId"), ErrorCode.NOT_FOUND, "No such product.")]
    if product.status is not ProductStatus.ACTIVE:
        return [
            FieldError(
                (*path, "productId"),
                ErrorCode.INVALID,
                f"Only active products can be tagged; this one is {product.status.value.lower()}.",
            )
        ]
    if tag.sku_id is not None:
        owner = sku_products.get(tag.sku_id)
        if owner is None:
            return [FieldError((*path, "skuId"), ErrorCode.NOT_FOUND, "No such SKU.")]
        if owner != tag.product_id:
            return [
                FieldError((*path, "skuId"), ErrorCode.INVALID, "This SKU is not a variant of the product.")
            ]
    return []


def _position_errors(tag: TagDraft, media: Sequence[MediaSlot], path: Path) -> list[FieldError]:
    if not 0 <= tag.media_index < len(media):
        return [
            FieldError(
                (*path, "mediaIndex"),
                ErrorCode.INVALID,
                f"mediaIndex must point at one of the post's {len(media)} media (0-{len(media) - 1}).",
            )
        ]
    slot = media[tag.media_index]
    errors: list[FieldError] = []
    for name, value in (("x", tag.x), ("y", tag.y)):
        if value is None:
            if slot.kind is MediaKind.IMAGE:
                errors.append(
                    FieldError((*path, name), ErrorCode.REQUIRED, f"A tag on an image needs {name}.")
                )
        elif not _finite(value) or not 0.0 <= value <= 1.0:
            errors.append(
                FieldError((*path, name), ErrorCode.INVALID, f"{name} is a fraction of the image, 0 to 1.")
            )
    if tag.timestamp_ms is not None:
        if slot.kind is MediaKind.IMAGE:
            errors.append(
                FieldError((*path, "timestampMs"), ErrorCode.INVALID, "timestampMs is only for videos.")
            )
        elif slot.duration_ms is None or not 0 <= tag.timestamp_ms <= slot.duration_ms:
            length = "of unknown length" if slot.duration_ms is None else f"{slot.duration_ms} ms long"
            errors.append(
                FieldError(
                    (*path, "timestampMs"),
                    ErrorCode.INVALID,
                    f"timestampMs must fall inside the video, which is {length}.",
                )
            )
    return errors


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)
