"""createSearchUpload: where to send a photo to search with (any viewer, anonymous devices too)."""

from __future__ import annotations

import strawberry

from shoppable.domain.vision.uploads import create_search_upload
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import mutation
from shoppable.graphql.vision.types import SearchUpload, SearchUploadPayload


@strawberry.input
class CreateSearchUploadInput:
    content_type: str
    byte_size: int


@strawberry.type
class VisionMutations:
    @mutation(
        description="Ask where to send a photo for visualSearch (JPEG, PNG, WebP or HEIC, at most 8 MB). "
        "It is never shown to anyone, read once and deleted; its search is kept for a day."
    )
    async def create_search_upload(self, info: Info, input: CreateSearchUploadInput) -> SearchUploadPayload:
        context = info.context
        created = await create_search_upload(
            context.uow, context.services, context.actor, input.content_type, input.byte_size
        )
        return SearchUploadPayload(upload=SearchUpload.of(created))
