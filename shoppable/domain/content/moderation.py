"""Moderation: users report posts, moderators remove them with a statement of reasons, appeals restore.

A removal hides the post from everyone but its creator, who sees the decision on the post: its
ground, the statement and when it was taken (the "statement of reasons" of EU DSA art. 17). Every
decision is kept, in order, so an appeal's outcome is recorded beside the removal it reverses.
"""

from __future__ import annotations

from dataclasses import dataclass

from shoppable.domain.content.access import visible_post
from shoppable.domain.content.records import (
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    Post,
    PostReport,
    PostStatus,
)
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import audit, policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import REPORT_POST_PER_ACTOR, RateLimiter, actor_key
from shoppable.domain.text import NUL_MESSAGE, has_nul
from shoppable.domain.uow import UnitOfWork

MAX_REPORT_DETAILS = 1000
MAX_STATEMENT = 5000


@dataclass(frozen=True)
class ReportDraft:
    post_id: int
    reason: ModerationReason
    details: str | None = None


@dataclass(frozen=True)
class Removal:
    post_id: int
    reason: ModerationReason
    statement: str


@dataclass(frozen=True)
class Restoration:
    post_id: int
    statement: str


async def report_post(
    uow: UnitOfWork, actor: Actor, report: ReportDraft, *, rate_limits: RateLimiter
) -> PostReport:
    """One report per user and post; OTHER needs a few words of explanation."""
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to report a post.")
    await rate_limits.hit(REPORT_POST_PER_ACTOR, actor_key(actor))
    details = (report.details or "").strip()
    if len(details) > MAX_REPORT_DETAILS:
        raise DomainError.single(
            ("details",), ErrorCode.TOO_LARGE, f"Details have at most {MAX_REPORT_DETAILS} characters."
        )
    if has_nul(details):
        raise DomainError.single(("details",), ErrorCode.INVALID, f"Details {NUL_MESSAGE}")
    if report.reason is ModerationReason.OTHER and not details:
        raise DomainError.single(("details",), ErrorCode.REQUIRED, "Say what is wrong with this post.")
    await uow.begin_write()
    post, creator = await visible_post(uow.content, actor, report.post_id)
    if post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(("postId",), ErrorCode.NOT_FOUND, "No such post.")
    if creator.user_id == actor.user_id:
        raise DomainError.single(("postId",), ErrorCode.INVALID, "You cannot report your own post.")
    added = await uow.content.add_report(post.id, actor.user_id, report.reason, details)
    if added is None:
        raise DomainError.single(("postId",), ErrorCode.DUPLICATE, "You have already reported this post.")
    await uow.commit()
    return added


async def remove_post(uow: UnitOfWork, actor: Actor, removal: Removal) -> tuple[Post, ModerationDecision]:
    moderator = _moderator(actor, "remove posts")
    statement = _statement(removal.statement)
    await uow.begin_write()
    post, _ = await visible_post(uow.content, actor, removal.post_id)
    if post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(("postId",), ErrorCode.CONFLICT, "Only a published post can be removed.")
    await uow.content.set_post_status(post.id, PostStatus.REMOVED, publish_at=None)
    decision = await uow.content.add_decision(
        post.id, ModerationAction.REMOVED, removal.reason, statement, moderator
    )
    await audit.record(
        uow, actor, "post.removed", "Post", post.id, {"decisionId": decision.id, "reason": removal.reason}
    )
    await uow.commit()
    return (await uow.content.get_posts([post.id]))[0], decision


async def restore_post(
    uow: UnitOfWork, actor: Actor, restoration: Restoration
) -> tuple[Post, ModerationDecision]:
    """Reverse a removal (an upheld appeal): the post is published again, as it was."""
    moderator = _moderator(actor, "restore posts")
    statement = _statement(restoration.statement)
    await uow.begin_write()
    post, _ = await visible_post(uow.content, actor, restoration.post_id)
    if post.status is not PostStatus.REMOVED:
        raise DomainError.single(("postId",), ErrorCode.CONFLICT, "Only a removed post can be restored.")
    await uow.content.set_post_status(post.id, PostStatus.PUBLISHED, publish_at=None)
    decision = await uow.content.add_decision(post.id, ModerationAction.RESTORED, None, statement, moderator)
    await audit.record(uow, actor, "post.restored", "Post", post.id, {"decisionId": decision.id})
    await uow.commit()
    return (await uow.content.get_posts([post.id]))[0], decision


def _moderator(actor: Actor, doing: str) -> int:
    if not policy.can_moderate(actor) or actor.user_id is None:
        raise policy.refusal(actor, (), ErrorCode.FORBIDDEN, f"Only moderators can {doing}.")
    return actor.user_id


def _statement(statement: str) -> str:
    statement = statement.strip()
    errors = []
    if not statement:
        errors.append(FieldError(("statement",), ErrorCode.REQUIRED, "Explain the decision to the creator."))
    elif len(statement) > MAX_STATEMENT:
        errors.append(
            FieldError(
                ("statement",), ErrorCode.TOO_LARGE, f"A statement has at most {MAX_STATEMENT} characters."
            )
        )
    if errors:
        raise DomainError(*errors)
    return statement
