""" "Not interested": a viewer hides a post, product, creator or merchant from their feed.

A signed-in viewer's hides are their account's; an anonymous device's (`X-Device-Id`) are kept for
that device and join the account when it signs up or logs in (`domain/identity/merge.py`)."""

from __future__ import annotations

from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.feed.model import Malformed
from shoppable.domain.feed.ports import FeedUnitOfWork
from shoppable.domain.identity.actor import Actor
from shoppable.domain.rate_limits import HIDE_FROM_FEED_PER_ACTOR, RateLimiter, actor_key

HIDEABLE = frozenset({"Post", "Product", "Creator", "Merchant"})
NOT_FOUND_MESSAGE = "No such post, product, creator or merchant."
"""One text for "does not exist" and "you may not see it": a hide must not reveal drafts or ids."""


async def set_hidden(
    uow: FeedUnitOfWork,
    actor: Actor,
    subject: tuple[str, int] | Malformed,
    *,
    hidden: bool,
    rate_limits: RateLimiter,
) -> None:
    """Hide (or show again) one subject; hiding twice or showing what was never hidden is no error.

    Only what a shopper may see can be hidden (an unknown id, a draft or removed post, an inactive
    product is NOT_FOUND); showing again is always allowed, so a hide of what has since gone away can
    still be undone.
    """
    if actor.user_id is None and not actor.device_id:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Sign in or send an X-Device-Id header.")
    await rate_limits.hit(HIDE_FROM_FEED_PER_ACTOR, actor_key(actor))
    if isinstance(subject, Malformed):
        raise DomainError.single(("subjectId",), ErrorCode.INVALID, "Malformed id.")
    kind, pk = subject
    if kind not in HIDEABLE:
        raise DomainError.single(
            ("subjectId",), ErrorCode.INVALID, "Hide a post, product, creator or merchant."
        )
    if hidden and (kind, pk) not in await uow.feed.existing_subjects([(kind, pk)]):
        raise DomainError.single(("subjectId",), ErrorCode.NOT_FOUND, NOT_FOUND_MESSAGE)
    await uow.begin_write()
    device_id = None if actor.user_id is not None else actor.device_id
    if hidden:
        await uow.feed.hide(actor.user_id, kind, pk, device_id)
    else:
        await uow.feed.unhide(actor.user_id, kind, pk, device_id)
    await uow.commit()
