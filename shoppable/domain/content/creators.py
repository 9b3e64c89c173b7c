"""Creators: becoming one, following and unfollowing, and a creator's storefront."""

from __future__ import annotations

from dataclasses import dataclass

from shoppable.domain.catalog.records import Product
from shoppable.domain.content.access import signed_in_user
from shoppable.domain.content.captions import normalize_handle, validate_handle
from shoppable.domain.content.media import MediaKind
from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.content.records import Creator
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.text import NUL_MESSAGE, has_nul
from shoppable.domain.uow import UnitOfWork

MAX_DISPLAY_NAME_LENGTH = 100
MAX_BIO_LENGTH = 500


@dataclass(frozen=True)
class CreatorDraft:
    handle: str
    display_name: str
    bio: str | None = None
    avatar_media_id: int | None = None


def _checked(draft: CreatorDraft) -> CreatorDraft:
    """The draft normalized (handle lower-cased, text trimmed), or every problem with it at once."""
    handle = normalize_handle(draft.handle)
    display_name, bio = draft.display_name.strip(), (draft.bio or "").strip()
    errors = validate_handle(handle)
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME_LENGTH:
        errors.append(
            FieldError(
                ("displayName",),
                ErrorCode.INVALID,
                f"A display name has 1 to {MAX_DISPLAY_NAME_LENGTH} characters.",
            )
        )
    if has_nul(display_name):
        errors.append(FieldError(("displayName",), ErrorCode.INVALID, f"A display name {NUL_MESSAGE}"))
    if has_nul(bio):
        errors.append(FieldError(("bio",), ErrorCode.INVALID, f"A bio {NUL_MESSAGE}"))
    if len(bio) > MAX_BIO_LENGTH:
        errors.append(
            FieldError(("bio",), ErrorCode.TOO_LARGE, f"A bio has at most {MAX_BIO_LENGTH} characters.")
        )
    if errors:
        raise DomainError(*errors)
    return CreatorDraft(handle, display_name, bio, draft.avatar_media_id)


async def become_creator(uow: UnitOfWork, actor: Actor, draft: CreatorDraft) -> Creator:
    user_id = signed_in_user(actor, "become a creator")
    draft = _checked(draft)
    await uow.begin_write()
    content = uow.content
    if await content.creators_of_users([user_id]):
        raise DomainError.single((), ErrorCode.CONFLICT, "You are already a creator.")
    if await content.creators_by_handles([draft.handle]):
        raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
    if draft.avatar_media_id is not None:
        found = await content.get_media([draft.avatar_media_id])
        if not found or found[0].owner_id != user_id or found[0].kind is not MediaKind.IMAGE:
            raise DomainError.single(("avatarMediaId",), ErrorCode.NOT_FOUND, "No such image.")
    creator = await content.add_creator(
        user_id, draft.handle, draft.display_name, draft.bio or "", draft.avatar_media_id
    )
    await uow.commit()
    return creator


async def follow(uow: UnitOfWork, actor: Actor, creator_id: int) -> Creator:
    """Idempotent: following twice is following once."""
    user_id = signed_in_user(actor, "follow creators")
    await uow.begin_write()
    creator = await _creator(uow.content, creator_id)
    if creator.user_id == user_id:
        raise DomainError.single(("creatorId",), ErrorCode.INVALID, "You cannot follow yourself.")
    if await uow.content.add_follow(user_id, creator.id):
        await uow.commit()
        creator = await _creator(uow.content, creator_id)
    return creator


async def unfollow(uow: UnitOfWork, actor: Actor, creator_id: int) -> Creator:
    user_id = signed_in_user(actor, "unfollow creators")
    await uow.begin_write()
    creator = await _creator(uow.content, creator_id)
    if await uow.content.remove_follow(user_id, creator.id):
        await uow.commit()
        creator = await _creator(uow.content, creator_id)
    return creator


async def _creator(content: ContentRepository, creator_id: int) -> Creator:
    found = await content.get_creators([creator_id])
    if not found:
        raise DomainError.single(("creatorId",), ErrorCode.NOT_FOUND, "No such creator.")
    return found[0]


async def list_following(uow: UnitOfWork, actor: Actor, page: PageRequest) -> Page[Creator]:
    if actor.user_id is None:
        return Page(items=[], keys=[], has_next=False)
    return await uow.content.list_following(actor.user_id, page)


async def storefront(uow: UnitOfWork, creator_id: int, page: PageRequest) -> Page[Product]:
    """The active products a creator tagged in published posts, the most recently tagged first."""
    return await uow.content.list_creator_products(creator_id, page)


MAX_CREATOR_QUERY_CHARS = 100


async def search_creators(uow: UnitOfWork, query: str, page: PageRequest) -> Page[Creator]:
    """Creators by handle (with or without the @) and by name; blank text finds none."""
    text = query.strip().lstrip("@").strip().lower()
    if not text or "\x00" in text or len(text) > MAX_CREATOR_QUERY_CHARS:
        return Page(items=[], keys=[], has_next=False)
    return await uow.content.search_creators(text, page)
