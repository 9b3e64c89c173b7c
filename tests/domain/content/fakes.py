"""In-memory stand-ins for the unit of work and the media services: content rules in microseconds.

Only what the content operations use is implemented; a missing method fails loudly (AttributeError).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shoppable.domain.catalog.records import Product, Sku
from shoppable.domain.content.media import MediaKind, MediaLimits
from shoppable.domain.content.ports import ObjectInfo, UploadTarget
from shoppable.domain.content.records import (
    Creator,
    Media,
    MediaRendition,
    ModerationReason,
    PartnershipStatus,
    Post,
    PostContent,
    PostReport,
    PostStatus,
    ProductTag,
    Upload,
    UploadStatus,
)
from shoppable.domain.identity.records import Merchant
from shoppable.domain.rate_limits import UNLIMITED, RateLimiter

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class FakeContent:
    def __init__(self) -> None:
        self.creators: dict[int, Creator] = {}
        self.follows: set[tuple[int, int]] = set()
        self.uploads: dict[int, Upload] = {}
        self.media: dict[int, Media] = {}
        self.posts: dict[int, Post] = {}
        self.post_media: dict[int, tuple[int, ...]] = {}
        self.tags: dict[int, list[ProductTag]] = {}
        self.likes: set[tuple[int, int]] = set()
        self.reports: dict[int, PostReport] = {}

    # creators and follows
    async def get_creators(self, ids: Sequence[int]) -> list[Creator]:
        return [self.creators[i] for i in ids if i in self.creators]

    async def creators_of_users(self, user_ids: Sequence[int]) -> list[Creator]:
        return [c for c in self.creators.values() if c.user_id in user_ids]

    async def creators_by_handles(self, handles: Sequence[str]) -> list[Creator]:
        return [c for c in self.creators.values() if c.handle in handles]

    async def add_creator(
        self, user_id: int, handle: str, display_name: str, bio: str, avatar_media_id: int | None
    ) -> Creator:
        creator = Creator(len(self.creators) + 1, user_id, handle, display_name, bio, avatar_media_id, 0, NOW)
        self.creators[creator.id] = creator
        return creator

    async def add_follow(self, user_id: int, creator_id: int) -> bool:
        return self._count_follow(user_id, creator_id, +1)

    async def remove_follow(self, user_id: int, creator_id: int) -> bool:
        return self._count_follow(user_id, creator_id, -1)

    def _count_follow(self, user_id: int, creator_id: int, step: int) -> bool:
        if ((user_id, creator_id) in self.follows) == (step > 0):
            return False
        (self.follows.add if step > 0 else self.follows.discard)((user_id, creator_id))
        creator = self.creators[creator_id]
        self.creators[creator_id] = replace(creator, follower_count=creator.follower_count + step)
        return True

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
    ) -> Upload:
        upload_id = len(self.uploads) + 1
        upload = Upload(
            upload_id,
            user_id,
            key,
            filename,
            content_type,
            kind,
            byte_size,
            UploadStatus.PENDING,
            expires_at,
            NOW,
            None,
        )
        self.uploads[upload_id] = upload
        return upload

    async def get_upload(self, upload_id: int) -> Upload | None:
        return self.uploads.get(upload_id)

    async def get_upload_by_key(self, key: str) -> Upload | None:
        return next((u for u in self.uploads.values() if u.key == key), None)

    async def set_upload_status(
        self,
        upload_id: int,
        status: UploadStatus,
        media_id: int | None = None,
        *,
        only_if: UploadStatus | None = None,
    ) -> bool:
        if only_if is not None and self.uploads[upload_id].status is not only_if:
            return False
        self.uploads[upload_id] = replace(self.uploads[upload_id], status=status, media_id=media_id)
        return True

    async def uploaded_bytes_since(self, user_id: int, since: datetime, now: datetime) -> int:
        completed = sum(
            m.byte_size for m in self.media.values() if m.owner_id == user_id and m.created_at >= since
        )
        pending = sum(
            u.byte_size
            for u in self.uploads.values()
            if u.user_id == user_id and u.status is UploadStatus.PENDING and u.expires_at >= now
        )
        return completed + pending

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
        media = Media(
            len(self.media) + 1, owner_id, kind, key, content_type, byte_size, width, height, duration_ms, NOW
        )
        self.media[media.id] = media
        return media

    async def get_media(self, ids: Sequence[int]) -> list[Media]:
        return [self.media[i] for i in ids if i in self.media]

    async def media_of_posts(self, post_ids: Sequence[int]) -> list[tuple[int, Media]]:
        return [(p, self.media[m]) for p in post_ids for m in self.post_media.get(p, ())]

    async def media_of_posts_with_renditions(
        self, post_ids: Sequence[int]
    ) -> list[tuple[int, Media, list[MediaRendition]]]:
        return [(p, found, []) for p, found in await self.media_of_posts(post_ids)]  # none rendered here

    # posts
    async def add_post(self, creator_id: int, content: PostContent) -> int:
        post_id = len(self.posts) + 1
        self.posts[post_id] = Post(
            post_id,
            creator_id,
            content.caption,
            content.hashtags,
            content.mentions,
            PostStatus.DRAFT,
            content.disclosure,
            0,
            0,
            NOW,
            NOW,
            None,
            NOW,
            None,
        )
        self.post_media[post_id] = content.media_ids
        self.tags[post_id] = [
            ProductTag(post_id, i, t.product_id, t.sku_id, t.media_index, t.x, t.y, t.timestamp_ms)
            for i, t in enumerate(content.tags)
        ]
        return post_id

    async def set_partnership_status(self, post_id: int, status: PartnershipStatus) -> None:
        post = self.posts[post_id]
        assert post.disclosure is not None
        self.posts[post_id] = replace(post, disclosure=replace(post.disclosure, status=status))

    async def get_posts(self, ids: Sequence[int]) -> list[Post]:
        return [self.posts[i] for i in ids if i in self.posts]

    async def posts_with_creators(self, ids: Sequence[int]) -> list[tuple[Post, Creator]]:
        found = await self.get_posts(ids)
        creators = {c.id: c for c in await self.get_creators([p.creator_id for p in found])}
        return [(p, creators[p.creator_id]) for p in found]

    async def tags_of_posts(self, post_ids: Sequence[int]) -> list[ProductTag]:
        return [t for p in post_ids for t in self.tags.get(p, [])]

    async def set_post_status(self, post_id: int, status: PostStatus, *, publish_at: datetime | None) -> None:
        changes: dict[str, Any] = {"status": status}
        if publish_at is not None:
            changes |= {"published_at": publish_at, "listed_at": publish_at}
        self.posts[post_id] = replace(self.posts[post_id], **changes)

    # engagement
    async def add_like(self, user_id: int, post_id: int) -> bool:
        if (user_id, post_id) in self.likes:
            return False
        self.likes.add((user_id, post_id))
        post = self.posts[post_id]
        self.posts[post_id] = replace(post, like_count=post.like_count + 1)
        return True

    # moderation
    async def add_report(
        self, post_id: int, user_id: int, reason: ModerationReason, details: str
    ) -> PostReport | None:
        if any(r.post_id == post_id and r.user_id == user_id for r in self.reports.values()):
            return None
        report = PostReport(len(self.reports) + 1, post_id, user_id, reason, details, NOW)
        self.reports[report.id] = report
        return report


@dataclass
class FakeCatalog:
    products: dict[int, Product] = field(default_factory=dict)
    skus: dict[int, Sku] = field(default_factory=dict)

    async def get_products(self, ids: Sequence[int]) -> list[Product]:
        return [self.products[i] for i in ids if i in self.products]

    async def get_skus(self, ids: Sequence[int]) -> list[Sku]:
        return [self.skus[i] for i in ids if i in self.skus]


@dataclass
class FakeIdentity:
    merchants: dict[int, Merchant] = field(default_factory=dict)

    async def get_merchant(self, merchant_id: int) -> Merchant | None:
        return self.merchants.get(merchant_id)


class FakeUnitOfWork:
    """Writes land at once; `committed` counts commits so tests can see that an operation kept its work."""

    def __init__(self) -> None:
        self.content = FakeContent()
        self.catalog = FakeCatalog()
        self.identity = FakeIdentity()
        self.committed = 0

    async def begin_write(self) -> None:
        pass

    async def commit(self) -> None:
        self.committed += 1

    async def rollback(self) -> None:
        pass


class FakeMediaStore:
    """Objects in a dict; presigned targets point nowhere."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def presign_upload(
        self, key: str, content_type: str, max_bytes: int, expires_in: int
    ) -> UploadTarget:
        return UploadTarget(f"memory://{key}", "PUT", NOW + timedelta(seconds=expires_in))

    async def head(self, key: str) -> ObjectInfo | None:
        found = self.objects.get(key)
        return ObjectInfo(len(found[0]), found[1]) if found else None

    async def read_head(self, key: str, n: int = 64) -> bytes:
        return self.objects[key][0][:n]

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)


@dataclass
class FakeMediaServices:
    """`MediaServices` with a clock the test moves."""

    media: FakeMediaStore = field(default_factory=FakeMediaStore)
    media_limits: MediaLimits = field(default_factory=MediaLimits)
    rate_limits: RateLimiter = UNLIMITED
    now: datetime = NOW

    def clock(self) -> datetime:
        return self.now

    async def images(self, data: bytes, widths: Sequence[int]) -> Any:
        raise AssertionError("no image is processed in these tests")
