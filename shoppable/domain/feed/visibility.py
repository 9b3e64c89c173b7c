"""Served items are checked again each time their page is read: a page replayed later, or an item
served a moment before it was unpublished, removed or taken off sale, must not show it.

Records are read by shape (id, status, ...), so the feed does not depend on how the content and
catalog packages lay out their modules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, TypeVar

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor

PUBLISHED = "PUBLISHED"
"""The status of a post shoppers may see (the content domain's PostStatus.PUBLISHED)."""


class PostState(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def deleted_at(self) -> datetime | None: ...


class ProductState(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def merchant_id(self) -> int: ...

    @property
    def status(self) -> str: ...


P = TypeVar("P", bound=PostState)
R = TypeVar("R", bound=ProductState)


def post_showable(post: PostState) -> bool:
    """Published and not deleted."""
    return post.status == PUBLISHED and post.deleted_at is None


def product_showable(actor: Actor, product: ProductState) -> bool:
    """On sale: the feed never shows drafts, not even to their merchant (who sees them elsewhere)."""
    return product.status == ProductStatus.ACTIVE and policy.can_see_product(
        actor, product.merchant_id, product.status
    )


def showable_posts(posts: Iterable[P | None]) -> dict[int, P]:
    """The loaded posts that may still be shown, by id (None: no longer exists)."""
    return {post.id: post for post in posts if post is not None and post_showable(post)}


def showable_products(actor: Actor, products: Iterable[R | None]) -> dict[int, R]:
    return {p.id: p for p in products if p is not None and product_showable(actor, p)}
