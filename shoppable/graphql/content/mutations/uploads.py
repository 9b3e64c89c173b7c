"""Uploading media: ask where to send a file, send it, then have it verified into media."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import uploads
from shoppable.domain.content.records import Media as MediaRecord
from shoppable.graphql.content.types import Media, Upload
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id


@strawberry.input
class CreateUploadInput:
    filename: str
    content_type: str
    byte_size: int

    def to_domain(self) -> uploads.UploadRequest:
        return uploads.UploadRequest(self.filename, self.content_type, self.byte_size)


@strawberry.input
class CompleteUploadInput:
    upload_id: strawberry.ID

    def upload_pk(self) -> int:
        return decode_input_id(self.upload_id, "Upload", ("uploadId",))


@strawberry.type
class UploadPayload:
    upload: Upload | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, created: uploads.CreatedUpload) -> UploadPayload:
        return cls(upload=Upload.of(created))


@strawberry.type
class MediaPayload:
    media: Media | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, media: MediaRecord) -> MediaPayload:
        return cls(media=Media.of(media))


@strawberry.type
class UploadMutations:
    @mutation(description="Ask where to upload one photo or video; then send it and call completeUpload.")
    async def create_upload(self, info: Info, input: CreateUploadInput) -> UploadPayload:
        context = info.context
        created = await uploads.create_upload(context.uow, context.services, context.actor, input.to_domain())
        return UploadPayload.of(created)

    @mutation(description="Verify an uploaded file and turn it into media for posts.")
    async def complete_upload(self, info: Info, input: CompleteUploadInput) -> MediaPayload:
        context = info.context
        media = await uploads.complete_upload(context.uow, context.services, context.actor, input.upload_pk())
        return MediaPayload.of(media)
