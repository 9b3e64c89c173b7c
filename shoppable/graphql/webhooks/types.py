"""GraphQL types of webhooks: endpoints (never their secrets), deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry

from shoppable.domain.pagination import Page
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import DeliveryStatus
from shoppable.domain.webhooks.records import WebhookAttempt as AttemptRecord
from shoppable.domain.webhooks.records import WebhookDelivery as DeliveryRecord
from shoppable.domain.webhooks.records import WebhookEndpoint as EndpointRecord
from shoppable.graphql.context import Info
from shoppable.graphql.core.connection import Connection, connection, page_request
from shoppable.graphql.core.errors import UserError
from shoppable.graphql.core.ids import bad_user_input, decode_id, encode_id
from shoppable.graphql.core.node import Node, node_type

strawberry.enum(WebhookEvent, name="WebhookEvent")
strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")
WebhookDeliveryStatus = DeliveryStatus


@strawberry.type
class WebhookEndpoint(Node):
    url: str
    events: list[WebhookEvent]
    enabled: bool
    disabled_reason: str | None = strawberry.field(
        description="Why the endpoint was disabled (410 Gone, every attempt failing for 3 days, or by you)."
    )
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="Until then deliveries carry a second signature made with the previous secret."
    )
    last_success_at: datetime | None

    @classmethod
    def of(cls, endpoint: EndpointRecord) -> WebhookEndpoint:
        return cls(
            id=strawberry.ID(encode_id("WebhookEndpoint", endpoint.id)),
            url=endpoint.url,
            events=list(endpoint.events),
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            disabled_at=endpoint.disabled_at,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            secret_rotated_at=endpoint.secret_rotated_at,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            last_success_at=endpoint.last_success_at,
        )


@strawberry.type
class WebhookAttempt:
    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    response_excerpt: str | None = strawberry.field(description="The first KB of what the endpoint answered.")

    @classmethod
    def of(cls, attempt: AttemptRecord) -> WebhookAttempt:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            error=attempt.error,
            response_excerpt=attempt.response_excerpt,
        )


@strawberry.type
class WebhookDelivery(Node):
    webhook_id: str = strawberry.field(description="The `webhook-id` header: the same on every attempt.")
    event_type: str = strawberry.field(description="The payload's `type`, e.g. `order.created`.")
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    manual: bool = strawberry.field(description="A redelivery asked for by the merchant.")
    payload: str = strawberry.field(description="The exact JSON body sent.")
    endpoint_id: strawberry.ID
    attempts: list[WebhookAttempt]

    @classmethod
    def of(cls, delivery: DeliveryRecord, attempts: Sequence[AttemptRecord]) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(encode_id("WebhookDelivery", delivery.id)),
            webhook_id=delivery.webhook_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempt_count=delivery.attempt_count,
            next_attempt_at=delivery.next_attempt_at,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            created_at=delivery.created_at,
            finished_at=delivery.finished_at,
            manual=delivery.manual,
            payload=delivery.payload,
            endpoint_id=strawberry.ID(encode_id("WebhookEndpoint", delivery.endpoint_id)),
            attempts=[WebhookAttempt.of(a) for a in attempts],
        )


async def endpoints_of_merchant(info: Info, merchant_id: int) -> list[WebhookEndpoint]:
    """Empty for callers who do not manage the merchant: no existence leak."""
    found = await service.list_endpoints(info.context.uow, info.context.actor, merchant_id)
    return [WebhookEndpoint.of(e) for e in found or []]


async def deliveries_of_merchant(
    info: Info,
    merchant_id: int,
    first: int | None,
    after: str | None,
    endpoint_id: strawberry.ID | None,
    status: DeliveryStatus | None,
) -> Connection[WebhookDelivery]:
    """Newest first; empty for callers who do not manage the merchant."""
    request = page_request(info.context.cursors, "webhookDeliveries", first, after)
    endpoint_pk = None
    if endpoint_id is not None:
        endpoint_pk = decode_id(endpoint_id, "WebhookEndpoint")
        if endpoint_pk is None:
            raise bad_user_input("`endpointId` is not a WebhookEndpoint id.")
    page = await service.list_deliveries(
        info.context.uow, info.context.actor, merchant_id, request, endpoint_id=endpoint_pk, status=status
    ) or Page(items=[], keys=[], has_next=False)
    return connection(
        info.context.cursors,
        "webhookDeliveries",
        page,
        lambda d: WebhookDelivery.of(d.delivery, d.attempts),
        had_cursor=after is not None,
    )


async def visible_endpoint(info: Info, pk: int) -> WebhookEndpoint | None:
    endpoint = await service.visible_endpoint(info.context.uow, info.context.actor, pk)
    return WebhookEndpoint.of(endpoint) if endpoint else None


async def visible_delivery(info: Info, pk: int) -> WebhookDelivery | None:
    found = await service.visible_log_entry(info.context.uow, info.context.actor, pk)
    return WebhookDelivery.of(found.delivery, found.attempts) if found else None


node_type("WebhookEndpoint")(visible_endpoint)
node_type("WebhookDelivery")(visible_delivery)


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="`whsec_...`: shown only in the answer to create and rotate; store it now.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_endpoint_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
