"""Content mutations, one module per concept, merged into one type in the schema's order."""

from __future__ import annotations

from strawberry.tools import merge_types

from shoppable.graphql.content.mutations.creators import CreatorMutations
from shoppable.graphql.content.mutations.engagement import EngagementMutations
from shoppable.graphql.content.mutations.moderation import ModerationMutations
from shoppable.graphql.content.mutations.posts import PostMutations
from shoppable.graphql.content.mutations.uploads import UploadMutations

ContentMutations = merge_types(
    "ContentMutations",
    (CreatorMutations, UploadMutations, PostMutations, EngagementMutations, ModerationMutations),
)
