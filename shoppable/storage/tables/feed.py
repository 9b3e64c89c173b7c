"""Behavioural events, "not interested" hides, and feed sessions with their served history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class EventRow(SQLModel, table=True):
    """Append-only. `actor_key` is `u:<user id>` or `d:<device id>`; a client event id is stored once per actor."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("actor_key", "event_id", name="uq_events_actor_event"),
        Index("ix_events_user_time", "user_id", "occurred_at"),
        Index("ix_events_user_type_time", "user_id", "type", "occurred_at"),
        Index("ix_events_subject_time", "subject_type", "subject_id", "occurred_at"),
        Index("ix_events_time", "occurred_at"),
        Index("ix_events_actor_received", "actor_key", "received_at"),  # a sender's recent events (quota)
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    event_id: str = Field(sa_column=Column(String(64), nullable=False))
    actor_key: str = Field(sa_column=Column(String(140), nullable=False))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    type: str = Field(sa_column=Column(String(16), nullable=False))
    subject_type: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    subject_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    channel: str = Field(default="OTHER", sa_column=Column(String(8), nullable=False))
    position: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FeedHideRow(SQLModel, table=True):
    """A signed-in user's hide (`user_id`), or an anonymous device's (`device_id`) until it joins an
    account at sign-up or log-in."""

    __tablename__ = "feed_hides"
    __table_args__ = (
        UniqueConstraint("user_id", "subject_type", "subject_id", name="uq_feed_hides"),
        UniqueConstraint("device_id", "subject_type", "subject_id", name="uq_feed_hides_device"),
        Index("ix_feed_hides_user_id", "user_id", "id"),  # the viewer's hidden items, newest first
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    user_id: int | None = Field(default=None, sa_column=Column(BigId, ForeignKey("users.id"), nullable=True))
    device_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    subject_type: str = Field(sa_column=Column(String(16), nullable=False))
    subject_id: int = Field(sa_column=Column(BigId, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FeedSessionRow(SQLModel, table=True):
    __tablename__ = "feed_sessions"
    __table_args__ = (Index("ix_feed_sessions_expires", "expires_at"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    actor_key: str = Field(sa_column=Column(String(140), nullable=False))
    mode: str = Field(sa_column=Column(String(20), nullable=False))
    personalized: bool = False
    served: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    plan: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The ranked candidates (JSON), so that another server process can continue the session."""


class FeedServedRow(SQLModel, table=True):
    """One item served in a session, at its position; replayed when a page is asked for again."""

    __tablename__ = "feed_served"
    __table_args__ = (
        UniqueConstraint("session_id", "position", name="uq_feed_served_position"),
        UniqueConstraint("session_id", "kind", "item_id", name="uq_feed_served_item"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    session_id: str = Field(
        sa_column=Column(String(32), ForeignKey("feed_sessions.id", ondelete="CASCADE"), nullable=False)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    item_id: int = Field(sa_column=Column(BigId, nullable=False))
    author_id: int | None = Field(default=None, sa_column=Column(BigId, nullable=True))
    source: str = Field(sa_column=Column(String(20), nullable=False))
    reasons: str = Field(sa_column=Column(String(2000), nullable=False))
    score: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
