"""Webhook endpoints, the event outbox, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from shoppable.storage.types import BigId, UTCDateTime, utcnow


class WebhookEndpointRow(SQLModel, table=True):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_merchant", "merchant_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    events: Any = Field(sa_column=Column(JSON, nullable=False))
    enabled: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    secret: str = Field(sa_column=Column(String(128), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    previous_secret_expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    secret_rotated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    disabled_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class WebhookEventRow(SQLModel, table=True):
    """The outbox: written in the transaction of the change that caused the event."""

    __tablename__ = "webhook_events"

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    webhook_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    event_type: str = Field(sa_column=Column(String(64), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class WebhookDeliveryRow(SQLModel, table=True):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_merchant", "merchant_id", "id"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    event_id: int = Field(sa_column=Column(BigId, ForeignKey("webhook_events.id"), nullable=False))
    endpoint_id: int = Field(sa_column=Column(BigId, ForeignKey("webhook_endpoints.id"), nullable=False))
    merchant_id: int = Field(sa_column=Column(BigId, ForeignKey("merchants.id"), nullable=False))
    status: str = Field(default="PENDING", sa_column=Column(String(16), nullable=False))
    attempt_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    manual: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class WebhookAttemptRow(SQLModel, table=True):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: int | None = Field(default=None, sa_column=Column(BigId, primary_key=True, autoincrement=True))
    delivery_id: int = Field(sa_column=Column(BigId, ForeignKey("webhook_deliveries.id"), nullable=False))
    number: int = Field(sa_column=Column(Integer, nullable=False))
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    latency_ms: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    response_excerpt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
