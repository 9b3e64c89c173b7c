"""The admin audit log: who decided what, about what, and when (moderation decisions, admin
creations, API keys, merchant settings). Written in the same transaction as the decision itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.records import AuditEntry
from shoppable.domain.pagination import Page, PageRequest

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MAX_ACTION = 48


async def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Inside the caller's write transaction; `details` holds ids and codes, never personal text."""
    await uow.trust.add_audit(
        actor.user_id, actor.api_key_id, action[:MAX_ACTION], subject_type, subject_id, details or {}
    )


async def audit_log(
    uow: UnitOfWork, actor: Actor, page: PageRequest, action: str | None = None
) -> Page[AuditEntry]:
    if not policy.can_read_audit_log(actor):
        raise DomainError.single((), ErrorCode.FORBIDDEN, "Only admins read the audit log.")
    return await uow.trust.audit_page(page, action)
