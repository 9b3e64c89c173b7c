"""GraphQL types of moderation: a user's report, and the decision its creator sees on a post."""

from __future__ import annotations

from datetime import datetime

import strawberry

from shoppable.domain.content import records
from shoppable.domain.identity import policy
from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.core.node import Node, node_type

ModerationReason = strawberry.enum(records.ModerationReason, name="ModerationReason")
ModerationAction = strawberry.enum(records.ModerationAction, name="ModerationAction")


@strawberry.type(description="The moderation decision on a post: the statement of reasons (EU DSA art. 17).")
class PostModeration:
    action: ModerationAction  # type: ignore[valid-type]  # strawberry enums are values
    reason: ModerationReason | None  # type: ignore[valid-type]  # strawberry enums are values
    statement: str
    decided_at: datetime

    @classmethod
    def of(cls, decision: records.ModerationDecision) -> PostModeration:
        return cls(
            action=decision.action,
            reason=decision.reason,
            statement=decision.statement,
            decided_at=decision.decided_at,
        )


@strawberry.type
class PostReport(Node):
    reason: ModerationReason  # type: ignore[valid-type]  # strawberry enums are values
    details: str
    created_at: datetime

    @classmethod
    def of(cls, report: records.PostReport) -> PostReport:
        return cls(
            id=strawberry.ID(encode_id("PostReport", report.id)),
            reason=report.reason,
            details=report.details,
            created_at=report.created_at,
        )


@node_type("PostReport")
async def _report_node(info: Info, pk: int) -> PostReport | None:
    found = await info.context.loaders.content.report_by_id.load(pk)
    if found is None or not policy.can_see_report(info.context.actor, found.user_id):
        return None
    return PostReport.of(found)
