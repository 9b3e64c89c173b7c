"""Sign-in sessions and their refresh tokens, consent history, password resets, the mail outbox,
data exports and the admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class AuthSessionRow(SQLModel, table=True):
    """One signed-in device: a family of rotating refresh tokens, ended as a whole."""

    __tablename__ = "auth_sessions"
    __table_args__ = (
        Index("ix_auth_sessions_user", "user_id", "id"),
        Index("ix_auth_sessions_expires", "expires_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    channel: str = Field(default="OTHER", sa_column=Column(String(8), nullable=False))
    device_label: str = Field(default="", sa_column=Column(String(100), nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    revoked_reason: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))


class RefreshTokenRow(SQLModel, table=True):
    """Every refresh token a session was given, by hash; a spent one presented again ends the session."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_session", "session_id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    session_id: int = Field(
        sa_column=Column(BigId, ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False)
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    spent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class ConsentChangeRow(SQLModel, table=True):
    """Append-only: what a user agreed to, when, on which channel, under which policy, and why."""

    __tablename__ = "consent_changes"
    __table_args__ = (Index("ix_consent_changes_user", "user_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    changed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    channel: str = Field(default="OTHER", sa_column=Column(String(8), nullable=False))
    policy_version: str = Field(sa_column=Column(String(32), nullable=False))
    source: str = Field(sa_column=Column(String(16), nullable=False))
    personalization: bool = Field(sa_column=Column(Boolean, nullable=False))
    analytics: bool = Field(sa_column=Column(Boolean, nullable=False))
    marketing: bool = Field(sa_column=Column(Boolean, nullable=False))
    global_privacy_control: bool = Field(sa_column=Column(Boolean, nullable=False))


class PasswordResetRow(SQLModel, table=True):
    __tablename__ = "password_resets"
    __table_args__ = (
        Index("ix_password_resets_user", "user_id"),
        Index("ix_password_resets_expires", "expires_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class OutboxEmailRow(SQLModel, table=True):
    """Mail waiting to go out (written in the transaction that decided to send it); the body is
    blanked once sent, since it may hold a single-use link."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_pending", "sent_at", "id"),
        Index("ix_outbox_emails_user", "user_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    to_address: str = Field(sa_column=Column(String(320), nullable=False))
    subject: str = Field(sa_column=Column(String(200), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_error: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))


class DataExportRow(SQLModel, table=True):
    __tablename__ = "data_exports"
    __table_args__ = (
        Index("ix_data_exports_user", "user_id", "id"),
        Index("ix_data_exports_expires", "expires_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int = Field(sa_column=Column(BigId, ForeignKey("users.id"), nullable=False))
    status: str = Field(default="PENDING", sa_column=Column(String(16), nullable=False))
    object_key: str | None = Field(default=None, sa_column=Column(String(512), nullable=True))
    download_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    byte_size: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class AuditLogRow(SQLModel, table=True):
    """Who did what to what, when: admin and merchant decisions, readable by admins."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor", "actor_user_id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    actor_user_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True)
    )
    actor_api_key_id: int | None = Field(
        default=None, sa_column=Column(BigId, ForeignKey("api_keys.id"), nullable=True)
    )
    action: str = Field(sa_column=Column(String(48), nullable=False))
    subject_type: str = Field(sa_column=Column(String(32), nullable=False))
    subject_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    details: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
