"""Order events, for the commerce domain to record in the transaction that changes the order.

    from shoppable.domain.webhooks.order_events import record_order_event
    await record_order_event(uow, WebhookEvent.ORDER_CREATED, merchant_id, OrderSnapshot(...))
    await uow.commit()   # the event exists exactly when the order change does

Stock that a sale lowers past the merchant's threshold is `catalog_events.record_low_stock`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shoppable.domain.webhooks.events import OrderSnapshot, WebhookEvent, order_data
from shoppable.domain.webhooks.service import record_webhook_event

if TYPE_CHECKING:
    from shoppable.domain.uow import UnitOfWork

ORDER_EVENTS = frozenset(
    {
        WebhookEvent.ORDER_CREATED,
        WebhookEvent.ORDER_CANCELLED,
        WebhookEvent.ORDER_REFUNDED,
        WebhookEvent.ORDER_FULFILLED,
    }
)


async def record_order_event(
    uow: UnitOfWork, event: WebhookEvent, merchant_id: int, order: OrderSnapshot
) -> int:
    """Record an ORDER_* event for the order's merchant in the caller's transaction; returns the
    deliveries queued (0 when no endpoint listens)."""
    if event not in ORDER_EVENTS:
        raise ValueError(f"{event} is not an order event")
    return await record_webhook_event(uow, merchant_id, event, order_data(order))
