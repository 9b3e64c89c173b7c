"""A merchant's answer to a post that discloses a partnership with it.

A creator may disclose a partnership on their own (they must, when they are paid), but the partner
is named to shoppers only after one of the merchant's people confirms it; declining keeps the
disclosure, unnamed. Only published posts are answered: drafts are their creator's alone.
"""

from __future__ import annotations

from shoppable.domain.content.access import signed_in_user
from shoppable.domain.content.records import PartnershipStatus as Status
from shoppable.domain.content.records import Post, PostStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.uow import UnitOfWork


async def answer_partnership(uow: UnitOfWork, actor: Actor, post_id: int, confirmed: bool) -> Post:
    """Confirm (name the merchant) or decline (keep the disclosure unnamed); answering again changes
    the answer. NOT_FOUND unless the post is published, discloses a partnership with a merchant the
    actor is one of the people of."""
    signed_in_user(actor, "answer a partnership")
    await uow.begin_write()
    found = await uow.content.get_posts([post_id])
    post = found[0] if found else None
    if (
        post is None
        or post.deleted_at is not None
        or post.status is not PostStatus.PUBLISHED
        or post.disclosure is None
        or not policy.can_answer_partnership(actor, post.disclosure.partner_id)
    ):
        raise DomainError.single(
            ("postId",), ErrorCode.NOT_FOUND, "No post discloses a partnership with you."
        )
    status = Status.CONFIRMED if confirmed else Status.DECLINED
    if post.disclosure.status is not status:
        await uow.content.set_partnership_status(post.id, status)
        await uow.commit()
    return (await uow.content.get_posts([post.id]))[0]
