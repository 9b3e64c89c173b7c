"""Content operations: creators and follows, uploads and media, posts and engagement.

Moderation (reports, removals, appeals) is in `moderation.py`. Every operation takes the unit of
work, the repositories it needs and the actor, and raises DomainError for anything the caller
should fix; not-found and not-yours read the same (NOT_FOUND) wherever the caller may not see the
object.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.catalog.ports import CatalogRepository
from shoppable.domain.catalog.records import Product
from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content.captions import (
    normalize_handle,
    parse_caption,
    validate_caption,
    validate_handle,
)
from shoppable.domain.content.media import (
    SNIFF_BYTES,
    MediaKind,
    MediaLimits,
    check_object,
    new_object_key,
    rendition_key,
    validate_upload_request,
)
from shoppable.domain.content.mp4 import probe_mp4_duration_ms
from shoppable.domain.content.ports import (
    ContentRepository,
    ImageProcessor,
    MediaStore,
    MediaStoreError,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    UploadTarget,
)
from shoppable.domain.content.records import (
    Creator,
    Disclosure,
    DisclosureKind,
    Media,
    MediaRendition,
    NewProductTag,
    Post,
    PostContent,
    PostStatus,
    Upload,
    UploadStatus,
)
from shoppable.domain.content.tags import MediaSlot, TagDraft, TaggableProduct, validate_tags
from shoppable.domain.errors import DomainError, ErrorCode, FieldError
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.identity.ports import IdentityRepository
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.ports import Transaction

log = logging.getLogger("shoppable.content")

MAX_DISPLAY_NAME_LENGTH = 100
MAX_BIO_LENGTH = 500
MAX_MEDIA_PER_POST = 10
RENDITION_WIDTHS = (320, 640, 1080)
COMPLETION_GRACE = timedelta(minutes=5)
"""completeUpload is accepted this long after the upload URL expired, so that a transfer finishing
at the deadline can still be completed; after that the upload is expired and cleaned up."""
UPLOAD_PREFIX = "uploads/"
MEDIA_PREFIX = "media/"


def completion_deadline(upload: Upload) -> datetime:
    return upload.expires_at + COMPLETION_GRACE


def _user_id(actor: Actor, doing: str) -> int:
    if actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, f"Log in to {doing}.")
    return actor.user_id


# -- creators and follows ---------------------------------------------------------------------------


async def become_creator(
    tx: Transaction,
    content: ContentRepository,
    actor: Actor,
    handle: str,
    display_name: str,
    bio: str | None,
    avatar_media_id: int | None = None,
) -> Creator:
    user_id = _user_id(actor, "become a creator")
    handle = normalize_handle(handle)
    display_name, bio = display_name.strip(), (bio or "").strip()
    errors = validate_handle(handle)
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME_LENGTH:
        errors.append(
            FieldError(
                ("displayName",),
                ErrorCode.INVALID,
                f"A display name has 1 to {MAX_DISPLAY_NAME_LENGTH} characters.",
            )
        )
    if len(bio) > MAX_BIO_LENGTH:
        errors.append(
            FieldError(("bio",), ErrorCode.TOO_LARGE, f"A bio has at most {MAX_BIO_LENGTH} characters.")
        )
    if errors:
        raise DomainError(*errors)
    await tx.begin_write()
    if await content.creators_of_users([user_id]):
        raise DomainError.single((), ErrorCode.CONFLICT, "You are already a creator.")
    if await content.creators_by_handles([handle]):
        raise DomainError.single(("handle",), ErrorCode.CONFLICT, "This handle is taken.")
    if avatar_media_id is not None:
        found = await content.get_media([avatar_media_id])
        if not found or found[0].owner_id != user_id or found[0].kind is not MediaKind.IMAGE:
            raise DomainError.single(("avatarMediaId",), ErrorCode.NOT_FOUND, "No such image.")
    creator = await content.add_creator(user_id, handle, display_name, bio, avatar_media_id)
    await tx.commit()
    return creator


async def follow(tx: Transaction, content: ContentRepository, actor: Actor, creator_id: int) -> Creator:
    """Idempotent: following twice is following once."""
    user_id = _user_id(actor, "follow creators")
    await tx.begin_write()
    creator = await _creator(content, creator_id)
    if creator.user_id == user_id:
        raise DomainError.single(("creatorId",), ErrorCode.INVALID, "You cannot follow yourself.")
    if await content.add_follow(user_id, creator.id):
        await tx.commit()
        creator = await _creator(content, creator_id)
    return creator


async def unfollow(tx: Transaction, content: ContentRepository, actor: Actor, creator_id: int) -> Creator:
    user_id = _user_id(actor, "unfollow creators")
    await tx.begin_write()
    creator = await _creator(content, creator_id)
    if await content.remove_follow(user_id, creator.id):
        await tx.commit()
        creator = await _creator(content, creator_id)
    return creator


async def _creator(content: ContentRepository, creator_id: int) -> Creator:
    found = await content.get_creators([creator_id])
    if not found:
        raise DomainError.single(("creatorId",), ErrorCode.NOT_FOUND, "No such creator.")
    return found[0]


async def list_following(content: ContentRepository, actor: Actor, page: PageRequest) -> Page[Creator]:
    if actor.user_id is None:
        return Page(items=[], keys=[], has_next=False)
    return await content.list_following(actor.user_id, page)


# -- uploads and media ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedUpload:
    upload: Upload
    target: UploadTarget


async def create_upload(
    tx: Transaction,
    content: ContentRepository,
    store: MediaStore,
    limits: MediaLimits,
    actor: Actor,
    filename: str,
    content_type: str,
    byte_size: int,
) -> CreatedUpload:
    """Permission to send exactly one file of the declared type and size, for a limited time."""
    if not policy.can_upload_media(actor) or actor.user_id is None:
        raise DomainError.single((), ErrorCode.UNAUTHENTICATED, "Log in to upload media.")
    errors = validate_upload_request(filename, content_type, byte_size, limits)
    if errors:
        raise DomainError(*errors)
    declared = content_type.split(";", 1)[0].strip().lower()
    kind = MediaKind.VIDEO if declared.startswith("video/") else MediaKind.IMAGE
    key = new_object_key(kind, declared)
    # The grant is for the declared size, not the kind's limit: a store that enforces its policy
    # (S3, our upload endpoint) refuses a larger body outright.
    target = await store.presign_upload(key, declared, byte_size, limits.upload_ttl_seconds)
    await tx.begin_write()
    upload = await content.add_upload(
        actor.user_id, key, filename.strip(), declared, kind, byte_size, target.expires_at
    )
    await tx.commit()
    return CreatedUpload(upload=upload, target=target)


def media_key_for(upload_key: str) -> str:
    """Where a verified upload is copied to: `uploads/2026/11/x.jpg` -> `media/2026/11/x.jpg`."""
    return MEDIA_PREFIX + upload_key.removeprefix(UPLOAD_PREFIX)


def derived_keys(upload: Upload) -> list[str]:
    """Every object a completion may have written for an upload, for clean-up after a failure."""
    final = media_key_for(upload.key)
    keys = [upload.key, final]
    if upload.kind is MediaKind.IMAGE:
        keys += [rendition_key(final, width) for width in RENDITION_WIDTHS]
    return keys


@dataclass(frozen=True)
class _VerifiedMedia:
    key: str
    info: ObjectInfo
    width: int | None
    height: int | None
    duration_ms: int | None
    renditions: list[MediaRendition]


async def complete_upload(
    tx: Transaction,
    content: ContentRepository,
    store: MediaStore,
    process_image: ImageProcessor,
    limits: MediaLimits,
    actor: Actor,
    upload_id: int,
    *,
    now: datetime | None = None,
) -> Media:
    """Verify what was stored against what was declared, and turn it into media.

    The upload key stays writable by the client until its URL expires (S3 lets a presigned POST be
    replayed), so the object is first copied to a key only we write, and everything is verified on
    that copy: size, Content-Type as stored, type by magic bytes, then dimensions and renditions for
    images or duration for videos. Anything wrong: the objects are deleted, the upload is marked
    failed, and the caller gets userErrors. Completing twice returns the same media.

    The write lock is not held during the store I/O and image decoding (seconds for a big photo):
    the upload is read, the transaction ended, and read again before writing.
    """
    user_id = _user_id(actor, "upload media")
    await tx.begin_write()
    upload = await content.get_upload(upload_id)
    if upload is None or upload.user_id != user_id:
        raise DomainError.single(("uploadId",), ErrorCode.NOT_FOUND, "No such upload.")
    if upload.status is UploadStatus.COMPLETED and upload.media_id is not None:
        return (await content.get_media([upload.media_id]))[0]
    if upload.status is UploadStatus.FAILED:
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload was refused; start a new one."
        )
    await tx.rollback()

    moment = now or datetime.now(UTC)
    if moment > completion_deadline(upload):
        await _fail(tx, content, store, upload)
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload has expired; start a new one."
        )
    try:
        verified = await _verify(store, process_image, limits, upload)
    except DomainError:
        await _fail(tx, content, store, upload)
        raise

    current = await content.get_upload(upload.id)
    if current is None:  # cleaned up meanwhile (see jobs/media_cleanup.py)
        raise DomainError.single(
            ("uploadId",), ErrorCode.INVALID, "This upload has expired; start a new one."
        )
    if current.status is UploadStatus.COMPLETED and current.media_id is not None:
        return (await content.get_media([current.media_id]))[0]  # a concurrent completion won
    media = await content.add_media(
        user_id,
        upload.kind,
        verified.key,
        upload.content_type,
        verified.info.size,
        verified.width,
        verified.height,
        verified.duration_ms,
        verified.renditions,
    )
    await content.set_upload_status(upload.id, UploadStatus.COMPLETED, media.id)
    await tx.commit()
    await _delete_quietly(store, [upload.key])
    return media


async def _fail(tx: Transaction, content: ContentRepository, store: MediaStore, upload: Upload) -> None:
    await _delete_quietly(store, derived_keys(upload))
    await content.set_upload_status(upload.id, UploadStatus.FAILED)
    await tx.commit()


async def _delete_quietly(store: MediaStore, keys: Sequence[str]) -> None:
    """Best effort: what is left behind is found again by the clean-up job."""
    for key in keys:
        try:
            await store.delete(key)
        except MediaStoreError:
            log.warning("could not delete media object %s", key, exc_info=True)


async def _check_stored(store: MediaStore, key: str, upload: Upload) -> ObjectInfo:
    info = await store.head(key)
    head = await store.read_head(key, SNIFF_BYTES) if info is not None else b""
    errors = check_object(
        upload.content_type,
        upload.byte_size,
        info.size if info is not None else None,
        head,
        stored_content_type=info.content_type if info is not None else None,
    )
    if errors:
        raise DomainError(*errors)
    assert info is not None  # check_object reports a missing object
    return info


async def _verify(
    store: MediaStore, process_image: ImageProcessor, limits: MediaLimits, upload: Upload
) -> _VerifiedMedia:
    # A cheap look at the upload itself first, so that a wrong or oversized file is never copied.
    await _check_stored(store, upload.key, upload)
    final = media_key_for(upload.key)
    try:
        await store.copy(upload.key, final)
    except ObjectNotFound:
        raise DomainError.single(
            ("uploadId",), ErrorCode.NOT_FOUND, "Nothing was uploaded for this upload."
        ) from None
    info = await _check_stored(store, final, upload)
    if upload.kind is MediaKind.VIDEO:
        duration = await probe_mp4_duration_ms(lambda start, n: store.read_range(final, start, n), info.size)
        if duration is None:
            raise DomainError.single(
                ("contentType",), ErrorCode.UNSUPPORTED_MEDIA_TYPE, "The video has no readable movie header."
            )
        return _VerifiedMedia(final, info, None, None, duration, [])
    try:
        data = await store.read_all(final, limits.max_image_bytes)
    except ObjectTooLarge:
        raise DomainError.single(("byteSize",), ErrorCode.TOO_LARGE, "The image is too large.") from None
    processed = await process_image(data, RENDITION_WIDTHS)
    renditions = []
    for rendition in processed.renditions:
        key = rendition_key(final, rendition.width)
        await store.put(key, rendition.data, rendition.content_type)
        renditions.append(MediaRendition(0, rendition.width, rendition.height, key, rendition.content_type))
    return _VerifiedMedia(final, info, processed.width, processed.height, None, renditions)


# -- posts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureDraft:
    kind: DisclosureKind
    partner_id: int | None  # 0: the id named no merchant


@dataclass(frozen=True)
class PostDraft:
    """A post as written by its creator; for updates, None (or `disclosure_given=False`) keeps a part."""

    caption: str | None = None
    media_ids: tuple[int, ...] | None = None
    tags: tuple[TagDraft, ...] | None = None
    disclosure: DisclosureDraft | None = None
    disclosure_given: bool = True


async def own_creator(content: ContentRepository, actor: Actor) -> Creator:
    user_id = _user_id(actor, "post")
    found = await content.creators_of_users([user_id])
    if not found:
        raise DomainError.single((), ErrorCode.FORBIDDEN, "Become a creator to post.")
    return found[0]


async def create_post(
    tx: Transaction,
    content: ContentRepository,
    catalog: CatalogRepository,
    identity: IdentityRepository,
    actor: Actor,
    draft: PostDraft,
) -> Post:
    """A new DRAFT, visible only to its creator until published."""
    _user_id(actor, "post")
    await tx.begin_write()
    creator = await own_creator(content, actor)
    written = await _validated_content(
        content,
        catalog,
        identity,
        actor,
        caption=draft.caption or "",
        media_ids=draft.media_ids or (),
        tags=draft.tags or (),
        disclosure=draft.disclosure,
    )
    post_id = await content.add_post(creator.id, written)
    await tx.commit()
    return (await content.get_posts([post_id]))[0]


async def update_post(
    tx: Transaction,
    content: ContentRepository,
    catalog: CatalogRepository,
    identity: IdentityRepository,
    actor: Actor,
    post_id: int,
    draft: PostDraft,
) -> Post:
    """Change what is given; tags are checked again against the (new) media.

    On a published post, tags it already had keep standing even if their product has since been
    archived (the tag is then hidden from shoppers); new tags must be to active products. Its
    disclosure may only get stronger (see `disclosure.check_change`).
    """
    await tx.begin_write()
    post = await _editable_post(content, actor, post_id)
    media = await content.media_of_posts([post.id])
    tags = await content.tags_of_posts([post.id])
    current_tags = tuple(
        TagDraft(t.product_id, t.media_index, t.sku_id, t.x, t.y, t.timestamp_ms) for t in tags
    )
    published = post.status is PostStatus.PUBLISHED
    disclosure = (
        draft.disclosure
        if draft.disclosure_given
        else (DisclosureDraft(post.disclosure.kind, post.disclosure.partner_id) if post.disclosure else None)
    )
    written = await _validated_content(
        content,
        catalog,
        identity,
        actor,
        caption=post.caption if draft.caption is None else draft.caption,
        media_ids=tuple(m.id for _, m in media) if draft.media_ids is None else draft.media_ids,
        tags=current_tags if draft.tags is None else draft.tags,
        disclosure=disclosure,
        grandfathered={(t.product_id, t.sku_id) for t in tags} if published else set(),
    )
    errors = disclosure_rules.check_change(post.disclosure, written.disclosure, published=published)
    if errors:
        raise DomainError(*errors)
    await content.replace_post_content(post.id, written)
    await tx.commit()
    return (await content.get_posts([post.id]))[0]


async def publish_post(
    tx: Transaction,
    content: ContentRepository,
    catalog: CatalogRepository,
    identity: IdentityRepository,
    actor: Actor,
    post_id: int,
) -> Post:
    """DRAFT -> PUBLISHED, after checking its content again (a tagged product may have been archived
    since the draft was written). Publishing a published post changes nothing."""
    await tx.begin_write()
    post = await _editable_post(content, actor, post_id)
    if post.status is PostStatus.PUBLISHED:
        return post
    media = await content.media_of_posts([post.id])
    tags = await content.tags_of_posts([post.id])
    await _validated_content(
        content,
        catalog,
        identity,
        actor,
        caption=post.caption,
        media_ids=tuple(m.id for _, m in media),
        tags=tuple(TagDraft(t.product_id, t.media_index, t.sku_id, t.x, t.y, t.timestamp_ms) for t in tags),
        disclosure=DisclosureDraft(post.disclosure.kind, post.disclosure.partner_id)
        if post.disclosure
        else None,
    )
    await content.set_post_status(post.id, PostStatus.PUBLISHED, publish_at=datetime.now(UTC))
    await tx.commit()
    return (await content.get_posts([post.id]))[0]


async def delete_post(tx: Transaction, content: ContentRepository, actor: Actor, post_id: int) -> int:
    """Soft: the row stays (moderation history, reports, attribution) but nobody sees the post again."""
    await tx.begin_write()
    post, creator = await _visible_post(content, actor, post_id)
    if not policy.can_edit_post(actor, creator.user_id):
        raise DomainError.single(("postId",), ErrorCode.FORBIDDEN, "Only its creator can delete a post.")
    await content.delete_post(post.id, datetime.now(UTC))
    await tx.commit()
    return post.id


async def _visible_post(content: ContentRepository, actor: Actor, post_id: int) -> tuple[Post, Creator]:
    posts = await content.get_posts([post_id])
    creators = await content.get_creators([posts[0].creator_id]) if posts else []
    if not posts or not creators or not post_visible(actor, posts[0], creators[0]):
        raise DomainError.single(("postId",), ErrorCode.NOT_FOUND, "No such post.")
    return posts[0], creators[0]


async def _editable_post(content: ContentRepository, actor: Actor, post_id: int) -> Post:
    post, creator = await _visible_post(content, actor, post_id)
    if not policy.can_edit_post(actor, creator.user_id):
        raise DomainError.single(("postId",), ErrorCode.FORBIDDEN, "Only its creator can change a post.")
    if post.status is PostStatus.REMOVED:
        raise DomainError.single(
            ("postId",),
            ErrorCode.CONFLICT,
            "This post was removed by moderation; it can be appealed, not edited.",
        )
    return post


def post_visible(actor: Actor, post: Post, creator: Creator) -> bool:
    return policy.can_see_post(actor, creator.user_id, post.status, post.deleted_at is not None)


async def _validated_content(
    content: ContentRepository,
    catalog: CatalogRepository,
    identity: IdentityRepository,
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

    media_errors: list[FieldError] = []
    found: dict[int, Media] = {}
    if not media_ids:
        media_errors.append(
            FieldError(("mediaIds",), ErrorCode.REQUIRED, "A post needs at least one photo or video.")
        )
    elif len(media_ids) > MAX_MEDIA_PER_POST:
        media_errors.append(
            FieldError(
                ("mediaIds",), ErrorCode.LIMIT_EXCEEDED, f"A post has at most {MAX_MEDIA_PER_POST} media."
            )
        )
    else:
        found = {m.id: m for m in await content.get_media(list(set(media_ids)))}
        seen: set[int] = set()
        for index, media_id in enumerate(media_ids):
            media = found.get(media_id)
            if media is None or media.owner_id != actor.user_id:
                media_errors.append(FieldError(("mediaIds", index), ErrorCode.NOT_FOUND, "No such media."))
            elif media_id in seen:
                media_errors.append(
                    FieldError(("mediaIds", index), ErrorCode.DUPLICATE, "This media is already in the post.")
                )
            seen.add(media_id)
    errors += media_errors
    slots = None if media_errors else [MediaSlot(found[i].kind, found[i].duration_ms) for i in media_ids]

    product_ids = sorted({t.product_id for t in tags if t.product_id})
    sku_ids = sorted({t.sku_id for t in tags if t.sku_id})
    products = {
        p.id: TaggableProduct(p.id, p.status, policy.can_see_product(actor, p.merchant_id, p.status))
        for p in (await catalog.get_products(product_ids) if product_ids else [])
    }
    sku_products = {s.id: s.product_id for s in (await catalog.get_skus(sku_ids) if sku_ids else [])}
    for product_id, sku_id in grandfathered or ():
        products[product_id] = TaggableProduct(product_id, ProductStatus.ACTIVE, visible=True)
        if sku_id is not None:
            sku_products.setdefault(sku_id, product_id)
    errors += validate_tags(tags, slots, products, sku_products)

    written_disclosure = None
    if disclosure is not None:
        if not disclosure.partner_id:
            code = ErrorCode.REQUIRED if disclosure.partner_id is None else ErrorCode.NOT_FOUND
            errors.append(
                FieldError(("disclosure", "partnerId"), code, "A disclosure names the partner merchant.")
            )
        elif await identity.get_merchant(disclosure.partner_id) is None:
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


# -- engagement --------------------------------------------------------------------------------------


async def _published_post(content: ContentRepository, actor: Actor, post_id: int) -> Post:
    post, _creator = await _visible_post(content, actor, post_id)
    if post.status is not PostStatus.PUBLISHED:
        raise DomainError.single(
            ("postId",), ErrorCode.INVALID, "Only published posts can be liked or saved."
        )
    return post


async def set_like(
    tx: Transaction, content: ContentRepository, actor: Actor, post_id: int, liked: bool
) -> Post:
    """Like or unlike; idempotent either way."""
    user_id = _user_id(actor, "like posts")
    await tx.begin_write()
    post = (
        await _published_post(content, actor, post_id)
        if liked
        else (await _visible_post(content, actor, post_id))[0]
    )
    changed = await (content.add_like(user_id, post.id) if liked else content.remove_like(user_id, post.id))
    if changed:
        await tx.commit()
        post = (await content.get_posts([post.id]))[0]
    return post


async def set_save(
    tx: Transaction, content: ContentRepository, actor: Actor, post_id: int, saved: bool
) -> Post:
    """Save or unsave; idempotent either way."""
    user_id = _user_id(actor, "save posts")
    await tx.begin_write()
    post = (
        await _published_post(content, actor, post_id)
        if saved
        else (await _visible_post(content, actor, post_id))[0]
    )
    changed = await (content.add_save(user_id, post.id) if saved else content.remove_save(user_id, post.id))
    if changed:
        await tx.commit()
        post = (await content.get_posts([post.id]))[0]
    return post


Reaction = Callable[[Transaction, ContentRepository, Actor, int, bool], Awaitable[Post]]
"""`set_like` or `set_save`."""


# -- reading -----------------------------------------------------------------------------------------

ALL_STATUSES = frozenset(PostStatus)
PUBLIC_STATUSES = frozenset({PostStatus.PUBLISHED})


async def creator_posts(
    content: ContentRepository, actor: Actor, creator: Creator, page: PageRequest
) -> Page[Post]:
    """A creator's own list includes drafts and removed posts; everyone else sees published ones."""
    statuses = ALL_STATUSES if policy.can_edit_post(actor, creator.user_id) else PUBLIC_STATUSES
    return await content.list_creator_posts(creator.id, statuses, page)


async def saved_posts(content: ContentRepository, actor: Actor, page: PageRequest) -> Page[Post]:
    if actor.user_id is None:
        return Page(items=[], keys=[], has_next=False)
    return await content.list_saved_posts(actor.user_id, page)


async def featured_in(content: ContentRepository, product_id: int, page: PageRequest) -> Page[Post]:
    return await content.list_posts_tagging(product_id, page)


async def storefront(content: ContentRepository, creator_id: int, page: PageRequest) -> Page[Product]:
    """The active products a creator tagged in published posts, the most recently tagged first."""
    return await content.list_creator_products(creator_id, page)
