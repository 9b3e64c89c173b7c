"""GraphQL types of the content area, one module per concept; the public names are re-exported here
(`from shoppable.graphql.content.types import Post, prefetch_posts, featured_in`)."""

from __future__ import annotations

from shoppable.graphql.content.types.creators import Creator
from shoppable.graphql.content.types.media import (
    Media,
    MediaKind,
    MediaRendition,
    Upload,
    UploadField,
    media_store,
)
from shoppable.graphql.content.types.moderation import (
    ModerationAction,
    ModerationReason,
    PostModeration,
    PostReport,
)
from shoppable.graphql.content.types.posts import (
    Disclosure,
    DisclosureKind,
    Post,
    PostStatus,
    ProductTag,
    visible_post,
)
from shoppable.graphql.content.types.prefetch import featured_in, load_cards, prefetch_posts

__all__ = [
    "Creator",
    "Disclosure",
    "DisclosureKind",
    "Media",
    "MediaKind",
    "MediaRendition",
    "ModerationAction",
    "ModerationReason",
    "Post",
    "PostModeration",
    "PostReport",
    "PostStatus",
    "ProductTag",
    "Upload",
    "UploadField",
    "featured_in",
    "load_cards",
    "media_store",
    "prefetch_posts",
    "visible_post",
]
