"""Reporting posts, and moderators' removals and restorations."""

from __future__ import annotations

import strawberry

from shoppable.domain.content import moderation
from shoppable.domain.content import records as content_records
from shoppable.graphql.content.mutations.posts import PostPayload, decode_post_id
from shoppable.graphql.content.types import ModerationReason, PostReport
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import UserError, mutation


@strawberry.input
class ReportPostInput:
    post_id: strawberry.ID
    reason: ModerationReason  # type: ignore[valid-type]  # strawberry enums are values
    details: str | None = None

    def to_domain(self) -> moderation.ReportDraft:
        reason = content_records.ModerationReason(self.reason)
        return moderation.ReportDraft(decode_post_id(self.post_id), reason, self.details)


@strawberry.input
class RemovePostInput:
    post_id: strawberry.ID
    reason: ModerationReason  # type: ignore[valid-type]  # strawberry enums are values
    statement: str = strawberry.field(description="The statement of reasons shown to the creator.")

    def to_domain(self) -> moderation.Removal:
        reason = content_records.ModerationReason(self.reason)
        return moderation.Removal(decode_post_id(self.post_id), reason, self.statement)


@strawberry.input
class RestorePostInput:
    post_id: strawberry.ID
    statement: str

    def to_domain(self) -> moderation.Restoration:
        return moderation.Restoration(decode_post_id(self.post_id), self.statement)


@strawberry.type
class ReportPostPayload:
    report: PostReport | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModerationMutations:
    @mutation(description="Report a published post to the moderators (once per post).")
    async def report_post(self, info: Info, input: ReportPostInput) -> ReportPostPayload:
        context = info.context
        report = await moderation.report_post(
            context.uow, context.actor, input.to_domain(), rate_limits=context.services.rate_limits
        )
        return ReportPostPayload(report=PostReport.of(report))

    @mutation(description="Moderators: take a post down, with a statement of reasons for its creator.")
    async def remove_post(self, info: Info, input: RemovePostInput) -> PostPayload:
        post, _decision = await moderation.remove_post(
            info.context.uow, info.context.actor, input.to_domain()
        )
        return PostPayload.of(post)

    @mutation(description="Moderators: publish a removed post again (an upheld appeal).")
    async def restore_post(self, info: Info, input: RestorePostInput) -> PostPayload:
        post, _decision = await moderation.restore_post(
            info.context.uow, info.context.actor, input.to_domain()
        )
        return PostPayload.of(post)
