"""Uploads, media and their renditions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.records import Media, MediaRendition, Upload, UploadStatus
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.sql import chunks, table_of
from shoppable.storage.tables import MediaRenditionRow, MediaRow, PostMediaRow, UploadRow

uploads = table_of(UploadRow)
media = table_of(MediaRow)
media_renditions = table_of(MediaRenditionRow)
post_media = table_of(PostMediaRow)


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
        for chunk in chunks(list(ids)):
            rows = await self.uow.execute(select(media).where(media.c.id.in_(chunk)))
            found.extend(media_from_row(r) for r in rows)
        return found

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
