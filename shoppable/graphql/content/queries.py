"""Creator and post queries."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import creators as creator_operations
from shoppable.domain.content import posts as post_operations
from shoppable.domain.content.captions import is_valid_handle, normalize_handle
from shoppable.graphql.content.types import Creator, Post, visible_post
from shoppable.graphql.content.types.prefetch import prefetch_posts
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.ids import decode_id


@strawberry.type
class ContentQueries:
    @strawberry.field(description="A creator by handle (case-insensitive, with or without the @).")
    async def creator(self, info: Info, handle: str) -> Creator | None:
        handle = normalize_handle(handle)
        if not is_valid_handle(handle):  # no creator has it (nor may): not sent to the database (NUL)
            return None
        found = await info.context.loaders.content.creator_by_handle.load(handle)
        return Creator.of(found) if found else None

    @strawberry.field(description="A post by id; null when it does not exist or is not yours to see.")
    async def post(self, info: Info, id: strawberry.ID) -> Post | None:
        pk = decode_id(id, "Post")
        return await visible_post(info, pk) if pk else None

    @strawberry.field(
        description="Creators by handle (exact, then starting with) and by name; most followed first."
    )
    async def creators(
        self, info: Info, query: str, first: int | None = None, after: str | None = None
    ) -> Connection[Creator]:
        request = page_request(info.context.cursors, "creatorSearch", first, after)
        page = await creator_operations.search_creators(info.context.uow, query, request)
        return connection(
            info.context.cursors, "creatorSearch", page, Creator.of, had_cursor=after is not None
        )

    @strawberry.field(description="Published posts with a hashtag (with or without the #), newest first.")
    async def posts(
        self, info: Info, hashtag: str, first: int | None = None, after: str | None = None
    ) -> Connection[Post]:
        request = page_request(info.context.cursors, "hashtagPosts", first, after)
        page = await post_operations.hashtag_posts(info.context.uow, hashtag, request)
        await prefetch_posts(info, page.items, "edges", "node")
        return connection(info.context.cursors, "hashtagPosts", page, Post.of, had_cursor=after is not None)
