"""GraphQL types of the feed: a Relay connection of posts and product cards, each with its reasons."""

from __future__ import annotations

from typing import Annotated

import strawberry

from shoppable.domain.feed import model
from shoppable.graphql.catalog.types import Product
from shoppable.graphql.content.types import Post
from shoppable.graphql.core.connection import PageInfo
from shoppable.graphql.core.ids import CursorCodec

FeedMode = strawberry.enum(model.FeedMode, name="FeedMode")
FeedSource = strawberry.enum(model.FeedSource, name="FeedSource")
FeedItem = Annotated[Post | Product, strawberry.union("FeedItem")]

FEED_CURSOR = "feed"


@strawberry.type(description="Why an item is shown. `code` is one of the documented FeedReasonCode values.")
class FeedReason:
    code: str
    text: str


@strawberry.type
class FeedEdge:
    node: FeedItem
    source: FeedSource  # type: ignore[valid-type]  # strawberry.enum() returns a value mypy cannot use as a type
    reasons: list[FeedReason]
    session_id: strawberry.Private[str]
    position: strawberry.Private[int]
    codec: strawberry.Private[CursorCodec]

    @strawberry.field
    def cursor(self) -> str:
        """Opaque: the feed session and the position after this item, signed."""
        return self.codec.encode(FEED_CURSOR, [self.session_id, self.position + 1])


@strawberry.type
class FeedConnection:
    edges: list[FeedEdge]
    page_info: PageInfo
