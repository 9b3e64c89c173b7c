"""Creator and post queries."""

from __future__ import annotations

import strawberry

from shoppable.domain.content.captions import normalize_handle
from shoppable.graphql.content.types import Creator, Post, visible_post
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import decode_id


@strawberry.type
class ContentQueries:
    @strawberry.field(description="A creator by handle (case-insensitive, with or without the @).")
    async def creator(self, info: Info, handle: str) -> Creator | None:
        found = await info.context.loaders.content.creator_by_handle.load(normalize_handle(handle)[:64])
        return Creator.of(found) if found else None

    @strawberry.field(description="A post by id; null when it does not exist or is not yours to see.")
    async def post(self, info: Info, id: strawberry.ID) -> Post | None:
        pk = decode_id(id, "Post")
        return await visible_post(info, pk) if pk else None
