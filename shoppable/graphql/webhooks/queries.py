"""Webhook queries: one endpoint or delivery by id (lists hang off `Merchant`)."""

from __future__ import annotations

import strawberry

from shoppable.graphql.context import Info
from shoppable.graphql.core.ids import decode_id
from shoppable.graphql.webhooks.types import (
    WebhookDelivery,
    WebhookEndpoint,
    visible_delivery,
    visible_endpoint,
)


@strawberry.type
class WebhookQueries:
    @strawberry.field(description="An endpoint of a merchant you manage; null otherwise.")
    async def webhook_endpoint(self, info: Info, id: strawberry.ID) -> WebhookEndpoint | None:
        pk = decode_id(id, "WebhookEndpoint")
        return await visible_endpoint(info, pk) if pk else None

    @strawberry.field(description="A delivery, with its attempts, of a merchant you manage; null otherwise.")
    async def webhook_delivery(self, info: Info, id: strawberry.ID) -> WebhookDelivery | None:
        pk = decode_id(id, "WebhookDelivery")
        return await visible_delivery(info, pk) if pk else None
