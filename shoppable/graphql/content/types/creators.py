"""The GraphQL Creator: profile, avatar, whether the viewer follows, posts and storefront."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from shoppable.domain.content import creators, records
from shoppable.domain.content import posts as post_operations
from shoppable.graphql.catalog.types import CreatorProductConnection, Image, Product
from shoppable.graphql.content.types.media import media_store
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.dataloader import now_or_later
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

if TYPE_CHECKING:
    from shoppable.graphql.commerce.types import Earnings
    from shoppable.graphql.content.types.posts import Post


@strawberry.type
class Creator(Node):
    handle: str
    display_name: str
    bio: str
    follower_count: int
    record: strawberry.Private[records.Creator]

    @classmethod
    def of(cls, creator: records.Creator) -> Creator:
        return cls(
            id=strawberry.ID(encode_id("Creator", creator.id)),
            handle=creator.handle,
            display_name=creator.display_name,
            bio=creator.bio,
            follower_count=creator.follower_count,
            record=creator,
        )

    @strawberry.field
    def avatar(self, info: Info) -> Image | None:
        if self.record.avatar_media_id is None:
            return None
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.media_by_id,
            self.record.avatar_media_id,
            lambda media: _avatar(info, media, self.record.display_name),
        )

    @strawberry.field(
        description="Commissions earned: only for the creator themself (null for everyone else)."
    )
    async def earnings(
        self, info: Info
    ) -> Annotated[Earnings, strawberry.lazy("shoppable.graphql.commerce.types")] | None:
        from shoppable.domain.commerce.commissions import earnings
        from shoppable.graphql.commerce.types import Earnings

        if info.context.actor.user_id != self.record.user_id:
            return None
        return Earnings.of(self.record.id, await earnings(info.context.uow, self.record.id))

    @strawberry.field(description="Whether the signed-in viewer follows this creator (false when anonymous).")
    def viewer_follows(self, info: Info) -> bool:
        viewer = info.context.actor.user_id
        if viewer is None:
            return False
        return now_or_later(  # type: ignore[return-value]  # strawberry awaits an awaitable result
            info.context.loaders.content.viewer_follows, (viewer, self.record.id), bool
        )

    @strawberry.field(description="Newest first; the creator also sees their drafts and removed posts.")
    async def posts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Post, strawberry.lazy("shoppable.graphql.content.types.posts")]]:
        from shoppable.graphql.content.types.posts import Post  # posts show their creator: a cycle

        request = page_request(info.context.cursors, "creatorPosts", first, after)
        page = await post_operations.creator_posts(info.context.uow, info.context.actor, self.record, request)
        info.context.loaders.content.prime_posts(page.items)
        return connection(info.context.cursors, "creatorPosts", page, Post.of, had_cursor=after is not None)

    @strawberry.field(
        description="The creator's storefront: active products tagged in published posts, most recently tagged first."
    )
    async def products(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> CreatorProductConnection:
        request = page_request(info.context.cursors, "storefront", first, after)
        page = await creators.storefront(info.context.uow, self.record.id, request)
        for product in page.items:
            info.context.loaders.catalog.product_by_id.prime(product.id, product)
        base = connection(info.context.cursors, "storefront", page, Product.of, had_cursor=after is not None)
        return CreatorProductConnection(edges=base.edges, page_info=base.page_info)


def existing_creators(found: Sequence[records.Creator | None]) -> list[Creator]:
    return [Creator.of(c) for c in found if c is not None]


@node_type("Creator")
async def _creator_node(info: Info, pk: int) -> Creator | None:
    found = await info.context.loaders.content.creator_by_id.load(pk)
    return Creator.of(found) if found else None


def _avatar(info: Info, media: records.Media | None, alt_text: str) -> Any:
    """The smallest rendition is plenty for an avatar."""
    if media is None:
        return None
    store = media_store(info)
    return now_or_later(
        info.context.loaders.content.renditions_by_media_id,
        media.id,
        lambda found: Image(url=store.public_url(found[0].key if found else media.key), alt_text=alt_text),
    )
