"""Identity queries: the viewer, the recommender's main parameters, and the admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from shoppable.domain.identity import audit, policy, recommender
from shoppable.domain.identity.records import AuditEntry as AuditRecord
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.ids import encode_id
from shoppable.graphql.identity.types import Consent, User, Viewer


@strawberry.type
class RecommenderParameter:
    name: str
    description: str


@strawberry.type(description="How the feed is ranked and what a viewer can change (EU DSA art. 27).")
class RecommenderInfo:
    summary: str
    main_parameters: list[RecommenderParameter]
    options: list[RecommenderParameter]
    model_version: str | None


@strawberry.type(description="One admin or merchant decision: who, what, about what, when.")
class AuditEntry:
    id: strawberry.ID
    action: str
    subject_type: str
    subject_id: strawberry.ID | None
    actor_user_id: strawberry.ID | None
    actor_api_key_id: strawberry.ID | None
    details: JSON
    created_at: datetime

    @classmethod
    def of(cls, entry: AuditRecord) -> AuditEntry:
        subject = (
            strawberry.ID(encode_id(entry.subject_type, entry.subject_id))
            if entry.subject_id is not None
            else None
        )
        return cls(
            id=strawberry.ID(str(entry.id)),
            action=entry.action,
            subject_type=entry.subject_type,
            subject_id=subject,
            actor_user_id=strawberry.ID(encode_id("User", entry.actor_user_id))
            if entry.actor_user_id
            else None,
            actor_api_key_id=strawberry.ID(encode_id("ApiKey", entry.actor_api_key_id))
            if entry.actor_api_key_id
            else None,
            details=cast(Any, entry.details),
            created_at=entry.created_at,
        )


@strawberry.type
class IdentityQueries:
    @strawberry.field(description="The signed-in user; null when anonymous or calling with an API key.")
    async def viewer(self, info: Info) -> Viewer | None:
        user_id = info.context.actor.user_id
        user = await info.context.uow.identity.get_user(user_id) if user_id else None
        if user is None:
            return None
        return Viewer(user=User.of(user), email=user.email, consent=Consent.of(user.consent), record=user)

    @strawberry.field(description="The feed's main parameters and the options a viewer has (DSA art. 27).")
    async def recommender_info(self, info: Info) -> RecommenderInfo:
        model = await info.context.services.models.current()
        return RecommenderInfo(
            summary=recommender.SUMMARY,
            main_parameters=[
                RecommenderParameter(name=n, description=d) for n, d in recommender.MAIN_PARAMETERS
            ],
            options=[RecommenderParameter(name=n, description=d) for n, d in recommender.OPTIONS],
            model_version=model.version if model else None,
        )

    @strawberry.field(description="Admin decisions, newest first (admins only; null for anyone else).")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None, action: str | None = None
    ) -> Connection[AuditEntry] | None:
        if not policy.can_read_audit_log(info.context.actor):
            return None
        request = page_request(info.context.cursors, "auditLog", first, after)
        page = await audit.audit_log(info.context.uow, info.context.actor, request, action)
        return connection(info.context.cursors, "auditLog", page, AuditEntry.of, had_cursor=after is not None)
