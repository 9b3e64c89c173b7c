"""Lists of posts load, for the whole page at once, the relations the query selects on them, so that
every post's fields answer without a task of their own; `Product.featuredIn` is one such list."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from shoppable.domain.catalog.records import Product as ProductRecord
from shoppable.domain.content import posts as post_operations
from shoppable.domain.content import records
from shoppable.graphql.content.types.posts import Post
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.lookahead import field_names, selected_below

# What each relation is loaded for, by the GraphQL fields that need it.
POST_CREATOR = field_names("Post", "creator", "saveCount", "moderation")
POST_MEDIA = field_names("Post", "media")
POST_TAGS = field_names("Post", "productTags")
POST_MENTIONS = field_names("Post", "mentions")
POST_DISCLOSURE = field_names("Post", "disclosure")
POST_MODERATION = field_names("Post", "moderation")
POST_LIKED = field_names("Post", "viewerHasLiked")
POST_SAVED = field_names("Post", "viewerHasSaved")
CREATOR_FOLLOWS = field_names("Creator", "viewerFollows")
CREATOR_AVATAR = field_names("Creator", "avatar")
MEDIA_RENDITIONS = field_names("Media", "url", "contentType", "renditions")
TAG_SKU = field_names("ProductTag", "sku")
# Path steps below a post.
(CREATOR,) = field_names("Post", "creator")
(MEDIA,) = field_names("Post", "media")
(PRODUCT_TAGS,) = field_names("Post", "productTags")
(PRODUCT,) = field_names("ProductTag", "product")


async def featured_in(info: Info, product_id: int, first: int | None, after: str | None) -> Connection[Post]:
    """`Product.featuredIn`: published posts tagging the product, newest first."""
    request = page_request(info.context.cursors, "featuredIn", first, after)
    page = await post_operations.featured_in(info.context.uow, product_id, request)
    await prefetch_posts(info, page.items, "edges", "node")
    return connection(info.context.cursors, "featuredIn", page, Post.of, had_cursor=after is not None)


async def load_cards(
    info: Info, post_ids: Sequence[int], product_ids: Sequence[int], *path: str
) -> tuple[list[records.Post | None], list[ProductRecord | None]]:
    """Posts and products of a mixed list (the feed, at `path`), in order, with the relations the
    query selects on the products loaded for the listed products and those the posts tag together.

    The posts are one statement with their creators, their tags and what the viewer did (liked the
    post, follows the creator), as the query selects them; the tags are known before the products
    are read, so listed and tagged products are one statement (with their merchants, and one more
    for their SKUs and images together) instead of two rounds of the same statements."""
    content, catalog = info.context.loaders.content, info.context.loaders.catalog
    fields = selected_below(info, *path)
    tagging = post_ids if fields & POST_TAGS else []
    posts = await content.load_post_cards(
        post_ids,
        tags=bool(tagging),
        viewer=info.context.actor.user_id,
        liked=bool(fields & POST_LIKED),
        follows=bool(selected_below(info, *path, CREATOR) & CREATOR_FOLLOWS),
        # Disclosed partners come with the posts, as the products' merchants come with the products.
        partners=catalog.merchant_by_id if fields & POST_DISCLOSURE else None,
    )
    tag_lists = await content.tags_by_post_id.load_many(list(tagging))  # read with the posts
    tagged = sorted({tag.product_id for found in tag_lists for tag in found})
    products = await catalog.product_by_id.load_many([*product_ids, *tagged])
    if tagged:
        fields = fields | selected_below(info, *path, PRODUCT_TAGS, PRODUCT)
    # Disclosed partners were read with the posts (those of posts the request had read before load
    # here, in one statement with any products' merchants not loaded yet).
    partners = (
        sorted({p.disclosure.partner_id for p in posts if p and p.disclosure})
        if fields & POST_DISCLOSURE
        else []
    )
    await catalog.prefetch_for([p for p in products if p is not None], fields, also_merchants=partners)
    return posts, products[: len(product_ids)]


async def prefetch_posts(info: Info, posts: Sequence[records.Post], *path: str) -> None:
    """Load, for a whole page at once, the relations the query selects on its posts (at `path`
    below the current field), so that every post's fields answer without a task of their own."""
    loaders, catalog = info.context.loaders.content, info.context.loaders.catalog
    loaders.prime_posts(posts)
    if not posts:
        return
    fields = selected_below(info, *path)
    ids = [p.id for p in posts]
    viewer = info.context.actor.user_id
    jobs: list[Awaitable[Any]] = []
    creator_fields = selected_below(info, *path, CREATOR) if fields & POST_CREATOR else set()
    # The creators' viewerFollows is read with the posts' likes when both are selected: one statement.
    follows_with_likes = viewer is not None and bool(fields & POST_LIKED and creator_fields & CREATOR_FOLLOWS)
    if fields & POST_CREATOR:
        creator_ids = sorted({p.creator_id for p in posts})
        shown = creator_fields - CREATOR_FOLLOWS if follows_with_likes else creator_fields
        jobs.append(_prefetch_creators(info, creator_ids, shown))
    if fields & POST_MEDIA:
        jobs.append(_prefetch_media(info, ids, selected_below(info, *path, MEDIA)))
    if fields & POST_TAGS:
        jobs.append(_prefetch_tags(info, ids, *path))
    if fields & POST_MENTIONS:
        handles = sorted({handle for p in posts for handle in p.mentions})
        jobs.append(loaders.creator_by_handle.load_many(handles))
    if fields & POST_DISCLOSURE:
        partners = sorted({p.disclosure.partner_id for p in posts if p.disclosure})
        jobs.append(catalog.merchant_by_id.load_many(partners))
    if fields & POST_MODERATION:
        jobs.append(loaders.decision_by_post_id.load_many(ids))
    if viewer is not None and fields & POST_LIKED:
        followed = sorted({p.creator_id for p in posts}) if follows_with_likes else []
        jobs.append(loaders.load_liked_and_follows(viewer, ids, followed))
    if viewer is not None and fields & POST_SAVED:
        jobs.append(loaders.viewer_saved.load_many([(viewer, i) for i in ids]))
    await asyncio.gather(*jobs)


async def _prefetch_creators(info: Info, creator_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    creators = [c for c in await loaders.creator_by_id.load_many(creator_ids) if c is not None]
    viewer = info.context.actor.user_id
    jobs: list[Awaitable[Any]] = []
    if viewer is not None and fields & CREATOR_FOLLOWS:
        jobs.append(loaders.viewer_follows.load_many([(viewer, c.id) for c in creators]))
    avatars = sorted({c.avatar_media_id for c in creators if c.avatar_media_id is not None})
    if fields & CREATOR_AVATAR and avatars:
        jobs.append(_prefetch_media_by_id(info, avatars))
    await asyncio.gather(*jobs)


async def _prefetch_media_by_id(info: Info, media_ids: list[int]) -> None:
    loaders = info.context.loaders.content
    await loaders.media_by_id.load_many(media_ids)
    await loaders.renditions_by_media_id.load_many(media_ids)


async def _prefetch_media(info: Info, post_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    media = [m for found in await loaders.media_by_post_id.load_many(post_ids) for m in found]
    if fields & MEDIA_RENDITIONS:
        await loaders.renditions_by_media_id.load_many(sorted({m.id for m in media}))


async def _prefetch_tags(info: Info, post_ids: list[int], *path: str) -> None:
    catalog = info.context.loaders.catalog
    tags = [
        t for found in await info.context.loaders.content.tags_by_post_id.load_many(post_ids) for t in found
    ]
    products = await catalog.product_by_id.load_many(sorted({t.product_id for t in tags}))
    jobs: list[Awaitable[Any]] = [
        catalog.prefetch_for(
            [p for p in products if p is not None], selected_below(info, *path, PRODUCT_TAGS, PRODUCT)
        )
    ]
    sku_ids = sorted({t.sku_id for t in tags if t.sku_id is not None})
    if sku_ids and TAG_SKU & selected_below(info, *path, PRODUCT_TAGS):
        jobs.append(catalog.sku_by_id.load_many(sku_ids))
    await asyncio.gather(*jobs)
