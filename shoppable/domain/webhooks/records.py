"""Webhook endpoints, deliveries and attempts as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shoppable.domain.webhooks.events import WebhookEvent


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    """Waiting for its next attempt (or being attempted now)."""
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    """Given up: the schedule was spent, or the endpoint answered 410 Gone."""


@dataclass(frozen=True)
class WebhookEndpoint:
    id: int
    merchant_id: int
    url: str
    events: tuple[WebhookEvent, ...]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None
    last_success_at: datetime | None


@dataclass(frozen=True)
class WebhookAttempt:
    id: int
    delivery_id: int
    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response_excerpt: str | None


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    endpoint_id: int
    merchant_id: int
    event_id: int
    webhook_id: str
    """The `webhook-id` header: the same for every attempt and redelivery of one event."""
    event_type: str
    payload: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    manual: bool


@dataclass(frozen=True)
class LoggedDelivery:
    """A delivery and its attempts as one statement saw them. Read apart, an attempt committed between
    the two reads showed up in the attempts while the delivery still had the status from before it."""

    delivery: WebhookDelivery
    attempts: tuple[WebhookAttempt, ...]


@dataclass(frozen=True)
class ClaimedDelivery:
    """A due delivery a worker has taken for one attempt (until `lease_until`)."""

    delivery_id: int
    endpoint_id: int
    created_at: datetime
    attempt_number: int
    claimed_at: datetime
    """The claim's token: the answer is recorded only while the delivery is still this claim's."""
    webhook_id: str
    body: str
    url: str
    secrets: tuple[str, ...]
    interrupted_attempt: int | None
    """The previous attempt's number when a worker took it and never answered (it was killed)."""


@dataclass(frozen=True)
class NewEvent:
    """One event for the outbox: its wire type, the exact body, and its `webhook-id`."""

    wire_type: str
    body: str
    webhook_id: str
