"""Lists of posts load, for the whole page at once, the relations the query selects on them, so that
every post's fields answer without a task of their own; `Product.featuredIn` is one such list."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

from shoppable.domain.content import posts as post_operations
from shoppable.domain.content import records
from shoppable.graphql.content.types.posts import Post
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.lookahead import selected_below


async def featured_in(info: Info, product_id: int, first: int | None, after: str | None) -> Connection[Post]:
    """`Product.featuredIn`: published posts tagging the product, newest first."""
    request = page_request(info.context.cursors, "featuredIn", first, after)
    page = await post_operations.featured_in(info.context.uow, product_id, request)
    await prefetch_posts(info, page.items, "edges", "node")
    return connection(info.context.cursors, "featuredIn", page, Post.of, had_cursor=after is not None)


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
    if fields & {"creator", "saveCount", "moderation"}:
        creator_ids = sorted({p.creator_id for p in posts})
        jobs.append(_prefetch_creators(info, creator_ids, selected_below(info, *path, "creator")))
    if "media" in fields:
        jobs.append(_prefetch_media(info, ids, selected_below(info, *path, "media")))
    if "productTags" in fields:
        jobs.append(_prefetch_tags(info, ids, *path))
    if "mentions" in fields:
        handles = sorted({handle for p in posts for handle in p.mentions})
        jobs.append(loaders.creator_by_handle.load_many(handles))
    if "disclosure" in fields:
        partners = sorted({p.disclosure.partner_id for p in posts if p.disclosure})
        jobs.append(catalog.merchant_by_id.load_many(partners))
    if "moderation" in fields:
        jobs.append(loaders.decision_by_post_id.load_many(ids))
    if viewer is not None and "viewerHasLiked" in fields:
        jobs.append(loaders.viewer_liked.load_many([(viewer, i) for i in ids]))
    if viewer is not None and "viewerHasSaved" in fields:
        jobs.append(loaders.viewer_saved.load_many([(viewer, i) for i in ids]))
    await asyncio.gather(*jobs)


async def _prefetch_creators(info: Info, creator_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    creators = [c for c in await loaders.creator_by_id.load_many(creator_ids) if c is not None]
    viewer = info.context.actor.user_id
    jobs: list[Awaitable[Any]] = []
    if viewer is not None and "viewerFollows" in fields:
        jobs.append(loaders.viewer_follows.load_many([(viewer, c.id) for c in creators]))
    avatars = sorted({c.avatar_media_id for c in creators if c.avatar_media_id is not None})
    if "avatar" in fields and avatars:
        jobs.append(_prefetch_media_by_id(info, avatars))
    await asyncio.gather(*jobs)


async def _prefetch_media_by_id(info: Info, media_ids: list[int]) -> None:
    loaders = info.context.loaders.content
    await loaders.media_by_id.load_many(media_ids)
    await loaders.renditions_by_media_id.load_many(media_ids)


async def _prefetch_media(info: Info, post_ids: list[int], fields: set[str]) -> None:
    loaders = info.context.loaders.content
    media = [m for found in await loaders.media_by_post_id.load_many(post_ids) for m in found]
    if fields & {"url", "contentType", "renditions"}:
        await loaders.renditions_by_media_id.load_many(sorted({m.id for m in media}))


async def _prefetch_tags(info: Info, post_ids: list[int], *path: str) -> None:
    catalog = info.context.loaders.catalog
    tags = [
        t for found in await info.context.loaders.content.tags_by_post_id.load_many(post_ids) for t in found
    ]
    products = await catalog.product_by_id.load_many(sorted({t.product_id for t in tags}))
    jobs: list[Awaitable[Any]] = [
        catalog.prefetch_for(
            [p for p in products if p is not None], selected_below(info, *path, "productTags", "product")
        )
    ]
    sku_ids = sorted({t.sku_id for t in tags if t.sku_id is not None})
    if sku_ids and "sku" in selected_below(info, *path, "productTags"):
        jobs.append(catalog.sku_by_id.load_many(sku_ids))
    await asyncio.gather(*jobs)
