"""Creators and follows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update

from shoppable.domain.content.records import Creator
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.model import UNFOLLOWED
from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.sql import chunks, insert_if_absent, table_of
from shoppable.storage.tables import CreatorRow, EventRow, FollowRow
from shoppable.storage.types import utcnow

creators = table_of(CreatorRow)
follows = table_of(FollowRow)


async def followed_among(part: SqlRepositoryPart, user_id: int, creator_ids: Sequence[int]) -> set[int]:
    """Which of `creator_ids` the user follows (chunked: any number of ids)."""
    found: set[int] = set()
    for chunk in chunks(list(creator_ids)):
        rows = await part.uow.execute(
            select(follows.c.creator_id).where(follows.c.user_id == user_id, follows.c.creator_id.in_(chunk))
        )
        found.update(r[0] for r in rows)
    return found


events = table_of(EventRow)


def creator_from_row(row: Any) -> Creator:
    return Creator(
        id=row.id,
        user_id=row.user_id,
        handle=row.handle,
        display_name=row.display_name,
        bio=row.bio,
        avatar_media_id=row.avatar_media_id,
        follower_count=row.follower_count,
        created_at=row.created_at,
    )


class SqlCreators(SqlRepositoryPart):
    async def get_creators(self, ids: Sequence[int]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(creators).where(creators.c.id.in_(chunk)))
            found.extend(creator_from_row(r) for r in rows)
        return found

    async def creators_of_users(self, user_ids: Sequence[int]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in chunks(list(user_ids)):
            rows = await self.uow.execute(select(creators).where(creators.c.user_id.in_(chunk)))
            found.extend(creator_from_row(r) for r in rows)
        return found

    async def creators_by_handles(self, handles: Sequence[str]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in chunks(list(handles)):
            rows = await self.uow.execute(select(creators).where(creators.c.handle.in_(chunk)))
            found.extend(creator_from_row(r) for r in rows)
        return found

    async def add_creator(
        self, user_id: int, handle: str, display_name: str, bio: str, avatar_media_id: int | None
    ) -> Creator:
        values = CreatorRow(
            user_id=user_id,
            handle=handle,
            display_name=display_name,
            bio=bio,
            avatar_media_id=avatar_media_id,
        ).model_dump(exclude={"id"})
        row = (
            await self.uow.execute(insert_if_absent(self.uow, creators).values(**values).returning(creators))
        ).first()
        if row is None:  # lost a race for the handle (or the user became a creator meanwhile)
            raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
        return creator_from_row(row)

    async def add_follow(self, user_id: int, creator_id: int) -> bool:
        values = {"user_id": user_id, "creator_id": creator_id, "created_at": utcnow()}
        inserted = (
            await self.uow.execute(
                insert_if_absent(self.uow, follows).values(**values).returning(follows.c.id)
            )
        ).first()
        if inserted is not None:
            await self.uow.execute(
                update(creators)
                .where(creators.c.id == creator_id)
                .values(follower_count=creators.c.follower_count + 1)
            )
        return inserted is not None

    async def remove_follow(self, user_id: int, creator_id: int) -> bool:
        result = await self.uow.execute(
            delete(follows).where(follows.c.user_id == user_id, follows.c.creator_id == creator_id)
        )
        removed = bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's CursorResult has it
        if removed:
            await self.uow.execute(
                update(creators)
                .where(creators.c.id == creator_id)
                .values(follower_count=creators.c.follower_count - 1)
            )
            now = utcnow()
            # The follow row is gone; the unfollow stays as a server event (the experiments' guardrail).
            await self.uow.execute(
                insert_if_absent(self.uow, events).values(
                    # '#' never appears in a client's event id, so a client cannot collide with these.
                    event_id=f"#unfollow-{creator_id}-{now.timestamp():.6f}",
                    actor_key=f"u:{user_id}",
                    user_id=user_id,
                    device_id=None,
                    type=UNFOLLOWED,
                    subject_type="Creator",
                    subject_id=creator_id,
                    channel="OTHER",
                    position=None,
                    occurred_at=now,
                    received_at=now,
                )
            )
        return removed

    async def followed_creator_ids(self, user_id: int, creator_ids: Sequence[int]) -> set[int]:
        return await followed_among(self, user_id, creator_ids)

    async def list_following(self, user_id: int, page: PageRequest) -> Page[Creator]:
        """Most recently followed first, keyset on the follow's id."""
        stmt = (
            select(follows.c.id.label("follow_id"), creators)
            .join(creators, creators.c.id == follows.c.creator_id)
            .where(follows.c.user_id == user_id)
        )
        if page.after is not None:
            stmt = stmt.where(follows.c.id < int(page.after[0]))
        rows = (await self.uow.execute(stmt.order_by(follows.c.id.desc()).limit(page.first + 1))).all()
        pairs = [(r.follow_id, creator_from_row(r)) for r in rows]
        found = page_from_rows(pairs, page, lambda pair: (pair[0],))
        return Page(items=[c for _, c in found.items], keys=found.keys, has_next=found.has_next)

    async def search_creators(self, text: str, page: PageRequest) -> Page[Creator]:
        """Creators whose handle is or starts with `text`, then those whose name contains it; within
        each, the most followed first. Keyset on (match rank, followers, id)."""
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        handle_prefix = creators.c.handle.like(escaped + "%", escape="\\")
        name_match = func.lower(creators.c.display_name).like("%" + escaped + "%", escape="\\")
        rank = case((creators.c.handle == text, 0), (handle_prefix, 1), else_=2)
        stmt = select(creators, rank.label("match_rank")).where(or_(handle_prefix, name_match))
        if page.after is not None:
            after_rank, after_followers, after_id = (int(v) for v in page.after)
            stmt = stmt.where(
                or_(
                    rank > after_rank,
                    (rank == after_rank) & (creators.c.follower_count < after_followers),
                    (rank == after_rank)
                    & (creators.c.follower_count == after_followers)
                    & (creators.c.id < after_id),
                )
            )
        stmt = stmt.order_by(rank, creators.c.follower_count.desc(), creators.c.id.desc()).limit(
            page.first + 1
        )
        rows = (await self.uow.execute(stmt)).all()
        ranked = [(int(r.match_rank), creator_from_row(r)) for r in rows]
        found = page_from_rows(ranked, page, lambda pair: (pair[0], pair[1].follower_count, pair[1].id))
        return Page(items=[c for _, c in found.items], keys=found.keys, has_next=found.has_next)
