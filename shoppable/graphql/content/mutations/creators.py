"""Becoming a creator, following and unfollowing."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import creators
from shoppable.domain.content.records import Creator as CreatorRecord
from shoppable.graphql.content.types import Creator
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation
from shoppable.graphql.core.ids import decode_input_id


@strawberry.input
class BecomeCreatorInput:
    handle: str
    display_name: str
    bio: str | None = None
    avatar_media_id: strawberry.ID | None = None

    def to_domain(self) -> creators.CreatorDraft:
        avatar = (
            decode_input_id(self.avatar_media_id, "Media", ("avatarMediaId",))
            if self.avatar_media_id
            else None
        )
        return creators.CreatorDraft(self.handle, self.display_name, self.bio, avatar)


@strawberry.input
class FollowInput:
    creator_id: strawberry.ID

    def creator_pk(self) -> int:
        return decode_input_id(self.creator_id, "Creator", ("creatorId",))


@strawberry.type
class CreatorPayload:
    creator: Creator | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, creator: CreatorRecord) -> CreatorPayload:
        return cls(creator=Creator.of(creator))


@strawberry.type
class CreatorMutations:
    @mutation(description="Turn the signed-in user into a creator with a unique handle.")
    async def become_creator(self, info: Info, input: BecomeCreatorInput) -> CreatorPayload:
        creator = await creators.become_creator(info.context.uow, info.context.actor, input.to_domain())
        return CreatorPayload.of(creator)

    @mutation(description="Follow a creator; following twice is following once.")
    async def follow(self, info: Info, input: FollowInput) -> CreatorPayload:
        creator = await creators.follow(info.context.uow, info.context.actor, input.creator_pk())
        return CreatorPayload.of(creator)

    @mutation()
    async def unfollow(self, info: Info, input: FollowInput) -> CreatorPayload:
        creator = await creators.unfollow(info.context.uow, info.context.actor, input.creator_pk())
        return CreatorPayload.of(creator)
