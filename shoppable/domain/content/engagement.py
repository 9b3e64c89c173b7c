"""Engagement: likes and saves of published posts, and the viewer's saved list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from shoppable.domain.content.access import signed_in_user, visible_post
from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.content.records import Post, PostStatus
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.uow import UnitOfWork


async def set_like(uow: UnitOfWork, actor: Actor, post_id: int, liked: bool) -> Post:
    """Like or unlike; idempotent either way."""
    user_id = signed_in_user(actor, "like posts")
    content = uow.content
    await uow.begin_write()
    post = await _reactable_post(content, actor, post_id, adding=liked)
    changed = await (content.add_like(user_id, post.id) if liked else content.remove_like(user_id, post.id))
    if changed:
        await uow.commit()
        post = (await content.get_posts([post.id]))[0]
    return post


async def set_save(uow: UnitOfWork, actor: Actor, post_id: int, saved: bool) -> Post:
    """Save or unsave; idempotent either way."""
    user_id = signed_in_user(actor, "save posts")
    content = uow.content
    await uow.begin_write()
    post = await _reactable_post(content, actor, post_id, adding=saved)
    changed = await (content.add_save(user_id, post.id) if saved else content.remove_save(user_id, post.id))
    if changed:
        await uow.commit()
        post = (await content.get_posts([post.id]))[0]
    return post


Reaction = Callable[[UnitOfWork, Actor, int, bool], Awaitable[Post]]
"""`set_like` or `set_save`."""


async def _reactable_post(content: ContentRepository, actor: Actor, post_id: int, *, adding: bool) -> Post:
    """Only published posts can be liked or saved; a like or save can be taken back from any visible one."""
    post, _creator = await visible_post(content, actor, post_id)
    if adding and post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(
            ("postId",), ErrorCode.INVALID, "Only published posts can be liked or saved."
        )
    return post


async def liked_posts(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[Post]:
    if actor.user_id is None:
        return Page(items=[], keys=[], has_next=False)
    return await uow.content.list_liked_posts(actor.user_id, page)


async def saved_posts(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[Post]:
    if actor.user_id is None:
        return Page(items=[], keys=[], has_next=False)
    return await uow.content.list_saved_posts(actor.user_id, page)
