"""Users, merchants, memberships and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class UserRow(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    email: str = Field(sa_column=Column(String(320), nullable=False, unique=True))
    password_hash: str = Field(sa_column=Column(String(255), nullable=False))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    is_admin: bool = False
    token_version: int = 0
    consent_personalization: bool = False
    consent_analytics: bool = False
    consent_marketing: bool = False
    consent_policy_version: str = Field(default="", sa_column=Column(String(32), nullable=False, default=""))
    consent_updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    consent_gpc: bool = False
    """A Global Privacy Control signal is in force: no marketing, nothing shared."""
    recommendations_reset_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    """The ranker ignores the user's activity before this (resetRecommendationProfile)."""
    deleted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    """Erased: the row stays as a nameless tombstone so that kept records (orders) still point somewhere."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MerchantRow(SQLModel, table=True):
    __tablename__ = "merchants"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    handle: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    currency: str = Field(default="USD", sa_column=Column(String(3), nullable=False, default="USD"))
    low_stock_threshold: int = 5
    language: str = Field(default="en", sa_column=Column(String(8), nullable=False, default="en"))
    """The catalog's language (domain/search/analysis.py LANGUAGES): how its words are stemmed."""
    # Commerce settings (see domain/commerce/merchants.py for their limits and meaning).
    commission_rate_bps: int = 1000
    return_window_days: int = 30
    attribution_window_days: int = 7
    order_sequence: int = 0  # the last order number given; taken with a row-locking UPDATE
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MerchantMemberRow(SQLModel, table=True):
    __tablename__ = "merchant_members"
    __table_args__ = (
        UniqueConstraint("merchant_id", "user_id"),
        Index("ix_merchant_members_user", "user_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    role: str = Field(default="OWNER", sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_merchant", "merchant_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    name: str = Field(default="", sa_column=Column(String(100), nullable=False, default=""))
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_by: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
