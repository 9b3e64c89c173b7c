"""Reports of posts and moderation decisions, kept in order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select

from shoppable.domain.content.records import (
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    PostReport,
)
from shoppable.storage.content.base import SqlRepositoryPart
from shoppable.storage.sql import chunks, insert_if_absent, table_of
from shoppable.storage.tables import ModerationDecisionRow, PostReportRow
from shoppable.storage.types import utcnow

reports = table_of(PostReportRow)
decisions = table_of(ModerationDecisionRow)


def report_from_row(row: Any) -> PostReport:
    return PostReport(
        id=row.id,
        post_id=row.post_id,
        user_id=row.user_id,
        reason=ModerationReason(row.reason),
        details=row.details,
        created_at=row.created_at,
    )


def decision_from_row(row: Any) -> ModerationDecision:
    return ModerationDecision(
        id=row.id,
        post_id=row.post_id,
        action=ModerationAction(row.action),
        reason=ModerationReason(row.reason) if row.reason else None,
        statement=row.statement,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


class SqlModeration(SqlRepositoryPart):
    async def add_report(
        self, post_id: int, user_id: int, reason: ModerationReason, details: str
    ) -> PostReport | None:
        values = {
            "post_id": post_id,
            "user_id": user_id,
            "reason": reason.value,
            "details": details,
            "created_at": utcnow(),
        }
        row = (
            await self.uow.execute(insert_if_absent(self.uow, reports).values(**values).returning(reports))
        ).first()
        return report_from_row(row) if row else None

    async def get_reports(self, ids: Sequence[int]) -> list[PostReport]:
        rows = await self.uow.execute(select(reports).where(reports.c.id.in_(list(ids))))
        return [report_from_row(r) for r in rows]

    async def add_decision(
        self,
        post_id: int,
        action: ModerationAction,
        reason: ModerationReason | None,
        statement: str,
        decided_by: int,
    ) -> ModerationDecision:
        values = {
            "post_id": post_id,
            "action": action.value,
            "reason": reason.value if reason else None,
            "statement": statement,
            "decided_by": decided_by,
            "decided_at": utcnow(),
        }
        row = (await self.uow.execute(insert(decisions).values(**values).returning(decisions))).one()
        return decision_from_row(row)

    async def latest_decisions(self, post_ids: Sequence[int]) -> list[ModerationDecision]:
        found: list[ModerationDecision] = []
        for chunk in chunks(list(post_ids)):
            latest = (
                select(func.max(decisions.c.id))
                .where(decisions.c.post_id.in_(chunk))
                .group_by(decisions.c.post_id)
            )
            rows = await self.uow.execute(select(decisions).where(decisions.c.id.in_(latest)))
            found.extend(decision_from_row(r) for r in rows)
        return found
