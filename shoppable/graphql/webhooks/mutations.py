"""Webhook mutations: endpoints, secret rotation, redelivery and test events."""

from __future__ import annotations

import strawberry

from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.graphql.context import Info
from shoppable.graphql.core.errors import mutation
from shoppable.graphql.core.ids import decode_input_id
from shoppable.graphql.webhooks.types import (
    DeleteWebhookEndpointPayload,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointPayload,
)


@strawberry.input
class CreateWebhookEndpointInput:
    merchant_id: strawberry.ID
    url: str
    events: list[WebhookEvent]

    def to_domain(self) -> service.NewEndpoint:
        return service.NewEndpoint(
            merchant_id=decode_input_id(self.merchant_id, "Merchant", ("merchantId",)),
            url=self.url,
            events=list(self.events),
        )


@strawberry.input
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID
    url: str | None = None
    events: list[WebhookEvent] | None = None
    enabled: bool | None = None

    def to_domain(self) -> service.EndpointChange:
        return service.EndpointChange(
            endpoint_id=decode_input_id(self.endpoint_id, "WebhookEndpoint", ("endpointId",)),
            url=self.url,
            events=list(self.events) if self.events is not None else None,
            enabled=self.enabled,
        )


@strawberry.input
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID

    def pk(self) -> int:
        return decode_input_id(self.endpoint_id, "WebhookEndpoint", ("endpointId",))


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class WebhookMutations:
    @mutation(description="Deliveries are signed with the secret in the answer, shown only this once.")
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        created = await service.create_endpoint(
            info.context.uow,
            info.context.actor,
            input.to_domain(),
            allow_private=info.context.settings.allow_private_network_fetch,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.of(created.endpoint), secret=created.secret)

    @mutation(description="Change the URL, the events, or enable/disable; enabling clears the reason.")
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        endpoint = await service.update_endpoint(
            info.context.uow,
            info.context.actor,
            input.to_domain(),
            allow_private=info.context.settings.allow_private_network_fetch,
        )
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.of(endpoint))

    @mutation(description="A new secret (shown once); the old one keeps signing, beside it, for 24 hours.")
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookEndpointPayload:
        rotated = await service.rotate_secret(info.context.uow, info.context.actor, input.pk())
        return WebhookEndpointPayload(endpoint=WebhookEndpoint.of(rotated.endpoint), secret=rotated.secret)

    @mutation(description="The endpoint and its delivery log are deleted; pending deliveries are dropped.")
    async def delete_webhook_endpoint(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> DeleteWebhookEndpointPayload:
        await service.delete_endpoint(info.context.uow, info.context.actor, input.pk())
        return DeleteWebhookEndpointPayload(deleted_endpoint_id=input.endpoint_id)

    @mutation(description="Send the delivery's event again now, with the same webhook-id.")
    async def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> WebhookDeliveryPayload:
        delivery_id = decode_input_id(input.delivery_id, "WebhookDelivery", ("deliveryId",))
        delivery = await service.redeliver(info.context.uow, info.context.actor, delivery_id)
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(delivery, []))

    @mutation(description="A `webhook.test` event to this endpoint, delivered and logged like the others.")
    async def send_test_webhook(self, info: Info, input: WebhookEndpointIdInput) -> WebhookDeliveryPayload:
        delivery = await service.send_test_event(info.context.uow, info.context.actor, input.pk())
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(delivery, []))
