"""Moderation: users report posts, moderators remove them with a statement of reasons, appeals restore.

A removal hides the post from everyone but its creator, who sees the decision on the post: its
ground, the statement and when it was taken (the "statement of reasons" of EU DSA art. 17). Every
decision is kept, in order, so an appeal's outcome is recorded beside the removal it reverses.
"""

from __future__ import annotations

from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.content.records import (
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    Post,
    PostReport,
    PostStatus,
)
from shoppable.domain.content.service import post_visible
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.ports import Transaction

MAX_REPORT_DETAILS = 1000
MAX_STATEMENT = 5000


async def report_post(
    tx: Transaction,
    content: ContentRepository,
    actor: Actor,
    post_id: int,
    reason: ModerationReason,
    details: str | None,
) -> PostReport:
    """One report per user and post; OTHER needs a few words of explanation."""
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to report a post.")
    details = (details or "").strip()
    if len(details) > MAX_REPORT_DETAILS:
        raise DomainError.single(
            ("details",), ErrorCode.TOO_LARGE, f"Details have at most {MAX_REPORT_DETAILS} characters."
        )
    if reason is ModerationReason.OTHER and not details:
        raise DomainError.single(("details",), ErrorCode.REQUIRED, "Say what is wrong with this post.")
    await tx.begin_write()
    post, creator_user_id = await _post(content, actor, post_id)
    if post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(("postId",), ErrorCode.NOT_FOUND, "No such post.")
    if creator_user_id == actor.user_id:
        raise DomainError.single(("postId",), ErrorCode.INVALID, "You cannot report your own post.")
    report = await content.add_report(post.id, actor.user_id, reason, details)
    if report is None:
        raise DomainError.single(("postId",), ErrorCode.DUPLICATE, "You have already reported this post.")
    await tx.commit()
    return report


async def remove_post(
    tx: Transaction,
    content: ContentRepository,
    actor: Actor,
    post_id: int,
    reason: ModerationReason,
    statement: str,
) -> tuple[Post, ModerationDecision]:
    moderator = _moderator(actor, "remove posts")
    statement = _statement(statement)
    await tx.begin_write()
    post, _ = await _post(content, actor, post_id)
    if post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(("postId",), ErrorCode.CONFLICT, "Only a published post can be removed.")
    await content.set_post_status(post.id, PostStatus.REMOVED, publish_at=None)
    decision = await content.add_decision(post.id, ModerationAction.REMOVED, reason, statement, moderator)
    await tx.commit()
    return (await content.get_posts([post.id]))[0], decision


async def restore_post(
    tx: Transaction, content: ContentRepository, actor: Actor, post_id: int, statement: str
) -> tuple[Post, ModerationDecision]:
    """Reverse a removal (an upheld appeal): the post is published again, as it was."""
    moderator = _moderator(actor, "restore posts")
    statement = _statement(statement)
    await tx.begin_write()
    post, _ = await _post(content, actor, post_id)
    if post.status is not PostStatus.REMOVED:
        raise DomainError.single(("postId",), ErrorCode.CONFLICT, "Only a removed post can be restored.")
    await content.set_post_status(post.id, PostStatus.PUBLISHED, publish_at=None)
    decision = await content.add_decision(post.id, ModerationAction.RESTORED, None, statement, moderator)
    await tx.commit()
    return (await content.get_posts([post.id]))[0], decision


def _moderator(actor: Actor, doing: str) -> int:
    if not policy.can_moderate(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.FORBIDDEN, f"Only moderators can {doing}.")
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


async def _post(content: ContentRepository, actor: Actor, post_id: int) -> tuple[Post, int]:
    posts = await content.get_posts([post_id])
    creators = await content.get_creators([posts[0].creator_id]) if posts else []
    if not posts or not creators or not post_visible(actor, posts[0], creators[0]):
        raise DomainError.single(("postId",), ErrorCode.NOT_FOUND, "No such post.")
    return posts[0], creators[0].user_id
