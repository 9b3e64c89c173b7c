"""Product tag rules, without a database."""

from __future__ import annotations

import pytest

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.tags import (
    MAX_TAGS_PER_POINT,
    MAX_TAGS_PER_POST,
    MediaSlot,
    TagDraft,
    TaggableProduct,
    validate_tags,
)
from shoppable.domain.errors import ErrorCode

IMAGE = MediaSlot(MediaKind.IMAGE)
VIDEO = MediaSlot(MediaKind.VIDEO, duration_ms=15_000)
PRODUCTS = {
    1: TaggableProduct(1, ProductStatus.ACTIVE, visible=True),
    2: TaggableProduct(2, ProductStatus.ACTIVE, visible=True),
    3: TaggableProduct(3, ProductStatus.DRAFT, visible=True),  # the tagging merchant's own draft
    4: TaggableProduct(4, ProductStatus.DRAFT, visible=False),
    5: TaggableProduct(5, ProductStatus.ARCHIVED, visible=True),
}
SKUS = {10: 1, 20: 2}


def errors(*tags: TagDraft, media: list[MediaSlot] | None = None) -> set[tuple[tuple, ErrorCode]]:
    found = validate_tags(tags, [IMAGE, VIDEO] if media is None else media, PRODUCTS, SKUS)
    return {(e.field, e.code) for e in found}


def test_good_tags_pass() -> None:
    assert (
        errors(
            TagDraft(1, 0, sku_id=10, x=0.0, y=1.0),
            TagDraft(2, 1, timestamp_ms=15_000),
            TagDraft(2, 1, x=0.3, y=0.4, timestamp_ms=0),
            TagDraft(1, 1),
        )
        == set()
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (TagDraft(0, 0, x=0.5, y=0.5), {((0, "productId"), ErrorCode.NOT_FOUND)}),
        (TagDraft(99, 0, x=0.5, y=0.5), {((0, "productId"), ErrorCode.NOT_FOUND)}),
        (TagDraft(4, 0, x=0.5, y=0.5), {((0, "productId"), ErrorCode.NOT_FOUND)}),
        (TagDraft(3, 0, x=0.5, y=0.5), {((0, "productId"), ErrorCode.INVALID)}),
        (TagDraft(5, 0, x=0.5, y=0.5), {((0, "productId"), ErrorCode.INVALID)}),
        (TagDraft(1, 0, sku_id=20, x=0.5, y=0.5), {((0, "skuId"), ErrorCode.INVALID)}),
        (TagDraft(1, 0, sku_id=0, x=0.5, y=0.5), {((0, "skuId"), ErrorCode.NOT_FOUND)}),
        (TagDraft(1, 2, x=0.5, y=0.5), {((0, "mediaIndex"), ErrorCode.INVALID)}),
        (TagDraft(1, -1, x=0.5, y=0.5), {((0, "mediaIndex"), ErrorCode.INVALID)}),
        (TagDraft(1, 0, x=1.5, y=-0.1), {((0, "x"), ErrorCode.INVALID), ((0, "y"), ErrorCode.INVALID)}),
        (TagDraft(1, 0, x=float("nan"), y=0.5), {((0, "x"), ErrorCode.INVALID)}),
        (TagDraft(1, 0), {((0, "x"), ErrorCode.REQUIRED), ((0, "y"), ErrorCode.REQUIRED)}),
        (TagDraft(1, 0, x=0.5, y=0.5, timestamp_ms=10), {((0, "timestampMs"), ErrorCode.INVALID)}),
        (TagDraft(1, 1, timestamp_ms=15_001), {((0, "timestampMs"), ErrorCode.INVALID)}),
        (TagDraft(1, 1, timestamp_ms=-1), {((0, "timestampMs"), ErrorCode.INVALID)}),
    ],
)
def test_each_bad_tag_is_reported_at_its_path(tag: TagDraft, expected: set) -> None:
    assert {(field[1:], code) for field, code in errors(tag)} == expected
    assert all(field[0] == "productTags" for field, _ in errors(tag))


def test_at_most_twenty_tags() -> None:
    tags = [TagDraft(1, 0, x=i / 100, y=0.5) for i in range(MAX_TAGS_PER_POST + 1)]
    assert errors(*tags) == {(("productTags",), ErrorCode.LIMIT_EXCEEDED)}
    assert errors(*tags[:-1]) == set()


def test_at_most_five_tags_per_spot() -> None:
    # 0.501 and 0.498 are the same spot to 0.01; a different media index is another spot.
    same_spot = [TagDraft(1 + i % 2, 0, x=0.501 - i * 0.0005, y=0.3) for i in range(MAX_TAGS_PER_POINT + 2)]
    assert errors(*same_spot) == {
        (("productTags", 5), ErrorCode.LIMIT_EXCEEDED),
        (("productTags", 6), ErrorCode.LIMIT_EXCEEDED),
    }
    moments = [TagDraft(1, 1, timestamp_ms=500) for _ in range(MAX_TAGS_PER_POINT + 1)]
    assert errors(*moments) == {(("productTags", 5), ErrorCode.LIMIT_EXCEEDED)}
    spread = [TagDraft(1, 1, timestamp_ms=500 + i) for i in range(MAX_TAGS_PER_POINT + 1)]
    assert errors(*spread) == set()


def test_positions_are_not_checked_when_the_media_are_invalid() -> None:
    found = validate_tags([TagDraft(1, 7), TagDraft(99, 0)], None, PRODUCTS, SKUS)
    assert {(e.field, e.code) for e in found} == {(("productTags", 1, "productId"), ErrorCode.NOT_FOUND)}
