"""SQL implementation of the content repository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from shoppable.domain.catalog.records import Product
from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.records import (
    Creator,
    Disclosure,
    DisclosureKind,
    Media,
    MediaRendition,
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    Post,
    PostContent,
    PostReport,
    PostStatus,
    ProductTag,
    Upload,
    UploadStatus,
)
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.pagination import Key, Page, PageRequest, page_from_rows
from shoppable.storage.catalog import product_from_row
from shoppable.storage.db import SqlTransaction
from shoppable.storage.tables import (
    CreatorRow,
    FollowRow,
    LikeRow,
    MediaRenditionRow,
    MediaRow,
    ModerationDecisionRow,
    PostMediaRow,
    PostReportRow,
    PostRow,
    ProductRow,
    ProductTagRow,
    SaveRow,
    UploadRow,
)
from shoppable.storage.types import utcnow

creators = CreatorRow.__table__
follows = FollowRow.__table__
uploads = UploadRow.__table__
media = MediaRow.__table__
media_renditions = MediaRenditionRow.__table__
posts = PostRow.__table__
post_media = PostMediaRow.__table__
tags = ProductTagRow.__table__
likes = LikeRow.__table__
saves = SaveRow.__table__
reports = PostReportRow.__table__
decisions = ModerationDecisionRow.__table__
products = ProductRow.__table__

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IN_CHUNK = 500


def micros(moment: datetime) -> int:
    """A timestamp as whole microseconds since the epoch: exact, and JSON-safe inside a cursor."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(value: int | str | float) -> datetime:
    return _EPOCH + timedelta(microseconds=int(value))


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _before(sort_column: Any, id_column: Any, after: Key) -> ColumnElement[bool]:
    """Rows after a cursor in (sort DESC, id DESC) order."""
    moment, row_id = from_micros(after[0]), int(after[1])
    return or_(sort_column < moment, and_(sort_column == moment, id_column < row_id))


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


def upload_from_row(row: Any) -> Upload:
    return Upload(
        id=row.id,
        user_id=row.user_id,
        key=row.key,
        filename=row.filename,
        content_type=row.content_type,
        kind=MediaKind(row.kind),
        byte_size=row.byte_size,
        status=UploadStatus(row.status),
        expires_at=row.expires_at,
        created_at=row.created_at,
        media_id=row.media_id,
    )


def media_from_row(row: Any) -> Media:
    return Media(
        id=row.id,
        owner_id=row.owner_id,
        kind=MediaKind(row.kind),
        key=row.key,
        content_type=row.content_type,
        byte_size=row.byte_size,
        width=row.width,
        height=row.height,
        duration_ms=row.duration_ms,
        created_at=row.created_at,
    )


def post_from_row(row: Any) -> Post:
    disclosure = (
        Disclosure(DisclosureKind(row.disclosure_kind), row.disclosure_partner_id)
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


def report_from_row(row: Any) -> PostReport:
    return PostReport(
        id=row.id,
        post_id=row.post_id,
        user_id=row.user_id,
        reason=ModerationReason(row.reason),
        details=row.details,
        created_at=row.created_at,
    )


def decision_from_row(row: Any) -> ModerationDecision:
    return ModerationDecision(
        id=row.id,
        post_id=row.post_id,
        action=ModerationAction(row.action),
        reason=ModerationReason(row.reason) if row.reason else None,
        statement=row.statement,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def post_key(post: Post) -> Key:
    return (micros(post.listed_at), post.id)


class SqlContentRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    def _insert_if_absent(self, table: Any) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING: concurrent duplicates are skipped, never an error."""
        dialect_insert = postgresql.insert if self.uow.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).on_conflict_do_nothing()

    # -- creators and follows -------------------------------------------------------------------

    async def get_creators(self, ids: Sequence[int]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in _chunks(list(ids)):
            rows = await self.uow.execute(select(creators).where(creators.c.id.in_(chunk)))
            found.extend(creator_from_row(r) for r in rows)
        return found

    async def creators_of_users(self, user_ids: Sequence[int]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in _chunks(list(user_ids)):
            rows = await self.uow.execute(select(creators).where(creators.c.user_id.in_(chunk)))
            found.extend(creator_from_row(r) for r in rows)
        return found

    async def creators_by_handles(self, handles: Sequence[str]) -> list[Creator]:
        found: list[Creator] = []
        for chunk in _chunks(list(handles)):
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
            await self.uow.execute(self._insert_if_absent(creators).values(**values).returning(creators))
        ).first()
        if row is None:  # lost a race for the handle (or the user became a creator meanwhile)
            raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
        return creator_from_row(row)

    async def add_follow(self, user_id: int, creator_id: int) -> bool:
        values = {"user_id": user_id, "creator_id": creator_id, "created_at": utcnow()}
        inserted = (
            await self.uow.execute(self._insert_if_absent(follows).values(**values).returning(follows.c.id))
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
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            await self.uow.execute(
                update(creators)
                .where(creators.c.id == creator_id)
                .values(follower_count=creators.c.follower_count - 1)
            )
        return removed

    async def followed_creator_ids(self, user_id: int, creator_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(list(creator_ids)):
            rows = await self.uow.execute(
                select(follows.c.creator_id).where(
                    follows.c.user_id == user_id, follows.c.creator_id.in_(chunk)
                )
            )
            found.update(r[0] for r in rows)
        return found

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

    # -- uploads and media ----------------------------------------------------------------------

    async def add_upload(
        self,
        user_id: int,
        key: str,
        filename: str,
        content_type: str,
        kind: MediaKind,
        byte_size: int,
        expires_at: datetime,
    ) -> Upload:
        values = UploadRow(
            user_id=user_id,
            key=key,
            filename=filename,
            content_type=content_type,
            kind=kind.value,
            byte_size=byte_size,
            expires_at=expires_at,
        ).model_dump(exclude={"id"})
        row = (await self.uow.execute(insert(uploads).values(**values).returning(uploads))).one()
        return upload_from_row(row)

    async def get_upload(self, upload_id: int) -> Upload | None:
        row = (await self.uow.execute(select(uploads).where(uploads.c.id == upload_id))).first()
        return upload_from_row(row) if row else None

    async def set_upload_status(
        self, upload_id: int, status: UploadStatus, media_id: int | None = None
    ) -> None:
        await self.uow.execute(
            update(uploads).where(uploads.c.id == upload_id).values(status=status.value, media_id=media_id)
        )

    async def uploads_expired_before(self, moment: datetime, limit: int) -> list[Upload]:
        rows = await self.uow.execute(
            select(uploads).where(uploads.c.expires_at < moment).order_by(uploads.c.expires_at).limit(limit)
        )
        return [upload_from_row(r) for r in rows]

    async def delete_uploads(self, upload_ids: Sequence[int]) -> None:
        for chunk in _chunks(list(upload_ids)):
            await self.uow.execute(delete(uploads).where(uploads.c.id.in_(chunk)))

    async def add_media(
        self,
        owner_id: int,
        kind: MediaKind,
        key: str,
        content_type: str,
        byte_size: int,
        width: int | None,
        height: int | None,
        duration_ms: int | None,
        renditions: Sequence[MediaRendition],
    ) -> Media:
        values = MediaRow(
            owner_id=owner_id,
            kind=kind.value,
            key=key,
            content_type=content_type,
            byte_size=byte_size,
            width=width,
            height=height,
            duration_ms=duration_ms,
        ).model_dump(exclude={"id"})
        row = (await self.uow.execute(insert(media).values(**values).returning(media))).one()
        if renditions:
            await self.uow.execute(
                insert(media_renditions),
                [
                    {
                        "media_id": row.id,
                        "width": r.width,
                        "height": r.height,
                        "key": r.key,
                        "content_type": r.content_type,
                    }
                    for r in renditions
                ],
            )
        return media_from_row(row)

    async def get_media(self, ids: Sequence[int]) -> list[Media]:
        found: list[Media] = []
        for chunk in _chunks(list(ids)):
            rows = await self.uow.execute(select(media).where(media.c.id.in_(chunk)))
            found.extend(media_from_row(r) for r in rows)
        return found

    async def renditions_of(self, media_ids: Sequence[int]) -> list[MediaRendition]:
        found: list[MediaRendition] = []
        for chunk in _chunks(list(media_ids)):
            rows = await self.uow.execute(
                select(media_renditions)
                .where(media_renditions.c.media_id.in_(chunk))
                .order_by(media_renditions.c.media_id, media_renditions.c.width)
            )
            found.extend(MediaRendition(r.media_id, r.width, r.height, r.key, r.content_type) for r in rows)
        return found

    async def media_of_posts(self, post_ids: Sequence[int]) -> list[tuple[int, Media]]:
        found: list[tuple[int, Media]] = []
        for chunk in _chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(post_media.c.post_id.label("post_id_"), media)
                .join(media, media.c.id == post_media.c.media_id)
                .where(post_media.c.post_id.in_(chunk))
                .order_by(post_media.c.post_id, post_media.c.position)
            )
            found.extend((r.post_id_, media_from_row(r)) for r in rows)
        return found

    # -- posts ----------------------------------------------------------------------------------

    @staticmethod
    def _content_values(content: PostContent) -> dict[str, Any]:
        return {
            "caption": content.caption,
            "hashtags": list(content.hashtags),
            "mentions": list(content.mentions),
            "disclosure_kind": content.disclosure.kind.value if content.disclosure else None,
            "disclosure_partner_id": content.disclosure.partner_id if content.disclosure else None,
        }

    async def _write_parts(self, post_id: int, content: PostContent) -> None:
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

    async def add_post(self, creator_id: int, content: PostContent) -> int:
        now = utcnow()
        values = self._content_values(content) | {
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

    async def replace_post_content(self, post_id: int, content: PostContent) -> None:
        await self.uow.execute(
            update(posts)
            .where(posts.c.id == post_id)
            .values(**self._content_values(content), updated_at=utcnow())
        )
        await self.uow.execute(delete(post_media).where(post_media.c.post_id == post_id))
        await self.uow.execute(delete(tags).where(tags.c.post_id == post_id))
        await self._write_parts(post_id, content)

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
        for chunk in _chunks(list(ids)):
            rows = await self.uow.execute(select(posts).where(posts.c.id.in_(chunk)))
            found.extend(post_from_row(r) for r in rows)
        return found

    async def tags_of_posts(self, post_ids: Sequence[int]) -> list[ProductTag]:
        found: list[ProductTag] = []
        for chunk in _chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(tags).where(tags.c.post_id.in_(chunk)).order_by(tags.c.post_id, tags.c.position)
            )
            found.extend(tag_from_row(r) for r in rows)
        return found

    async def _post_page(self, stmt: Any, page: PageRequest) -> Page[Post]:
        """Newest first by `listed_at`, keyset (listed_at, id)."""
        if page.after is not None:
            stmt = stmt.where(_before(posts.c.listed_at, posts.c.id, page.after))
        stmt = stmt.order_by(posts.c.listed_at.desc(), posts.c.id.desc()).limit(page.first + 1)
        rows = (await self.uow.execute(stmt)).all()
        return page_from_rows([post_from_row(r) for r in rows], page, post_key)

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

    async def list_saved_posts(self, user_id: int, page: PageRequest) -> Page[Post]:
        """Most recently saved first, keyset on the save's id; posts no longer public drop out."""
        stmt = (
            select(saves.c.id.label("save_id"), posts)
            .join(posts, posts.c.id == saves.c.post_id)
            .where(
                saves.c.user_id == user_id,
                posts.c.status == PostStatus.PUBLISHED.value,
                posts.c.deleted_at.is_(None),
            )
        )
        if page.after is not None:
            stmt = stmt.where(saves.c.id < int(page.after[0]))
        rows = (await self.uow.execute(stmt.order_by(saves.c.id.desc()).limit(page.first + 1))).all()
        pairs = [(r.save_id, post_from_row(r)) for r in rows]
        found = page_from_rows(pairs, page, lambda pair: (pair[0],))
        return Page(items=[p for _, p in found.items], keys=found.keys, has_next=found.has_next)

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
            stmt = stmt.having(_before(last_tagged, products.c.id, page.after))
        stmt = stmt.order_by(last_tagged.desc(), products.c.id.desc()).limit(page.first + 1)
        rows = (await self.uow.execute(stmt)).all()
        pairs = [(micros(r.last_tagged), product_from_row(r)) for r in rows]
        found = page_from_rows(pairs, page, lambda pair: (pair[0], pair[1].id))
        return Page(items=[p for _, p in found.items], keys=found.keys, has_next=found.has_next)

    # -- engagement -----------------------------------------------------------------------------

    async def _add_reaction(self, table: Any, counter: str, user_id: int, post_id: int) -> bool:
        values = {"user_id": user_id, "post_id": post_id, "created_at": utcnow()}
        inserted = (
            await self.uow.execute(self._insert_if_absent(table).values(**values).returning(table.c.id))
        ).first()
        if inserted is not None:
            column = posts.c[counter]
            await self.uow.execute(update(posts).where(posts.c.id == post_id).values({counter: column + 1}))
        return inserted is not None

    async def _remove_reaction(self, table: Any, counter: str, user_id: int, post_id: int) -> bool:
        result = await self.uow.execute(
            delete(table).where(table.c.user_id == user_id, table.c.post_id == post_id)
        )
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            column = posts.c[counter]
            await self.uow.execute(update(posts).where(posts.c.id == post_id).values({counter: column - 1}))
        return removed

    async def _reacted(self, table: Any, user_id: int, post_ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(table.c.post_id).where(table.c.user_id == user_id, table.c.post_id.in_(chunk))
            )
            found.update(r[0] for r in rows)
        return found

    async def add_like(self, user_id: int, post_id: int) -> bool:
        return await self._add_reaction(likes, "like_count", user_id, post_id)

    async def remove_like(self, user_id: int, post_id: int) -> bool:
        return await self._remove_reaction(likes, "like_count", user_id, post_id)

    async def liked_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        return await self._reacted(likes, user_id, post_ids)

    async def add_save(self, user_id: int, post_id: int) -> bool:
        return await self._add_reaction(saves, "save_count", user_id, post_id)

    async def remove_save(self, user_id: int, post_id: int) -> bool:
        return await self._remove_reaction(saves, "save_count", user_id, post_id)

    async def saved_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]:
        return await self._reacted(saves, user_id, post_ids)

    # -- moderation -----------------------------------------------------------------------------

    async def add_report(
        self, post_id: int, user_id: int, reason: ModerationReason, details: str
    ) -> PostReport | None:
        values = {
            "post_id": post_id,
            "user_id": user_id,
            "reason": reason.value,
            "details": details,
            "created_at": utcnow(),
        }
        row = (
            await self.uow.execute(self._insert_if_absent(reports).values(**values).returning(reports))
        ).first()
        return report_from_row(row) if row else None

    async def get_reports(self, ids: Sequence[int]) -> list[PostReport]:
        rows = await self.uow.execute(select(reports).where(reports.c.id.in_(list(ids))))
        return [report_from_row(r) for r in rows]

    async def add_decision(
        self,
        post_id: int,
        action: ModerationAction,
        reason: ModerationReason | None,
        statement: str,
        decided_by: int,
    ) -> ModerationDecision:
        values = {
            "post_id": post_id,
            "action": action.value,
            "reason": reason.value if reason else None,
            "statement": statement,
            "decided_by": decided_by,
            "decided_at": utcnow(),
        }
        row = (await self.uow.execute(insert(decisions).values(**values).returning(decisions))).one()
        return decision_from_row(row)

    async def latest_decisions(self, post_ids: Sequence[int]) -> list[ModerationDecision]:
        found: list[ModerationDecision] = []
        for chunk in _chunks(list(post_ids)):
            latest = (
                select(func.max(decisions.c.id))
                .where(decisions.c.post_id.in_(chunk))
                .group_by(decisions.c.post_id)
            )
            rows = await self.uow.execute(select(decisions).where(decisions.c.id.in_(latest)))
            found.extend(decision_from_row(r) for r in rows)
        return found
