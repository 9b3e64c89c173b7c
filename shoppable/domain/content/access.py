"""Who is acting, and which posts they may see: the checks every content operation starts with.

Not-found and not-yours read the same (NOT_FOUND) wherever the caller may not see the object.
"""

from __future__ import annotations

from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.content.records import Creator, Post
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor


def signed_in_user(actor: Actor, doing: str) -> int:
    """The acting user's id; UNAUTHENTICATED for anonymous callers and merchant API keys."""
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, f"Log in to {doing}.")
    return actor.user_id


def post_visible(actor: Actor, post: Post, creator: Creator) -> bool:
    return policy.can_see_post(actor, creator.user_id, post.status, post.deleted_at is not None)


async def visible_post(content: ContentRepository, actor: Actor, post_id: int) -> tuple[Post, Creator]:
    """The post and its creator, or NOT_FOUND on `postId` when the actor may not see it."""
    posts = await content.get_posts([post_id])
    creators = await content.get_creators([posts[0].creator_id]) if posts else []
    if not posts or not creators or not post_visible(actor, posts[0], creators[0]):
        raise DomainError.single(("postId",), ErrorCode.NOT_FOUND, "No such post.")
    return posts[0], creators[0]
