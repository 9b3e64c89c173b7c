"""Uploads, media and their renditions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.sql import ColumnElement

from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.records import Media, MediaRendition, Upload, UploadStatus
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.sql import chunks, insert_if_absent, table_of
from shoppable.storage.tables import CreatorRow, MediaRenditionRow, MediaRow, PostMediaRow, PostRow, UploadRow

uploads = table_of(UploadRow)
media = table_of(MediaRow)
media_renditions = table_of(MediaRenditionRow)
post_media = table_of(PostMediaRow)
_posts = table_of(PostRow)
_creators = table_of(CreatorRow)


def _unused(deleted_before: datetime, created_before: datetime) -> ColumnElement[bool]:
    """Media no live post shows (posts deleted before `deleted_before` do not count) and no creator
    has as avatar, and that was either in a post or created before `created_before`."""
    shown = (
        select(post_media.c.id)
        .join(_posts, _posts.c.id == post_media.c.post_id)
        .where(post_media.c.media_id == media.c.id)
        .where(or_(_posts.c.deleted_at.is_(None), _posts.c.deleted_at >= deleted_before))
    )
    avatar = select(_creators.c.id).where(_creators.c.avatar_media_id == media.c.id)
    was_posted = select(post_media.c.id).where(post_media.c.media_id == media.c.id)
    return and_(
        ~exists(shown),
        ~exists(avatar),
        or_(exists(was_posted), media.c.created_at < created_before),
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


class SqlMedia(SqlRepositoryPart):
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

    async def get_upload_by_key(self, key: str) -> Upload | None:
        row = (await self.uow.execute(select(uploads).where(uploads.c.key == key))).first()
        return upload_from_row(row) if row else None

    async def set_upload_status(
        self,
        upload_id: int,
        status: UploadStatus,
        media_id: int | None = None,
        *,
        only_if: UploadStatus | None = None,
    ) -> bool:
        statement = update(uploads).where(uploads.c.id == upload_id)
        if only_if is not None:
            statement = statement.where(uploads.c.status == only_if.value)
        result = await self.uow.execute(statement.values(status=status.value, media_id=media_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult

    async def uploaded_bytes_since(self, user_id: int, since: datetime, now: datetime) -> int:
        completed = select(func.coalesce(func.sum(media.c.byte_size), 0)).where(
            media.c.owner_id == user_id, media.c.created_at >= since
        )
        pending = select(func.coalesce(func.sum(uploads.c.byte_size), 0)).where(
            uploads.c.user_id == user_id,
            uploads.c.status == UploadStatus.PENDING.value,
            uploads.c.expires_at >= now,
        )
        total = select(completed.scalar_subquery() + pending.scalar_subquery())
        return int((await self.uow.execute(total)).scalar_one())

    async def uploads_expired_before(self, moment: datetime, limit: int) -> list[Upload]:
        rows = await self.uow.execute(
            select(uploads).where(uploads.c.expires_at < moment).order_by(uploads.c.expires_at).limit(limit)
        )
        return [upload_from_row(r) for r in rows]

    async def delete_uploads(self, upload_ids: Sequence[int]) -> None:
        for chunk in chunks(list(upload_ids)):
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
        # A concurrent completion of the same upload may have stored it first: its media is the answer.
        inserted = insert_if_absent(self.uow, media).values(**values).returning(*media.c)
        row = (await self.uow.execute(inserted)).first()
        if row is None:
            existing = (await self.uow.execute(select(media).where(media.c.key == key))).one()
            return media_from_row(existing)
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
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(media).where(media.c.id.in_(chunk)))
            found.extend(media_from_row(r) for r in rows)
        return found

    async def unused_media(
        self, deleted_before: datetime, created_before: datetime, limit: int
    ) -> list[Media]:
        rows = await self.uow.execute(
            select(media).where(_unused(deleted_before, created_before)).order_by(media.c.id).limit(limit)
        )
        return [media_from_row(r) for r in rows]

    async def delete_media(
        self, ids: Sequence[int], deleted_before: datetime, created_before: datetime
    ) -> list[int]:
        deleted: list[int] = []
        for chunk in chunks(list(ids)):
            still_unused = (
                await self.uow.execute(
                    select(media.c.id).where(media.c.id.in_(chunk), _unused(deleted_before, created_before))
                )
            ).scalars()
            found = list(still_unused)
            if not found:
                continue
            await self.uow.execute(delete(post_media).where(post_media.c.media_id.in_(found)))
            await self.uow.execute(delete(media_renditions).where(media_renditions.c.media_id.in_(found)))
            await self.uow.execute(update(uploads).where(uploads.c.media_id.in_(found)).values(media_id=None))
            await self.uow.execute(delete(media).where(media.c.id.in_(found)))
            deleted += found
        return deleted

    async def renditions_of(self, media_ids: Sequence[int]) -> list[MediaRendition]:
        found: list[MediaRendition] = []
        for chunk in chunks(list(media_ids)):
            rows = await self.uow.execute(
                select(media_renditions)
                .where(media_renditions.c.media_id.in_(chunk))
                .order_by(media_renditions.c.media_id, media_renditions.c.width)
            )
            found.extend(MediaRendition(r.media_id, r.width, r.height, r.key, r.content_type) for r in rows)
        return found

    async def media_of_posts_with_renditions(
        self, post_ids: Sequence[int]
    ) -> list[tuple[int, Media, list[MediaRendition]]]:
        rendition = media_renditions.c
        found: list[tuple[int, Media, list[MediaRendition]]] = []
        for chunk in chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(
                    post_media.c.post_id.label("post_id_"),
                    media,
                    rendition.width.label("rendition_width"),
                    rendition.height.label("rendition_height"),
                    rendition.key.label("rendition_key"),
                    rendition.content_type.label("rendition_content_type"),
                )
                .join(media, media.c.id == post_media.c.media_id)
                .outerjoin(media_renditions, rendition.media_id == media.c.id)
                .where(post_media.c.post_id.in_(chunk))
                .order_by(post_media.c.post_id, post_media.c.position, rendition.width)
            )
            for r in rows:  # one row per rendition (or one for a media without any)
                if not found or found[-1][0] != r.post_id_ or found[-1][1].id != r.id:
                    found.append((r.post_id_, media_from_row(r), []))
                if r.rendition_key is not None:
                    found[-1][2].append(
                        MediaRendition(
                            r.id,
                            r.rendition_width,
                            r.rendition_height,
                            r.rendition_key,
                            r.rendition_content_type,
                        )
                    )
        return found

    async def media_of_posts(self, post_ids: Sequence[int]) -> list[tuple[int, Media]]:
        found: list[tuple[int, Media]] = []
        for chunk in chunks(list(post_ids)):
            rows = await self.uow.execute(
                select(post_media.c.post_id.label("post_id_"), media)
                .join(media, media.c.id == post_media.c.media_id)
                .where(post_media.c.post_id.in_(chunk))
                .order_by(post_media.c.post_id, post_media.c.position)
            )
            found.extend((r.post_id_, media_from_row(r)) for r in rows)
        return found
