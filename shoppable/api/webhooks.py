"""REST for merchants' systems: webhook endpoints, the delivery log, redelivery and test events
(`/v1/webhooks`, mirroring the GraphQL mutations). Typed request and response models, so the OpenAPI
document at /v1/openapi.json describes them exactly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from graphql import GraphQLError
from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter

from shoppable.api.dependencies import DEPENDENCIES, AppServices, RequestUnitOfWork
from shoppable.api.problems import Problem
from shoppable.domain.catalog.limits import INT64_MAX
from shoppable.domain.catalog.service import merchant_for
from shoppable.domain.errors import DomainError, ErrorCode
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shoppable.graphql.core.ids import CursorCodec, encode_id

CURSOR_KIND = "rest:webhookDeliveries"


@dataclass
class EndpointBody:
    id: int
    graphqlId: str
    url: str
    events: list[WebhookEvent]
    enabled: bool
    disabledReason: str | None
    disabledAt: datetime | None
    createdAt: datetime
    updatedAt: datetime
    secretRotatedAt: datetime | None
    previousSecretExpiresAt: datetime | None
    lastSuccessAt: datetime | None

    @classmethod
    def of(cls, e: WebhookEndpoint) -> EndpointBody:
        return cls(
            e.id, encode_id("WebhookEndpoint", e.id), e.url, list(e.events), e.enabled, e.disabled_reason,
            e.disabled_at, e.created_at, e.updated_at, e.secret_rotated_at, e.previous_secret_expires_at,
            e.last_success_at,
        )  # fmt: skip


@dataclass
class EndpointWithSecretBody:
    endpoint: EndpointBody
    secret: str
    """`whsec_...`: shown only in this answer."""


@dataclass
class EndpointList:
    endpoints: list[EndpointBody]


@dataclass
class NewEndpointBody:
    url: str
    events: list[WebhookEvent]


@dataclass
class EndpointChangeBody:
    url: str | None = None
    events: list[WebhookEvent] | None = None
    enabled: bool | None = None


@dataclass
class AttemptBody:
    number: int
    startedAt: datetime
    statusCode: int | None
    latencyMs: int | None
    error: str | None
    responseExcerpt: str | None

    @classmethod
    def of(cls, a: WebhookAttempt) -> AttemptBody:
        return cls(a.number, a.started_at, a.status_code, a.latency_ms, a.error, a.response_excerpt)


@dataclass
class DeliveryBody:
    id: int
    graphqlId: str
    endpointId: int
    webhookId: str
    eventType: str
    status: DeliveryStatus
    attemptCount: int
    nextAttemptAt: datetime | None
    lastStatusCode: int | None
    lastError: str | None
    createdAt: datetime
    finishedAt: datetime | None
    manual: bool
    payload: str
    attempts: list[AttemptBody]

    @classmethod
    def of(cls, d: WebhookDelivery, attempts: Sequence[WebhookAttempt]) -> DeliveryBody:
        return cls(
            d.id, encode_id("WebhookDelivery", d.id), d.endpoint_id, d.webhook_id, d.event_type, d.status,
            d.attempt_count, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.finished_at,
            d.manual, d.payload, [AttemptBody.of(a) for a in attempts],
        )  # fmt: skip


@dataclass
class DeliveryPage:
    deliveries: list[DeliveryBody]
    nextCursor: str | None
    """Pass as `after` for the next (older) page; null on the last page."""


def _id_or_404(value: int, what: str) -> int:
    if not 0 < value <= INT64_MAX:
        raise Problem(404, f"{what} not found", f"No {what.lower()} {value} of yours.")
    return value


async def _or_404(call: Any, what: str) -> Any:
    """NOT_FOUND about the path's id answers 404 (the same whether it does not exist or is not yours)."""
    try:
        return await call
    except DomainError as exc:
        if (
            exc.errors
            and exc.errors[0].code is ErrorCode.NOT_FOUND
            and exc.errors[0].field
            in {
                ("endpointId",),
                ("deliveryId",),
            }
        ):
            raise Problem(404, f"{what} not found", exc.errors[0].message) from None
        raise


class WebhooksController(Controller):
    path = "/v1/webhooks"
    dependencies = DEPENDENCIES
    tags = ["webhooks"]

    @get("/endpoints")
    async def list_endpoints(
        self, uow: RequestUnitOfWork, actor: Actor, merchant: str | None = None
    ) -> EndpointList:
        """The merchant's webhook endpoints (never their secrets)."""
        target = await merchant_for(uow, actor, merchant)
        return EndpointList(
            [EndpointBody.of(e) for e in await service.list_endpoints(uow, actor, target.id) or []]
        )

    @post("/endpoints", status_code=201)
    async def create_endpoint(
        self,
        uow: RequestUnitOfWork,
        actor: Actor,
        services: AppServices,
        data: NewEndpointBody,
        merchant: str | None = None,
    ) -> EndpointWithSecretBody:
        """Create an endpoint; the answer holds its signing secret, shown only this once."""
        target = await merchant_for(uow, actor, merchant)
        created = await service.create_endpoint(
            uow,
            actor,
            service.NewEndpoint(target.id, data.url, data.events),
            allow_private=services.settings.allow_private_network_fetch,
        )
        return EndpointWithSecretBody(EndpointBody.of(created.endpoint), created.secret)

    @get("/endpoints/{endpoint_id:int}")
    async def get_endpoint(self, uow: RequestUnitOfWork, actor: Actor, endpoint_id: int) -> EndpointBody:
        found = await service.visible_endpoint(uow, actor, _id_or_404(endpoint_id, "Endpoint"))
        if found is None:
            raise Problem(404, "Endpoint not found", f"No webhook endpoint {endpoint_id} of yours.")
        return EndpointBody.of(found)

    @patch("/endpoints/{endpoint_id:int}")
    async def update_endpoint(
        self,
        uow: RequestUnitOfWork,
        actor: Actor,
        services: AppServices,
        endpoint_id: int,
        data: EndpointChangeBody,
    ) -> EndpointBody:
        """Change the URL or the events, or enable/disable (enabling clears why it was disabled)."""
        change = service.EndpointChange(
            _id_or_404(endpoint_id, "Endpoint"), data.url, data.events, data.enabled
        )
        updated = await _or_404(
            service.update_endpoint(
                uow, actor, change, allow_private=services.settings.allow_private_network_fetch
            ),
            "Endpoint",
        )
        return EndpointBody.of(updated)

    @delete("/endpoints/{endpoint_id:int}", status_code=204)
    async def delete_endpoint(self, uow: RequestUnitOfWork, actor: Actor, endpoint_id: int) -> None:
        """Delete the endpoint with its delivery log; pending deliveries are dropped."""
        await _or_404(service.delete_endpoint(uow, actor, _id_or_404(endpoint_id, "Endpoint")), "Endpoint")

    @post("/endpoints/{endpoint_id:int}/rotate-secret", status_code=200)
    async def rotate_secret(
        self, uow: RequestUnitOfWork, actor: Actor, endpoint_id: int
    ) -> EndpointWithSecretBody:
        """A new secret (shown once); the old one keeps signing beside it for 24 hours."""
        rotated = await _or_404(
            service.rotate_secret(uow, actor, _id_or_404(endpoint_id, "Endpoint")), "Endpoint"
        )
        return EndpointWithSecretBody(EndpointBody.of(rotated.endpoint), rotated.secret)

    @post("/endpoints/{endpoint_id:int}/test", status_code=202)
    async def send_test(self, uow: RequestUnitOfWork, actor: Actor, endpoint_id: int) -> DeliveryBody:
        """Queue a `webhook.test` event to this endpoint; follow it in the delivery log."""
        delivery = await _or_404(
            service.send_test_event(uow, actor, _id_or_404(endpoint_id, "Endpoint")), "Endpoint"
        )
        return DeliveryBody.of(delivery, [])

    @get("/deliveries")
    async def list_deliveries(
        self,
        uow: RequestUnitOfWork,
        actor: Actor,
        services: AppServices,
        merchant: str | None = None,
        endpoint_id: Annotated[int | None, Parameter(query="endpointId", gt=0, le=INT64_MAX)] = None,
        status: DeliveryStatus | None = None,
        first: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> DeliveryPage:
        """The delivery log, newest first, with each delivery's attempts."""
        target = await merchant_for(uow, actor, merchant)
        codec = CursorCodec(services.settings.secret_key)
        try:
            key = tuple(codec.decode(CURSOR_KIND, after)) if after else None
        except GraphQLError as exc:
            raise Problem(400, "Invalid cursor", exc.message, slug="invalid-cursor") from None
        page = await service.list_deliveries(
            uow, actor, target.id, PageRequest(first, key), endpoint_id=endpoint_id, status=status
        )
        assert page is not None  # merchant_for checked the caller manages it
        return DeliveryPage(
            [DeliveryBody.of(d.delivery, d.attempts) for d in page.items],
            codec.encode(CURSOR_KIND, list(page.keys[-1])) if page.has_next else None,
        )

    @get("/deliveries/{delivery_id:int}")
    async def get_delivery(self, uow: RequestUnitOfWork, actor: Actor, delivery_id: int) -> DeliveryBody:
        found = await service.visible_log_entry(uow, actor, _id_or_404(delivery_id, "Delivery"))
        if found is None:
            raise Problem(404, "Delivery not found", f"No webhook delivery {delivery_id} of yours.")
        return DeliveryBody.of(found.delivery, found.attempts)

    @post("/deliveries/{delivery_id:int}/redeliver", status_code=202)
    async def redeliver(self, uow: RequestUnitOfWork, actor: Actor, delivery_id: int) -> DeliveryBody:
        """Send the event again now, with the same webhook-id (a new delivery in the log)."""
        delivery = await _or_404(
            service.redeliver(uow, actor, _id_or_404(delivery_id, "Delivery")), "Delivery"
        )
        return DeliveryBody.of(delivery, [])
