"""What the content domain needs from outside: its repository, a media store (local disk or S3) and
an image processor; `storage` implements them, `shoppable.services.Services` carries them."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from shoppable.domain.catalog.records import Product
from shoppable.domain.content.media import MediaKind, MediaLimits
from shoppable.domain.content.records import (
    Creator,
    Media,
    MediaRendition,
    ModerationAction,
    ModerationDecision,
    ModerationReason,
    PartnershipStatus,
    Post,
    PostCard,
    PostContent,
    PostReport,
    PostStatus,
    ProductTag,
    Upload,
    UploadStatus,
)
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.rate_limits import RateLimiter

DEFAULT_HEAD_BYTES = 64 * 1024
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
"""Keys are never reused (a fresh random name per upload), so served media may be cached forever."""


@dataclass(frozen=True)
class UploadTarget:
    """Where and how the client sends the bytes.

    S3: `method="POST"`, a multipart form with `fields` first and the file last (field name `file`).
    Local disk: `method="PUT"` of the raw body with `headers`.
    """

    url: str
    method: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str | None
    last_modified: datetime | None = None


class MediaStoreError(Exception):
    """The store failed (network, disk); not the client's fault."""


class ObjectNotFound(LookupError):
    """No object at that key."""


class InvalidObjectKey(ValueError):
    """A key that could escape the media root or name something hidden; refused before any I/O."""


class ObjectTooLarge(Exception):
    """An object is bigger than the caller is willing to read into memory."""


class UploadRejected(Exception):
    """The app's own upload endpoint refuses a body; `code` says why (INVALID_TOKEN, EXPIRED, TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE, EMPTY, CONFLICT or INVALID)."""

    code = "INVALID"


@dataclass(frozen=True)
class ServedFile:
    path: Path
    content_type: str
    headers: dict[str, str]


@runtime_checkable
class DirectMedia(Protocol):
    """A media store whose uploads and downloads go through this app (local disk); S3 is not one."""

    async def receive(
        self, token: str, body: AsyncIterable[bytes], content_type: str | None, content_length: int | None
    ) -> int:
        """Stream an upload into the key its signed token grants; raises UploadRejected."""

    def granted_key(self, token: str) -> str:
        """The key an upload token grants; raises UploadRejected for a bad or expired token."""

    def served_file(self, key: str) -> ServedFile | None:
        """The file to answer `GET /media/{key}` with (only keys under `media/`), or None."""


@runtime_checkable
class MediaStore(Protocol):
    """Every method refuses an invalid key (see `is_valid_object_key`) with InvalidObjectKey."""

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        """Permission to upload exactly one object at `key`, of `content_type` and 1..max_bytes bytes,
        for `expires_in` seconds."""
        ...

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and stored type of an object, None when there is none."""
        ...

    async def read_range(self, key: str, start: int, length: int) -> bytes:
        """Up to `length` bytes from `start` (fewer at the end of the object; b"" past it).

        Raises ObjectNotFound, like every read below."""
        ...

    async def read_head(self, key: str, n: int = DEFAULT_HEAD_BYTES) -> bytes:
        """The first `n` bytes, enough to sniff the type and read most headers."""
        ...

    async def read_all(self, key: str, max_bytes: int) -> bytes:
        """The whole object; raises ObjectTooLarge beyond `max_bytes` rather than filling memory."""
        ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy (no bytes through the app)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; deleting a missing object is not an error."""
        ...

    def public_url(self, key: str) -> str: ...

    def list_keys(self, prefix: str, older_than: datetime) -> AsyncIterator[str]:
        """Keys under `prefix` last modified before `older_than` (for clean-up of abandoned uploads)."""
        ...


class RenderedImage(Protocol):
    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def data(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...


class ProcessedImageData(Protocol):
    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...

    @property
    def renditions(self) -> Sequence[RenderedImage]: ...


class ImageProcessor(Protocol):
    """Reads an image's displayed size and renders web versions of it (CPU-bound: off the event loop).

    Raises DomainError (TOO_LARGE, UNSUPPORTED_MEDIA_TYPE) for an image that cannot be used."""

    async def __call__(self, data: bytes, widths: Sequence[int]) -> ProcessedImageData: ...


class MediaServices(Protocol):
    """What upload operations need besides the database; `shoppable.services.Services` is one."""

    @property
    def media(self) -> MediaStore: ...

    @property
    def images(self) -> ImageProcessor: ...

    @property
    def media_limits(self) -> MediaLimits: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def rate_limits(self) -> RateLimiter: ...


class ContentRepository(Protocol):
    """Persistence of creators, uploads, media, posts, engagement and moderation."""

    # creators and follows
    async def get_creators(self, ids: Sequence[int]) -> list[Creator]: ...

    async def creators_of_users(self, user_ids: Sequence[int]) -> list[Creator]: ...

    async def creators_by_handles(self, handles: Sequence[str]) -> list[Creator]: ...

    async def add_creator(
        self, user_id: int, handle: str, display_name: str, bio: str, avatar_media_id: int | None
    ) -> Creator: ...

    async def add_follow(self, user_id: int, creator_id: int) -> bool:
        """True when the follow is new (and the creator's follower count went up)."""
        ...

    async def remove_follow(self, user_id: int, creator_id: int) -> bool: ...

    async def followed_creator_ids(self, user_id: int, creator_ids: Sequence[int]) -> set[int]: ...

    async def list_following(self, user_id: int, page: PageRequest) -> Page[Creator]: ...

    # uploads and media
    async def add_upload(
        self,
        user_id: int,
        key: str,
        filename: str,
        content_type: str,
        kind: MediaKind,
        byte_size: int,
        expires_at: datetime,
    ) -> Upload: ...

    async def get_upload(self, upload_id: int) -> Upload | None: ...

    async def get_upload_by_key(self, key: str) -> Upload | None: ...

    async def set_upload_status(
        self,
        upload_id: int,
        status: UploadStatus,
        media_id: int | None = None,
        *,
        only_if: UploadStatus | None = None,
    ) -> bool:
        """False when `only_if` is given and the upload is not (or no longer) in that status."""
        ...

    async def uploaded_bytes_since(self, user_id: int, since: datetime, now: datetime) -> int:
        """Bytes of the user's media completed since `since`, plus their pending, unexpired uploads."""
        ...

    async def uploads_expired_before(self, moment: datetime, limit: int) -> list[Upload]: ...

    async def delete_uploads(self, upload_ids: Sequence[int]) -> None: ...

    async def add_media(
        self,
        owner_id: int,
        kind: MediaKind,
        key: str,
        content_type: str,
        byte_size: int,
        width: int | None,
        height: int | None,
        duration_ms: int | None,
        renditions: Sequence[MediaRendition],
    ) -> Media:
        """Inserted once per key: when a concurrent completion already stored media at `key`, that
        media is returned (and `renditions` are not written again)."""
        ...

    async def get_media(self, ids: Sequence[int]) -> list[Media]: ...

    async def unused_media(
        self, deleted_before: datetime, created_before: datetime, limit: int
    ) -> list[Media]:
        """Media no live post shows and no creator has as avatar: used only by posts deleted before
        `deleted_before`, or never used and created before `created_before`."""
        ...

    async def delete_media(
        self, ids: Sequence[int], deleted_before: datetime, created_before: datetime
    ) -> list[int]:
        """Delete those of `ids` that are still unused (same rule as `unused_media`), with their
        renditions and their places in deleted posts; returns the ids deleted."""
        ...

    async def renditions_of(self, media_ids: Sequence[int]) -> list[MediaRendition]: ...

    async def media_of_posts(self, post_ids: Sequence[int]) -> list[tuple[int, Media]]:
        """(post id, media) pairs in carousel order."""
        ...

    async def media_of_posts_with_renditions(
        self, post_ids: Sequence[int]
    ) -> list[tuple[int, Media, list[MediaRendition]]]:
        """`media_of_posts` with each media's renditions (narrowest first), in one statement: a post's
        photos are shown by their renditions."""
        ...

    # posts
    async def add_post(self, creator_id: int, content: PostContent) -> int: ...

    async def replace_post_content(self, post_id: int, content: PostContent) -> None: ...

    async def set_post_status(self, post_id: int, status: PostStatus, *, publish_at: datetime | None) -> None:
        """`publish_at` (first publication only) also sets published_at and moves the post in lists."""
        ...

    async def delete_post(self, post_id: int, at: datetime) -> None: ...

    async def set_partnership_status(self, post_id: int, status: PartnershipStatus) -> None: ...

    async def get_posts(self, ids: Sequence[int]) -> list[Post]: ...

    async def posts_with_creators(self, ids: Sequence[int]) -> list[tuple[Post, Creator]]:
        """`get_posts` with each post's creator, in one statement (a post always has its creator)."""
        ...

    async def tags_of_posts(self, post_ids: Sequence[int]) -> list[ProductTag]: ...

    async def post_cards(
        self,
        ids: Sequence[int],
        *,
        with_tags: bool = False,
        viewer: int | None = None,
        with_liked: bool = False,
        with_follows: bool = False,
        with_partner: bool = False,
    ) -> list[PostCard]:
        """`posts_with_creators`, with each post's product tags in position order (`with_tags`),
        whether `viewer` liked the post (`with_liked`) and follows its creator (`with_follows`), and
        its disclosed partner merchant (`with_partner`): one statement for a page of posts, where a
        card shows all of these."""
        ...

    async def list_creator_posts(
        self, creator_id: int, statuses: frozenset[PostStatus], page: PageRequest
    ) -> Page[Post]: ...

    async def list_posts_tagging(self, product_id: int, page: PageRequest) -> Page[Post]: ...

    async def list_creator_products(self, creator_id: int, page: PageRequest) -> Page[Product]: ...

    async def list_hashtag_posts(self, hashtag: str, page: PageRequest) -> Page[Post]:
        """Published posts with the hashtag (lower case, no #), newest first."""
        ...

    async def search_creators(self, text: str, page: PageRequest) -> Page[Creator]:
        """By handle (exact, then prefix) and then display name; lower-case `text`."""
        ...

    # engagement
    async def add_like(self, user_id: int, post_id: int) -> bool: ...

    async def remove_like(self, user_id: int, post_id: int) -> bool: ...

    async def liked_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]: ...

    async def liked_and_followed(
        self, user_id: int, post_ids: Sequence[int], creator_ids: Sequence[int]
    ) -> tuple[set[int], set[int]]:
        """`liked_post_ids` and `followed_creator_ids` at once (one read for a page of posts)."""
        ...

    async def add_save(self, user_id: int, post_id: int) -> bool: ...

    async def remove_save(self, user_id: int, post_id: int) -> bool: ...

    async def saved_post_ids(self, user_id: int, post_ids: Sequence[int]) -> set[int]: ...

    async def list_saved_posts(self, user_id: int, page: PageRequest) -> Page[Post]: ...

    async def list_liked_posts(self, user_id: int, page: PageRequest) -> Page[Post]:
        """Most recently liked first; posts no longer public drop out."""
        ...

    # moderation
    async def add_report(
        self, post_id: int, user_id: int, reason: ModerationReason, details: str
    ) -> PostReport | None:
        """None when this user already reported this post."""
        ...

    async def get_reports(self, ids: Sequence[int]) -> list[PostReport]: ...

    async def add_decision(
        self,
        post_id: int,
        action: ModerationAction,
        reason: ModerationReason | None,
        statement: str,
        decided_by: int,
    ) -> ModerationDecision: ...

    async def latest_decisions(self, post_ids: Sequence[int]) -> list[ModerationDecision]: ...
