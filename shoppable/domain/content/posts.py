"""Posts: drafts with media, product tags and a disclosure; publishing, editing and deleting them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content.access import signed_in_user, visible_post
from shoppable.domain.content.captions import MAX_HASHTAG_LENGTH, parse_caption, validate_caption
from shoppable.domain.content.ports import ContentRepository
from shoppable.domain.content.records import (
    Creator,
    Disclosure,
    DisclosureKind,
    Media,
    NewProductTag,
    Post,
    PostContent,
    PostStatus,
    ProductTag,
)
from shoppable.domain.content.tags import MediaSlot, TagDraft, TaggableProduct, validate_tags
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.uow import UnitOfWork

MAX_MEDIA_PER_POST = 10
ALL_STATUSES = frozenset(PostStatus)
PUBLIC_STATUSES = frozenset({PostStatus.PUBLISHED})


@dataclass(frozen=True)
class DisclosureDraft:
    kind: DisclosureKind
    partner_id: int | None  # None: no partner given


@dataclass(frozen=True)
class PostDraft:
    """A post as written by its creator; for updates, None (or `disclosure_given=False`) keeps a part."""

    caption: str | None = None
    media_ids: tuple[int, ...] | None = None
    tags: tuple[TagDraft, ...] | None = None
    disclosure: DisclosureDraft | None = None
    disclosure_given: bool = True


async def own_creator(content: ContentRepository, actor: Actor) -> Creator:
    user_id = signed_in_user(actor, "post")
    found = await content.creators_of_users([user_id])
    if not found:
        raise DomainError.single((), ErrorCode.FORBIDDEN, "Become a creator to post.")
    return found[0]


async def create_post(uow: UnitOfWork, actor: Actor, draft: PostDraft) -> Post:
    """A new DRAFT, visible only to its creator until published."""
    signed_in_user(actor, "post")
    await uow.begin_write()
    creator = await own_creator(uow.content, actor)
    written = await _validated_content(
        uow,
        actor,
        caption=draft.caption or "",
        media_ids=draft.media_ids or (),
        tags=draft.tags or (),
        disclosure=draft.disclosure,
    )
    post_id = await uow.content.add_post(creator.id, written)
    await uow.commit()
    return (await uow.content.get_posts([post_id]))[0]


async def update_post(uow: UnitOfWork, actor: Actor, post_id: int, draft: PostDraft) -> Post:
    """Change what is given; tags are checked again against the (new) media.

    On a published post, tags it already had keep standing even if their product has since been
    archived (the tag is then hidden from shoppers); new tags must be to active products. Its
    disclosure may only get stronger (see `disclosure.check_change`).
    """
    content = uow.content
    await uow.begin_write()
    post = await _editable_post(content, actor, post_id)
    media = await content.media_of_posts([post.id])
    tags = await content.tags_of_posts([post.id])
    published = post.status is PostStatus.PUBLISHED
    written = await _validated_content(
        uow,
        actor,
        caption=post.caption if draft.caption is None else draft.caption,
        media_ids=tuple(m.id for _, m in media) if draft.media_ids is None else draft.media_ids,
        tags=_tag_drafts(tags) if draft.tags is None else draft.tags,
        disclosure=draft.disclosure if draft.disclosure_given else _disclosure_draft(post),
        grandfathered={(t.product_id, t.sku_id) for t in tags} if published else set(),
    )
    errors = disclosure_rules.check_change(post.disclosure, written.disclosure, published=published)
    if errors:
        raise DomainError(*errors)
    written = replace(written, disclosure=disclosure_rules.carried_over(post.disclosure, written.disclosure))
    await content.replace_post_content(post.id, written)
    await uow.commit()
    return (await content.get_posts([post.id]))[0]


async def publish_post(uow: UnitOfWork, actor: Actor, post_id: int) -> Post:
    """DRAFT -> PUBLISHED, after checking its content again (a tagged product may have been archived
    since the draft was written). Publishing a published post changes nothing."""
    content = uow.content
    await uow.begin_write()
    post = await _editable_post(content, actor, post_id)
    if post.status is PostStatus.PUBLISHED:
        return post
    media = await content.media_of_posts([post.id])
    tags = await content.tags_of_posts([post.id])
    await _validated_content(
        uow,
        actor,
        caption=post.caption,
        media_ids=tuple(m.id for _, m in media),
        tags=_tag_drafts(tags),
        disclosure=_disclosure_draft(post),
    )
    await content.set_post_status(post.id, PostStatus.PUBLISHED, publish_at=datetime.now(UTC))
    await uow.commit()
    return (await content.get_posts([post.id]))[0]


async def delete_post(uow: UnitOfWork, actor: Actor, post_id: int) -> int:
    """Soft: the row stays (moderation history, reports, attribution) but nobody sees the post again."""
    await uow.begin_write()
    signed_in_user(actor, "delete a post")
    post, creator = await visible_post(uow.content, actor, post_id)
    if not policy.can_edit_post(actor, creator.user_id):
        raise DomainError.single(("postId",), ErrorCode.FORBIDDEN, "Only its creator can delete a post.")
    await uow.content.delete_post(post.id, datetime.now(UTC))
    await uow.commit()
    return post.id


async def _editable_post(content: ContentRepository, actor: Actor, post_id: int) -> Post:
    signed_in_user(actor, "change a post")
    post, creator = await visible_post(content, actor, post_id)
    if not policy.can_edit_post(actor, creator.user_id):
        raise DomainError.single(("postId",), ErrorCode.FORBIDDEN, "Only its creator can change a post.")
    if post.status is PostStatus.REMOVED:
        raise DomainError.single(
            ("postId",),
            ErrorCode.CONFLICT,
            "This post was removed by moderation; it can be appealed, not edited.",
        )
    return post


def _tag_drafts(tags: Sequence[ProductTag]) -> tuple[TagDraft, ...]:
    return tuple(TagDraft(t.product_id, t.media_index, t.sku_id, t.x, t.y, t.timestamp_ms) for t in tags)


def _disclosure_draft(post: Post) -> DisclosureDraft | None:
    return DisclosureDraft(post.disclosure.kind, post.disclosure.partner_id) if post.disclosure else None


async def _validated_content(
    uow: UnitOfWork,
    actor: Actor,
    *,
    caption: str,
    media_ids: Sequence[int],
    tags: Sequence[TagDraft],
    disclosure: DisclosureDraft | None,
    grandfathered: set[tuple[int, int | None]] | None = None,
) -> PostContent:
    """Everything checked at once, so that the creator sees every problem in one answer."""
    parsed = parse_caption(caption)
    errors = validate_caption(parsed)
    media_errors, found = await _checked_media(uow.content, actor, media_ids)
    errors += media_errors
    slots = None if media_errors else [MediaSlot(found[i].kind, found[i].duration_ms) for i in media_ids]
    errors += await _tag_errors(uow, actor, tags, slots, grandfathered or set())
    written_disclosure = None
    if disclosure is not None:
        if not disclosure.partner_id:
            code = ErrorCode.REQUIRED if disclosure.partner_id is None else ErrorCode.NOT_FOUND
            errors.append(
                FieldError(("disclosure", "partnerId"), code, "A disclosure names the partner merchant.")
            )
        elif await uow.identity.get_merchant(disclosure.partner_id) is None:
            errors.append(FieldError(("disclosure", "partnerId"), ErrorCode.NOT_FOUND, "No such merchant."))
        else:
            written_disclosure = Disclosure(disclosure.kind, disclosure.partner_id)
    if errors:
        raise DomainError(*errors)
    return PostContent(
        caption=parsed.text,
        hashtags=parsed.hashtags,
        mentions=parsed.mentions,
        media_ids=tuple(media_ids),
        tags=tuple(
            NewProductTag(t.product_id, t.sku_id, t.media_index, t.x, t.y, t.timestamp_ms) for t in tags
        ),
        disclosure=written_disclosure,
    )


async def _checked_media(
    content: ContentRepository, actor: Actor, media_ids: Sequence[int]
) -> tuple[list[FieldError], dict[int, Media]]:
    """1 to MAX_MEDIA_PER_POST of the actor's own media, each once; and the media found."""
    if not media_ids:
        message = "A post needs at least one photo or video."
        return [FieldError(("mediaIds",), ErrorCode.REQUIRED, message)], {}
    if len(media_ids) > MAX_MEDIA_PER_POST:
        message = f"A post has at most {MAX_MEDIA_PER_POST} media."
        return [FieldError(("mediaIds",), ErrorCode.LIMIT_EXCEEDED, message)], {}
    found = {m.id: m for m in await content.get_media(list(set(media_ids)))}
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, media_id in enumerate(media_ids):
        media = found.get(media_id)
        if media is None or media.owner_id != actor.user_id:
            errors.append(FieldError(("mediaIds", index), ErrorCode.NOT_FOUND, "No such media."))
        elif media_id in seen:
            errors.append(
                FieldError(("mediaIds", index), ErrorCode.DUPLICATE, "This media is already in the post.")
            )
        seen.add(media_id)
    return errors, found


async def _tag_errors(
    uow: UnitOfWork,
    actor: Actor,
    tags: Sequence[TagDraft],
    slots: list[MediaSlot] | None,
    grandfathered: set[tuple[int, int | None]],
) -> list[FieldError]:
    product_ids = sorted({t.product_id for t in tags if t.product_id})
    sku_ids = sorted({t.sku_id for t in tags if t.sku_id})
    products = {
        p.id: TaggableProduct(p.id, p.status, policy.can_see_product(actor, p.merchant_id, p.status))
        for p in (await uow.catalog.get_products(product_ids) if product_ids else [])
    }
    sku_products = {s.id: s.product_id for s in (await uow.catalog.get_skus(sku_ids) if sku_ids else [])}
    for product_id, sku_id in grandfathered:
        products[product_id] = TaggableProduct(product_id, ProductStatus.ACTIVE, visible=True)
        if sku_id is not None:
            sku_products.setdefault(sku_id, product_id)
    return validate_tags(tags, slots, products, sku_products)


# -- reading -----------------------------------------------------------------------------------------


async def creator_posts(uow: UnitOfWork, actor: Actor, creator: Creator, page: PageRequest) -> Page[Post]:
    """A creator's own list includes drafts and removed posts; everyone else sees published ones."""
    statuses = ALL_STATUSES if policy.can_edit_post(actor, creator.user_id) else PUBLIC_STATUSES
    return await uow.content.list_creator_posts(creator.id, statuses, page)


async def featured_in(uow: UnitOfWork, product_id: int, page: PageRequest) -> Page[Post]:
    return await uow.content.list_posts_tagging(product_id, page)


def normalize_hashtag(text: str) -> str | None:
    """ "#Summer", "summer" -> "summer"; None when it cannot be a hashtag."""
    tag = text.strip().lstrip("#").lower()
    if not tag or len(tag) > MAX_HASHTAG_LENGTH or not all(c.isalnum() or c == "_" for c in tag):
        return None
    return tag


async def hashtag_posts(uow: UnitOfWork, hashtag: str, page: PageRequest) -> Page[Post]:
    """Published posts with a hashtag, newest first; an impossible hashtag has none."""
    tag = normalize_hashtag(hashtag)
    if tag is None:
        return Page(items=[], keys=[], has_next=False)
    return await uow.content.list_hashtag_posts(tag, page)
