"""Creators, follows, uploads, media, posts, product tags, likes, saves, reports and moderation.

Every list a client scrolls has an index in exactly its keyset order; counters that every page
shows (followers, likes, saves) are kept on the row and changed in the same transaction as the
follow, like or save, so no page counts rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class CreatorRow(SQLModel, table=True):
    __tablename__ = "creators"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False, unique=True))
    handle: str = Field(sa_column=Column(String(30), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    bio: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    avatar_media_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("media.id"), nullable=True)
    )
    follower_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FollowRow(SQLModel, table=True):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "creator_id", name="uq_follows_user_creator"),
        Index("ix_follows_user_id", "user_id", "id"),
        Index("ix_follows_creator", "creator_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    creator_id: int = Field(sa_column=Column(BigId, ForeignKey("creators.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class UploadRow(SQLModel, table=True):
    """An upload in progress; kept until its deadline passes, then removed by the clean-up job."""

    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_expires_at", "expires_at"),
        Index("ix_uploads_user", "user_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    key: str = Field(sa_column=Column(String(512), nullable=False, unique=True))
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    content_type: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    byte_size: int = Field(sa_column=Column(BigId, nullable=False))
    status: str = Field(default="PENDING", sa_column=Column(String(16), nullable=False))
    media_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("media.id"), nullable=True))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MediaRow(SQLModel, table=True):
    __tablename__ = "media"
    __table_args__ = (Index("ix_media_owner", "owner_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    owner_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    key: str = Field(sa_column=Column(String(512), nullable=False, unique=True))
    content_type: str = Field(sa_column=Column(String(64), nullable=False))
    byte_size: int = Field(sa_column=Column(BigId, nullable=False))
    width: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    height: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    duration_ms: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MediaRenditionRow(SQLModel, table=True):
    __tablename__ = "media_renditions"
    __table_args__ = (Index("ix_media_renditions_media", "media_id", "width"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    media_id: int = Field(sa_column=Column(BigId, ForeignKey("media.id"), nullable=False))
    width: int = Field(sa_column=Column(Integer, nullable=False))
    height: int = Field(sa_column=Column(Integer, nullable=False))
    key: str = Field(sa_column=Column(String(512), nullable=False))
    content_type: str = Field(sa_column=Column(String(64), nullable=False))


class PostRow(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (
        # A creator's public list: published posts, newest first.
        Index("ix_posts_creator_status_listed", "creator_id", "status", "listed_at", "id"),
        # A creator's own list (all statuses), and the feed's recent published posts.
        Index("ix_posts_creator_listed", "creator_id", "listed_at", "id"),
        Index("ix_posts_status_published", "status", "published_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    creator_id: int = Field(sa_column=Column(BigId, ForeignKey("creators.id"), nullable=False))
    caption: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    hashtags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mentions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="DRAFT", sa_column=Column(String(16), nullable=False))
    disclosure_kind: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    disclosure_partner_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=True)
    )
    # PENDING until the partner merchant confirms (CONFIRMED) or declines (DECLINED) being named.
    disclosure_status: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    like_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    save_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    listed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class PostMediaRow(SQLModel, table=True):
    __tablename__ = "post_media"
    __table_args__ = (
        UniqueConstraint("post_id", "position", name="uq_post_media_position"),
        Index("ix_post_media_media", "media_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    media_id: int = Field(sa_column=Column(BigId, ForeignKey("media.id"), nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))


class ProductTagRow(SQLModel, table=True):
    __tablename__ = "product_tags"
    __table_args__ = (
        Index("ix_product_tags_product_post", "product_id", "post_id"),
        Index("ix_product_tags_post", "post_id", "position"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))
    product_id: int = Field(sa_column=Column(BigId, ForeignKey("products.id"), nullable=False))
    # A merchant's import may drop a SKU; the tag then points at the product alone.
    sku_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("skus.id", ondelete="SET NULL"), nullable=True)
    )
    media_index: int = Field(sa_column=Column(Integer, nullable=False))
    x: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    y: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    timestamp_ms: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))


class LikeRow(SQLModel, table=True):
    __tablename__ = "likes"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id", name="uq_likes_user_post"),
        Index("ix_likes_user_id", "user_id", "id"),  # the viewer's liked posts, newest first
        Index("ix_likes_post", "post_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SaveRow(SQLModel, table=True):
    __tablename__ = "saves"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id", name="uq_saves_user_post"),
        Index("ix_saves_user_id", "user_id", "id"),
        Index("ix_saves_post", "post_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PostReportRow(SQLModel, table=True):
    __tablename__ = "post_reports"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id", name="uq_post_reports_user_post"),
        Index("ix_post_reports_post", "post_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    details: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ModerationDecisionRow(SQLModel, table=True):
    __tablename__ = "moderation_decisions"
    __table_args__ = (Index("ix_moderation_decisions_post", "post_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    post_id: int = Field(sa_column=Column(BigId, ForeignKey("posts.id"), nullable=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    statement: str = Field(sa_column=Column(Text, nullable=False))
    decided_by: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    decided_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
