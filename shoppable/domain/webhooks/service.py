"""Webhook operations: endpoints managed by the merchant's people and API keys, events recorded in the
caller's unit of work (the transactional outbox), the delivery log, redelivery and test events.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shoppable.domain.errors import DomainError, ErrorCode, FieldError, Path
from shoppable.domain.identity import policy
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import Page, PageRequest
from shoppable.domain.webhooks.addresses import endpoint_url_problem
from shoppable.domain.webhooks.events import TEST_EVENT_TYPE, WebhookEvent, envelope
from shoppable.domain.webhooks.records import (
    DeliveryStatus,
    LoggedDelivery,
    NewEvent,
    WebhookDelivery,
    WebhookEndpoint,
)

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

MAX_ENDPOINTS_PER_MERCHANT = 10
SECRET_ROTATION_GRACE = timedelta(hours=24)
"""After a rotation the old secret still signs (a second `v1,` signature) for this long, so receivers
can switch at their pace."""
SECRET_BYTES = 32


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes: the form `standardwebhooks.Webhook(secret)` reads."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_webhook_id() -> str:
    return "msg_" + uuid.uuid4().hex


# -- recording events (the outbox) ------------------------------------------------------------------


async def record_webhook_event(
    uow: UnitOfWork,
    merchant_id: int,
    event: WebhookEvent,
    data: dict[str, Any],
    *,
    now: datetime | None = None,
) -> int:
    """Record one event for the merchant's subscribed endpoints in the caller's transaction; it is
    delivered once the caller commits, and never if it rolls back. Returns the deliveries written
    (0 when nobody listens: nothing is stored then)."""
    return await record_webhook_events(uow, merchant_id, event, [data], now=now)


async def record_webhook_events(
    uow: UnitOfWork,
    merchant_id: int,
    event: WebhookEvent,
    data: Sequence[dict[str, Any]],
    *,
    now: datetime | None = None,
) -> int:
    """Many events of one type at once (an import batch's products): one fan-out, one insert each."""
    if not data:
        return 0
    at = now or utc_now()
    events = [NewEvent(event.wire_type, envelope(event.wire_type, at, d), new_webhook_id()) for d in data]
    return await uow.webhooks.add_events(merchant_id, event, events, at)


# -- endpoints --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEndpoint:
    merchant_id: int
    url: str
    events: Sequence[WebhookEvent]


@dataclass(frozen=True)
class EndpointChange:
    endpoint_id: int
    url: str | None = None
    events: Sequence[WebhookEvent] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str
    """Shown once, on creation and rotation; not readable afterwards."""


def _check_manages(actor: Actor, merchant_id: int, field: Path) -> None:
    if not policy.can_manage_webhooks(actor, merchant_id):
        raise policy.refusal(actor, field, ErrorCode.NOT_FOUND, "No such merchant.")


def _validate(url: str | None, events: Sequence[WebhookEvent] | None, allow_private: bool) -> None:
    errors: list[FieldError] = []
    if url is not None and (problem := endpoint_url_problem(url, allow_private=allow_private)):
        errors.append(FieldError(("url",), ErrorCode.INVALID, problem))
    if events is not None:
        if not events:
            errors.append(FieldError(("events",), ErrorCode.REQUIRED, "Subscribe to at least one event."))
        elif len(set(events)) != len(events):
            errors.append(FieldError(("events",), ErrorCode.DUPLICATE, "An event is listed twice."))
    if errors:
        raise DomainError(*errors)


async def create_endpoint(
    uow: UnitOfWork, actor: Actor, command: NewEndpoint, *, allow_private: bool
) -> EndpointWithSecret:
    _check_manages(actor, command.merchant_id, ("merchantId",))
    _validate(command.url, command.events, allow_private)
    await uow.begin_write()
    merchant = await uow.identity.get_merchant(command.merchant_id)
    if merchant is None:
        raise DomainError.single(("merchantId",), ErrorCode.NOT_FOUND, "No such merchant.")
    if len(await uow.webhooks.endpoints_of(merchant.id)) >= MAX_ENDPOINTS_PER_MERCHANT:
        raise DomainError.single(
            ("merchantId",),
            ErrorCode.LIMIT_EXCEEDED,
            f"A merchant has at most {MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints; delete one first.",
        )
    secret = new_secret()
    endpoint = await uow.webhooks.add_endpoint(
        merchant.id, command.url.strip(), sorted(set(command.events)), secret, utc_now()
    )
    await uow.commit()
    return EndpointWithSecret(endpoint, secret)


async def managed_endpoint(
    uow: UnitOfWork, actor: Actor, endpoint_id: int, field: Path = ("endpointId",)
) -> WebhookEndpoint:
    """The endpoint, if the actor manages its merchant; NOT_FOUND otherwise (no existence leak)."""
    endpoint = await uow.webhooks.get_endpoint(endpoint_id)
    if endpoint is None or not policy.can_manage_webhooks(actor, endpoint.merchant_id):
        raise policy.refusal(actor, field, ErrorCode.NOT_FOUND, "No such webhook endpoint.")
    return endpoint


async def visible_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> WebhookEndpoint | None:
    endpoint = await uow.webhooks.get_endpoint(endpoint_id)
    if endpoint is None or not policy.can_manage_webhooks(actor, endpoint.merchant_id):
        return None
    return endpoint


async def update_endpoint(
    uow: UnitOfWork, actor: Actor, change: EndpointChange, *, allow_private: bool
) -> WebhookEndpoint:
    _validate(change.url, change.events, allow_private)
    await uow.begin_write()
    endpoint = await managed_endpoint(uow, actor, change.endpoint_id)
    await uow.webhooks.update_endpoint(
        endpoint.id,
        utc_now(),
        url=change.url.strip() if change.url is not None else None,
        events=sorted(set(change.events)) if change.events is not None else None,
        enabled=change.enabled,
    )
    await uow.commit()
    updated = await uow.webhooks.get_endpoint(endpoint.id)
    assert updated is not None
    return updated


async def rotate_secret(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> EndpointWithSecret:
    await uow.begin_write()
    endpoint = await managed_endpoint(uow, actor, endpoint_id)
    now = utc_now()
    secret = new_secret()
    await uow.webhooks.rotate_secret(endpoint.id, secret, now + SECRET_ROTATION_GRACE, now)
    await uow.commit()
    rotated = await uow.webhooks.get_endpoint(endpoint.id)
    assert rotated is not None
    return EndpointWithSecret(rotated, secret)


async def delete_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    await uow.begin_write()
    endpoint = await managed_endpoint(uow, actor, endpoint_id)
    await uow.webhooks.delete_endpoint(endpoint.id)
    await uow.commit()
    return endpoint


async def list_endpoints(uow: UnitOfWork, actor: Actor, merchant_id: int) -> list[WebhookEndpoint] | None:
    """None for callers who do not manage the merchant."""
    if not policy.can_manage_webhooks(actor, merchant_id):
        return None
    return await uow.webhooks.endpoints_of(merchant_id)


# -- the delivery log, redelivery, test events ------------------------------------------------------


async def list_deliveries(
    uow: UnitOfWork,
    actor: Actor,
    merchant_id: int,
    page: PageRequest,
    *,
    endpoint_id: int | None = None,
    status: DeliveryStatus | None = None,
) -> Page[LoggedDelivery] | None:
    if not policy.can_manage_webhooks(actor, merchant_id):
        return None
    return await uow.webhooks.deliveries_page(merchant_id, page, endpoint_id=endpoint_id, status=status)


async def visible_delivery(uow: UnitOfWork, actor: Actor, delivery_id: int) -> WebhookDelivery | None:
    delivery = await uow.webhooks.get_delivery(delivery_id)
    if delivery is None or not policy.can_manage_webhooks(actor, delivery.merchant_id):
        return None
    return delivery


async def visible_log_entry(uow: UnitOfWork, actor: Actor, delivery_id: int) -> LoggedDelivery | None:
    """A delivery with its attempts, for callers who manage its merchant (None for others: no leak)."""
    found = await uow.webhooks.logged_delivery(delivery_id)
    if found is None or not policy.can_manage_webhooks(actor, found.delivery.merchant_id):
        return None
    return found


def _require_enabled(endpoint: WebhookEndpoint, field: Path) -> None:
    if not endpoint.enabled:
        raise DomainError.single(
            field,
            ErrorCode.CONFLICT,
            "The endpoint is disabled"
            + (f" ({endpoint.disabled_reason})" if endpoint.disabled_reason else "")
            + "; enable it first.",
        )


async def redeliver(uow: UnitOfWork, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send an event again, now, with the same `webhook-id` (a receiver that has it can dedupe)."""
    await uow.begin_write()
    delivery = await visible_delivery(uow, actor, delivery_id)
    if delivery is None:
        raise policy.refusal(actor, ("deliveryId",), ErrorCode.NOT_FOUND, "No such delivery.")
    endpoint = await uow.webhooks.get_endpoint(delivery.endpoint_id)
    assert endpoint is not None  # deliveries go with their endpoint
    _require_enabled(endpoint, ("deliveryId",))
    new_id = await uow.webhooks.redeliver(delivery, utc_now())
    await uow.commit()
    created = await uow.webhooks.get_delivery(new_id)
    assert created is not None
    return created


async def send_test_event(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, delivered and logged like any other."""
    await uow.begin_write()
    endpoint = await managed_endpoint(uow, actor, endpoint_id)
    _require_enabled(endpoint, ("endpointId",))
    now = utc_now()
    webhook_id = new_webhook_id()
    body = envelope(
        TEST_EVENT_TYPE,
        now,
        {"endpointId": endpoint.id, "message": "A test event from Shoppable: your endpoint is reachable."},
    )
    await uow.webhooks.add_events(
        endpoint.merchant_id,
        None,
        [NewEvent(TEST_EVENT_TYPE, body, webhook_id)],
        now,
        endpoint_id=endpoint.id,
    )
    await uow.commit()
    page = await uow.webhooks.deliveries_page(
        endpoint.merchant_id, PageRequest(first=1), endpoint_id=endpoint.id
    )
    return page.items[0].delivery
