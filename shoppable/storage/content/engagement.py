"""Likes and saves: one row per user and post, and a counter on the post kept in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, delete, literal, select, union_all, update

from shoppable.domain.content.records import Post, PostStatus
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.content.creators import followed_among, follows
from shoppable.storage.content.posts import post_from_row, posts
from shoppable.storage.sql import IN_CHUNK, chunks, insert_if_absent, table_of
from shoppable.storage.tables import LikeRow, SaveRow
from shoppable.storage.types import utcnow

likes = table_of(LikeRow)
saves = table_of(SaveRow)


class SqlEngagement(SqlRepositoryPart):
    async def add_like(self, user_id: int, post_id: int) -> bool:
        return await self._add_reaction(likes, "like_count", user_id, post_id)

    async def remove_like(self, user_id: int, post_id: int) -> bool:
        return await self._remove_reaction(likes, "like_count", user_id, post_id)

    async def liked_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        return await self._reacted(likes, user_id, post_ids)

    async def liked_and_followed(
        self, user_id: int, post_ids: Sequence[int], creator_ids: Sequence[int]
    ) -> tuple[set[int], set[int]]:
        """Which of `post_ids` the user liked and which of `creator_ids` they follow: one statement
        (UNION ALL) for a page of posts, where a post shows both."""
        if len(post_ids) + len(creator_ids) > IN_CHUNK:
            liked_ids = await self.liked_post_ids(user_id, post_ids)
            return liked_ids, await followed_among(self, user_id, creator_ids)
        liked = select(literal("like").label("kind"), likes.c.post_id.label("pk")).where(
            likes.c.user_id == user_id, likes.c.post_id.in_(list(post_ids))
        )
        followed = select(literal("follow").label("kind"), follows.c.creator_id.label("pk")).where(
            follows.c.user_id == user_id, follows.c.creator_id.in_(list(creator_ids))
        )
        found: dict[str, set[int]] = {"like": set(), "follow": set()}
        for row in await self.uow.execute(union_all(liked, followed)):
            found[row.kind].add(row.pk)
        return found["like"], found["follow"]

    async def add_save(self, user_id: int, post_id: int) -> bool:
        return await self._add_reaction(saves, "save_count", user_id, post_id)

    async def remove_save(self, user_id: int, post_id: int) -> bool:
        return await self._remove_reaction(saves, "save_count", user_id, post_id)

    async def saved_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        return await self._reacted(saves, user_id, post_ids)

    async def list_saved_posts(self, user_id: int, page: PageRequest) -> Page[Post]:
        """Most recently saved first, keyset on the save's id; posts no longer public drop out."""
        return await self._reacted_posts(saves, user_id, page)

    async def list_liked_posts(self, user_id: int, page: PageRequest) -> Page[Post]:
        return await self._reacted_posts(likes, user_id, page)

    async def _reacted_posts(self, reactions: Table, user_id: int, page: PageRequest) -> Page[Post]:
        stmt = (
            select(reactions.c.id.label("reaction_id"), posts)
            .join(posts, posts.c.id == reactions.c.post_id)
            .where(
                reactions.c.user_id == user_id,
                posts.c.status == PostStatus.PUBLISHED.value,
                posts.c.deleted_at.is_(None),
            )
        )
        if page.after is not None:
            stmt = stmt.where(reactions.c.id < int(page.after[0]))
        rows = (await self.uow.execute(stmt.order_by(reactions.c.id.desc()).limit(page.first + 1))).all()
        pairs = [(r.reaction_id, post_from_row(r)) for r in rows]
        found = page_from_rows(pairs, page, lambda pair: (pair[0],))
        return Page(items=[p for _, p in found.items], keys=found.keys, has_next=found.has_next)

    async def _add_reaction(self, table: Table, counter: str, user_id: int, post_id: int) -> bool:
        values = {"user_id": user_id, "post_id": post_id, "created_at": utcnow()}
        inserted = (
            await self.uow.execute(insert_if_absent(self.uow, table).values(**values).returning(table.c.id))
        ).first()
        if inserted is not None:
            column = posts.c[counter]
            await self.uow.execute(update(posts).where(posts.c.id == post_id).values({counter: column + 1}))
        return inserted is not None

    async def _remove_reaction(self, table: Table, counter: str, user_id: int, post_id: int) -> bool:
        result = await self.uow.execute(
            delete(table).where(table.c.user_id == user_id, table.c.post_id == post_id)
        )
        removed = bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's CursorResult has it
        if removed:
            column = posts.c[counter]
            await self.uow.execute(update(posts).where(posts.c.id == post_id).values({counter: column - 1}))
        return removed

    async def _reacted(self, table: Table, user_id: int, post_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(table.c.post_id).where(table.c.user_id == user_id, table.c.post_id.in_(chunk))
            )
            found.update(r[0] for r in rows)
        return found
