"""Liking and saving posts; each is idempotent, and undone by its opposite."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import engagement
from shoppable.graphql.content.mutations.posts import PostIdInput, PostPayload
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import mutation


async def _react(info: Info, input: PostIdInput, operation: engagement.Reaction, *, on: bool) -> PostPayload:
    post = await operation(info.context.uow, info.context.actor, input.post_pk(), on)
    return PostPayload.of(post)


@strawberry.type
class EngagementMutations:
    @mutation()
    async def like_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, engagement.set_like, on=True)

    @mutation()
    async def unlike_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, engagement.set_like, on=False)

    @mutation()
    async def save_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, engagement.set_save, on=True)

    @mutation()
    async def unsave_post(self, info: Info, input: PostIdInput) -> PostPayload:
        return await _react(info, input, engagement.set_save, on=False)
