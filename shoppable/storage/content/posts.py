"""Posts: their carousel, product tags and disclosure, and the lists of posts clients scroll."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.sql import Select

from shoppable.domain.catalog.records import Product
from shoppable.domain.content.records import (
    Creator,
    Disclosure,
    DisclosureKind,
    PartnershipStatus,
    Post,
    PostCard,
    PostContent,
    PostStatus,
    ProductTag,
)
from shoppable.domain.pagination import Key, Page, PageRequest, page_from_rows
from shoppable.storage.catalog import product_from_row
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.content.creators import creator_from_row, creators, follows
from shoppable.storage.content.media import post_media
from shoppable.storage.identity import merchant_from_row, merchants
from shoppable.storage.sql import IDS, Prefixed, chunks, ids_param, micros, newest_first_after, table_of
from shoppable.storage.tables import LikeRow, PostHashtagRow, PostRow, ProductRow, ProductTagRow
from shoppable.storage.types import utcnow

posts = table_of(PostRow)
tags = table_of(ProductTagRow)
products = table_of(ProductRow)
hashtags = table_of(PostHashtagRow)
likes = table_of(LikeRow)


def post_from_row(row: Any) -> Post:
    disclosure = (
        Disclosure(
            DisclosureKind(row.disclosure_kind),
            row.disclosure_partner_id,
            PartnershipStatus(row.disclosure_status or PartnershipStatus.PENDING.value),
        )
        if row.disclosure_kind and row.disclosure_partner_id
        else None
    )
    return Post(
        id=row.id,
        creator_id=row.creator_id,
        caption=row.caption,
        hashtags=tuple(row.hashtags or ()),
        mentions=tuple(row.mentions or ()),
        status=PostStatus(row.status),
        disclosure=disclosure,
        like_count=row.like_count,
        save_count=row.save_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        listed_at=row.listed_at,
        deleted_at=row.deleted_at,
    )


def tag_from_row(row: Any) -> ProductTag:
    return ProductTag(
        post_id=row.post_id,
        position=row.position,
        product_id=row.product_id,
        sku_id=row.sku_id,
        media_index=row.media_index,
        x=row.x,
        y=row.y,
        timestamp_ms=row.timestamp_ms,
    )


def post_key(post: Post) -> Key:
    return (micros(post.listed_at), post.id)


def _content_values(content: PostContent) -> dict[str, Any]:
    return {
        "caption": content.caption,
        "hashtags": list(content.hashtags),
        "mentions": list(content.mentions),
        "disclosure_kind": content.disclosure.kind.value if content.disclosure else None,
        "disclosure_partner_id": content.disclosure.partner_id if content.disclosure else None,
        "disclosure_status": content.disclosure.status.value if content.disclosure else None,
    }


@functools.cache
def _post_cards(*, with_tags: bool, liked: bool, followed: bool, with_partner: bool) -> Select[Any]:
    """The posts among `IDS` joined to their creators and, when asked, outer-joined to their partner
    merchant and their tags (one row per tag, or one for a post without any); the `viewer`'s like
    and follow are EXISTS columns. Built once per shape (see `ids_param`)."""
    columns: list[Any] = [column.label(f"creator__{column.name}") for column in creators.c]
    if with_tags:
        columns += [column.label(f"tag__{column.name}") for column in tags.c]
    if with_partner:
        columns += [column.label(f"partner__{column.name}") for column in merchants.c]
    viewer: BindParameter[int] = bindparam("viewer")
    if liked:
        columns.append(
            exists().where(likes.c.user_id == viewer, likes.c.post_id == posts.c.id).label("liked")
        )
    if followed:
        columns.append(
            exists()
            .where(follows.c.user_id == viewer, follows.c.creator_id == posts.c.creator_id)
            .label("follows")
        )
    statement = (
        select(posts, *columns)
        .join(creators, creators.c.id == posts.c.creator_id)
        .where(posts.c.id.in_(ids_param()))
    )
    if with_partner:
        statement = statement.outerjoin(merchants, merchants.c.id == posts.c.disclosure_partner_id)
    if with_tags:
        statement = statement.outerjoin(tags, tags.c.post_id == posts.c.id).order_by(
            posts.c.id, tags.c.position
        )
    return statement


class SqlPosts(SqlRepositoryPart):
    async def add_post(self, creator_id: int, content: PostContent) -> int:
        now = utcnow()
        values = _content_values(content) | {
            "creator_id": creator_id,
            "status": PostStatus.DRAFT.value,
            "like_count": 0,
            "save_count": 0,
            "created_at": now,
            "updated_at": now,
            "listed_at": now,
        }
        post_id = (await self.uow.execute(insert(posts).values(**values).returning(posts.c.id))).scalar_one()
        await self._write_parts(post_id, content)
        return int(post_id)

    async def set_partnership_status(self, post_id: int, status: PartnershipStatus) -> None:
        await self.uow.execute(
            update(posts).where(posts.c.id == post_id).values(disclosure_status=status.value)
        )

    async def replace_post_content(self, post_id: int, content: PostContent) -> None:
        await self.uow.execute(
            update(posts).where(posts.c.id == post_id).values(**_content_values(content), updated_at=utcnow())
        )
        await self.uow.execute(delete(post_media).where(post_media.c.post_id == post_id))
        await self.uow.execute(delete(tags).where(tags.c.post_id == post_id))
        await self.uow.execute(delete(hashtags).where(hashtags.c.post_id == post_id))
        await self._write_parts(post_id, content)

    async def _write_parts(self, post_id: int, content: PostContent) -> None:
        if content.hashtags:  # for `posts(hashtag:)`
            await self.uow.execute(
                insert(hashtags),
                [{"post_id": post_id, "hashtag": h} for h in dict.fromkeys(content.hashtags)],
            )
        await self.uow.execute(
            insert(post_media),
            [{"post_id": post_id, "media_id": m, "position": i} for i, m in enumerate(content.media_ids)],
        )
        if content.tags:
            await self.uow.execute(
                insert(tags),
                [
                    {
                        "post_id": post_id,
                        "position": i,
                        "product_id": t.product_id,
                        "sku_id": t.sku_id,
                        "media_index": t.media_index,
                        "x": t.x,
                        "y": t.y,
                        "timestamp_ms": t.timestamp_ms,
                    }
                    for i, t in enumerate(content.tags)
                ],
            )

    async def set_post_status(self, post_id: int, status: PostStatus, *, publish_at: datetime | None) -> None:
        values: dict[str, Any] = {"status": status.value, "updated_at": utcnow()}
        if publish_at is not None:
            values |= {"published_at": publish_at, "listed_at": publish_at}
        await self.uow.execute(update(posts).where(posts.c.id == post_id).values(**values))

    async def delete_post(self, post_id: int, at: datetime) -> None:
        await self.uow.execute(
            update(posts).where(posts.c.id == post_id).values(deleted_at=at, updated_at=at)
        )

    async def get_posts(self, ids: Sequence[int]) -> list[Post]:
        found: list[Post] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(posts).where(posts.c.id.in_(chunk)))
            found.extend(post_from_row(r) for r in rows)
        return found

    async def posts_with_creators(self, ids: Sequence[int]) -> list[tuple[Post, Creator]]:
        creator_columns = [column.label(f"creator__{column.name}") for column in creators.c]
        found: list[tuple[Post, Creator]] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(
                select(posts, *creator_columns)
                .join(creators, creators.c.id == posts.c.creator_id)
                .where(posts.c.id.in_(chunk))
            )
            found.extend((post_from_row(r), creator_from_row(Prefixed(r, "creator__"))) for r in rows)
        return found

    async def post_cards(
        self,
        ids: Sequence[int],
        *,
        with_tags: bool = False,
        viewer: int | None = None,
        with_liked: bool = False,
        with_follows: bool = False,
        with_partner: bool = False,
    ) -> list[PostCard]:
        liked = viewer is not None and with_liked
        followed = viewer is not None and with_follows
        statement = _post_cards(
            with_tags=with_tags, liked=liked, followed=followed, with_partner=with_partner
        )
        found: list[PostCard] = []
        for chunk in chunks(list(ids)):
            for r in await self.uow.execute(statement, {IDS: list(chunk), "viewer": viewer}):
                if not found or found[-1].post.id != r.id:
                    found.append(
                        PostCard(
                            post_from_row(r),
                            creator_from_row(Prefixed(r, "creator__")),
                            [] if with_tags else None,
                            bool(r.liked) if liked else None,
                            bool(r.follows) if followed else None,
                            merchant_from_row(Prefixed(r, "partner__"))
                            if with_partner and r.partner__id is not None
                            else None,
                        )
                    )
                if with_tags and r.tag__id is not None:
                    found[-1].tags.append(tag_from_row(Prefixed(r, "tag__")))  # type: ignore[union-attr]
        return found

    async def tags_of_posts(self, post_ids: Sequence[int]) -> list[ProductTag]:
        found: list[ProductTag] = []
        for chunk in chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(tags).where(tags.c.post_id.in_(chunk)).order_by(tags.c.post_id, tags.c.position)
            )
            found.extend(tag_from_row(r) for r in rows)
        return found

    async def list_creator_posts(
        self, creator_id: int, statuses: frozenset[PostStatus], page: PageRequest
    ) -> Page[Post]:
        stmt = select(posts).where(
            posts.c.creator_id == creator_id,
            posts.c.status.in_(sorted(s.value for s in statuses)),
            posts.c.deleted_at.is_(None),
        )
        return await self._post_page(stmt, page)

    async def list_posts_tagging(self, product_id: int, page: PageRequest) -> Page[Post]:
        tagged = select(tags.c.post_id).where(tags.c.product_id == product_id)
        stmt = select(posts).where(
            posts.c.id.in_(tagged),
            posts.c.status == PostStatus.PUBLISHED.value,
            posts.c.deleted_at.is_(None),
        )
        return await self._post_page(stmt, page)

    async def list_hashtag_posts(self, hashtag: str, page: PageRequest) -> Page[Post]:
        tagged = select(hashtags.c.post_id).where(hashtags.c.hashtag == hashtag)
        stmt = select(posts).where(
            posts.c.id.in_(tagged),
            posts.c.status == PostStatus.PUBLISHED.value,
            posts.c.deleted_at.is_(None),
        )
        return await self._post_page(stmt, page)

    async def _post_page(self, stmt: Any, page: PageRequest) -> Page[Post]:
        """Newest first by `listed_at`, keyset (listed_at, id)."""
        if page.after is not None:
            stmt = stmt.where(newest_first_after(posts.c.listed_at, posts.c.id, page.after))
        stmt = stmt.order_by(posts.c.listed_at.desc(), posts.c.id.desc()).limit(page.first + 1)
        rows = (await self.uow.execute(stmt)).all()
        return page_from_rows([post_from_row(r) for r in rows], page, post_key)

    async def list_creator_products(self, creator_id: int, page: PageRequest) -> Page[Product]:
        """Active products tagged in the creator's published posts, by their latest such post."""
        last_tagged = func.max(posts.c.listed_at)
        stmt = (
            select(products, last_tagged.label("last_tagged"))
            .select_from(
                tags.join(posts, posts.c.id == tags.c.post_id).join(
                    products, products.c.id == tags.c.product_id
                )
            )
            .where(
                posts.c.creator_id == creator_id,
                posts.c.status == PostStatus.PUBLISHED.value,
                posts.c.deleted_at.is_(None),
                products.c.status == "ACTIVE",
            )
            .group_by(products.c.id)
        )
        if page.after is not None:
            stmt = stmt.having(newest_first_after(last_tagged, products.c.id, page.after))
        stmt = stmt.order_by(last_tagged.desc(), products.c.id.desc()).limit(page.first + 1)
        rows = (await self.uow.execute(stmt)).all()
        pairs = [(micros(r.last_tagged), product_from_row(r)) for r in rows]
        found = page_from_rows(pairs, page, lambda pair: (pair[0], pair[1].id))
        return Page(items=[p for _, p in found.items], keys=found.keys, has_next=found.has_next)
