"""Content entities as the domain sees them: creators, uploads, media, posts, tags, moderation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoppable.domain.content.media import MediaKind
from shoppable.domain.identity.records import Merchant


class PostStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    REMOVED = "REMOVED"


class UploadStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class DisclosureKind(StrEnum):
    PAID_PARTNERSHIP = "PAID_PARTNERSHIP"
    AFFILIATE = "AFFILIATE"
    GIFTED = "GIFTED"


class PartnershipStatus(StrEnum):
    """Whether the merchant a disclosure names has agreed to be named."""

    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    DECLINED = "DECLINED"


class ModerationReason(StrEnum):
    """Grounds for a report or a removal (the categories of the EU DSA transparency database)."""

    SPAM = "SPAM"
    SCAM_OR_FRAUD = "SCAM_OR_FRAUD"
    UNDISCLOSED_ADVERTISING = "UNDISCLOSED_ADVERTISING"
    MISLEADING_PRODUCT_CLAIMS = "MISLEADING_PRODUCT_CLAIMS"
    ILLEGAL_OR_UNSAFE_PRODUCT = "ILLEGAL_OR_UNSAFE_PRODUCT"
    INTELLECTUAL_PROPERTY = "INTELLECTUAL_PROPERTY"
    HATE_OR_HARASSMENT = "HATE_OR_HARASSMENT"
    VIOLENCE = "VIOLENCE"
    NUDITY_OR_SEXUAL_CONTENT = "NUDITY_OR_SEXUAL_CONTENT"
    PRIVACY_VIOLATION = "PRIVACY_VIOLATION"
    OTHER = "OTHER"


class ModerationAction(StrEnum):
    REMOVED = "REMOVED"
    RESTORED = "RESTORED"


@dataclass(frozen=True)
class Creator:
    id: int
    user_id: int
    handle: str
    display_name: str
    bio: str
    avatar_media_id: int | None
    follower_count: int
    created_at: datetime


@dataclass(frozen=True)
class Upload:
    """A pending (or finished) upload: what `createUpload` was told, and where the bytes go."""

    id: int
    user_id: int
    key: str
    filename: str
    content_type: str
    kind: MediaKind
    byte_size: int
    status: UploadStatus
    expires_at: datetime
    created_at: datetime
    media_id: int | None


@dataclass(frozen=True)
class MediaRendition:
    media_id: int
    width: int
    height: int
    key: str
    content_type: str


@dataclass(frozen=True)
class Media:
    id: int
    owner_id: int
    kind: MediaKind
    key: str
    content_type: str
    byte_size: int
    width: int | None
    height: int | None
    duration_ms: int | None
    created_at: datetime


@dataclass(frozen=True)
class Disclosure:
    kind: DisclosureKind
    partner_id: int
    status: PartnershipStatus = PartnershipStatus.PENDING
    """The partner is named to shoppers only once CONFIRMED by the merchant."""


@dataclass(frozen=True)
class Post:
    id: int
    creator_id: int
    caption: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    status: PostStatus
    disclosure: Disclosure | None
    like_count: int
    save_count: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    listed_at: datetime
    """When the post entered its creator's list: creation for drafts, publication once published."""
    deleted_at: datetime | None


@dataclass(frozen=True)
class ProductTag:
    post_id: int
    position: int
    product_id: int
    sku_id: int | None
    media_index: int
    x: float | None
    y: float | None
    timestamp_ms: int | None


@dataclass(frozen=True)
class PostCard:
    """A post as a list of cards shows it, read in one statement: with its creator and, when asked
    for, its product tags (`None`: not read) and what one viewer did (liked the post, follows its
    creator; `None`: not read), and its disclosed partner merchant when asked for and it has one.
    The viewer's answers belong to that viewer only."""

    post: Post
    creator: Creator
    tags: list[ProductTag] | None
    viewer_liked: bool | None
    viewer_follows: bool | None
    partner: Merchant | None = None


@dataclass(frozen=True)
class PostReport:
    id: int
    post_id: int
    user_id: int
    reason: ModerationReason
    details: str
    created_at: datetime


@dataclass(frozen=True)
class ModerationDecision:
    id: int
    post_id: int
    action: ModerationAction
    reason: ModerationReason | None
    statement: str
    decided_by: int
    decided_at: datetime


@dataclass(frozen=True)
class NewProductTag:
    product_id: int
    sku_id: int | None
    media_index: int
    x: float | None
    y: float | None
    timestamp_ms: int | None


@dataclass(frozen=True)
class PostContent:
    """Everything a creator writes into a post, validated, ready to store whole."""

    caption: str
    hashtags: tuple[str, ...]
    mentions: tuple[str, ...]
    media_ids: tuple[int, ...]
    tags: tuple[NewProductTag, ...]
    disclosure: Disclosure | None
