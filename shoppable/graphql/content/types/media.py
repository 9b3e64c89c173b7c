"""GraphQL types of media and uploads: verified photos and videos, and where to send a file."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.content import media as media_rules
from shoppable.domain.content import records
from shoppable.domain.content.ports import MediaStore
from shoppable.domain.content.uploads import CreatedUpload
from shoppable.domain.identity import policy
from shoppable.graphql.context import Info
from shoppable.graphql.core.dataloader import now_or_later
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

MediaKind = strawberry.enum(media_rules.MediaKind, name="MediaKind")


def media_store(info: Info) -> MediaStore:
    return info.context.services.media


@strawberry.type
class MediaRendition:
    url: str
    width: int
    height: int
    content_type: str


@strawberry.type(description="A photo or video, verified and processed by completeUpload.")
class Media(Node):
    kind: MediaKind  # type: ignore[valid-type]  # strawberry enums are values
    width: int | None = strawberry.field(description="Displayed width of the original (after EXIF rotation).")
    height: int | None
    duration_ms: int | None
    record: strawberry.Private[records.Media]

    @classmethod
    def of(cls, media: records.Media) -> Media:
        return cls(
            id=strawberry.ID(encode_id("Media", media.id)),
            kind=media.kind,
            width=media.width,
            height=media.height,
            duration_ms=media.duration_ms,
            record=media,
        )

    def _served(self, renditions: list[records.MediaRendition]) -> tuple[str, str]:
        """(key, content type) to show: the largest rendition of an image, else the verified original.

        An original photo keeps its EXIF metadata (GPS position included); renditions carry none, so
        they are what is served whenever there are any."""
        if renditions:
            return renditions[-1].key, renditions[-1].content_type
        return self.record.key, self.record.content_type

    @strawberry.field
    def url(self, info: Info) -> str:
        store = media_store(info)
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: store.public_url(self._served(found)[0]),
        )

    @strawberry.field(description="Content type of `url`: image/webp for processed images.")
    def content_type(self, info: Info) -> str:
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: self._served(found)[1],
        )

    @strawberry.field(description="WebP versions of an image, narrowest first (320, 640, 1080 px).")
    def renditions(self, info: Info) -> list[MediaRendition]:
        store = media_store(info)
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.renditions_by_media_id,
            self.record.id,
            lambda found: [
                MediaRendition(
                    url=store.public_url(r.key), width=r.width, height=r.height, content_type=r.content_type
                )
                for r in found
            ],
        )


@strawberry.type
class UploadField:
    name: str
    value: str


@strawberry.type(description="Where and how to send the bytes of one file, until `expiresAt`.")
class Upload:
    id: strawberry.ID = strawberry.field(description="For completeUpload.")
    url: str
    method: str = strawberry.field(
        description="POST: multipart form, `fields` first, the file last as `file`. PUT: the raw bytes with `headers`."
    )
    headers: list[UploadField]
    fields: list[UploadField]
    expires_at: datetime

    @classmethod
    def of(cls, created: CreatedUpload) -> Upload:
        upload, target = created.upload, created.target
        return cls(
            id=strawberry.ID(encode_id("Upload", upload.id)),
            url=target.url,
            method=target.method,
            headers=_fields(target.headers),
            fields=_fields(target.fields),
            expires_at=target.expires_at,
        )


def _fields(values: dict[str, str]) -> list[UploadField]:
    return [UploadField(name=k, value=v) for k, v in values.items()]


@node_type("Media")
async def _media_node(info: Info, pk: int) -> Media | None:
    found = await info.context.loaders.content.media_by_id.load(pk)
    if found is None or not policy.can_see_media(info.context.actor, found.owner_id):
        return None
    return Media.of(found)
