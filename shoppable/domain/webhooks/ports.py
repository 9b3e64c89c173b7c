"""What webhooks need from storage and from the network."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import (
    ClaimedDelivery,
    DeliveryStatus,
    LoggedDelivery,
    NewEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
from shoppable.domain.webhooks.schedule import Answer


class WebhookRepository(Protocol):
    async def add_endpoint(
        self, merchant_id: int, url: str, events: Sequence[WebhookEvent], secret: str, now: datetime
    ) -> WebhookEndpoint: ...

    async def get_endpoint(self, endpoint_id: int) -> WebhookEndpoint | None: ...

    async def endpoints_of(self, merchant_id: int) -> list[WebhookEndpoint]: ...

    async def update_endpoint(
        self,
        endpoint_id: int,
        now: datetime,
        *,
        url: str | None = None,
        events: Sequence[WebhookEvent] | None = None,
        enabled: bool | None = None,
    ) -> None:
        """Enabling an endpoint clears why it was disabled."""
        ...

    async def rotate_secret(
        self, endpoint_id: int, secret: str, previous_expires_at: datetime, now: datetime
    ) -> None:
        """The current secret becomes the previous one, still signed with until `previous_expires_at`."""
        ...

    async def delete_endpoint(self, endpoint_id: int) -> None:
        """With its deliveries and their attempts."""
        ...

    async def has_subscribers(self, merchant_id: int, event: WebhookEvent) -> bool:
        """Whether an enabled endpoint of the merchant listens to `event` (payloads are built only then)."""
        ...

    async def add_events(
        self,
        merchant_id: int,
        subscription: WebhookEvent | None,
        events: Sequence[NewEvent],
        now: datetime,
        *,
        endpoint_id: int | None = None,
    ) -> int:
        """Write events and a pending delivery of each to every enabled endpoint of the merchant
        subscribed to `subscription` (or to `endpoint_id` only); returns the deliveries written. In the
        caller's transaction: an event exists exactly when the change that caused it is committed."""
        ...

    async def get_delivery(self, delivery_id: int) -> WebhookDelivery | None: ...

    async def deliveries_page(
        self,
        merchant_id: int,
        page: PageRequest,
        *,
        endpoint_id: int | None = None,
        status: DeliveryStatus | None = None,
    ) -> Page[LoggedDelivery]:
        """Newest first, keyed by id; each with its attempts, oldest first, from the same snapshot."""
        ...

    async def logged_delivery(self, delivery_id: int) -> LoggedDelivery | None:
        """One delivery with its attempts, oldest first, from the same snapshot."""
        ...

    async def redeliver(self, delivery: WebhookDelivery, now: datetime) -> int:
        """A new pending delivery of the same event to the same endpoint, due now."""
        ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        """Take up to `limit` due deliveries of enabled endpoints for one attempt each: the attempt is
        counted and the delivery is not due again before `lease_until`. Concurrent workers never take
        the same delivery (SKIP LOCKED on PostgreSQL; SQLite has one writer)."""
        ...

    async def record_attempt(
        self,
        claim: ClaimedDelivery,
        answer: Answer,
        now: datetime,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        """Log the attempt and move the delivery on, if it is still this claim's (False otherwise:
        the lease ran out and another worker took it)."""
        ...

    async def record_interrupted(self, claim: ClaimedDelivery, now: datetime) -> None:
        """Log that attempt `claim.interrupted_attempt` was never answered (its worker stopped)."""
        ...

    async def endpoint_succeeded(self, endpoint_id: int, now: datetime) -> None: ...

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> None: ...

    async def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        """Forget up to `limit` deliveries that ended before `cutoff` (with their attempts, and their
        events once no delivery needs them); returns how many deliveries went."""
        ...

    async def next_due_at(self) -> datetime | None:
        """When the earliest pending delivery of an enabled endpoint is due."""
        ...


class WebhookSender(Protocol):
    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        """POST once: never raises for network trouble or a refused address; says so in the Answer."""
        ...
