"""The order events' payload shape and their recording, ready for the commerce domain to call."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shoppable.domain.identity.actor import Actor
from shoppable.domain.ids import global_id
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import (
    MAX_LINES_IN_PAYLOAD,
    OrderLineSnapshot,
    OrderSnapshot,
    WebhookEvent,
)
from shoppable.domain.webhooks.order_events import record_order_event
from tests.domain.in_memory import InMemoryUnitOfWork

OWNER = Actor(user_id=1, merchant_ids=frozenset({1}))


def order(lines: int = 2, **extra: object) -> OrderSnapshot:
    return OrderSnapshot(
        id=41, number="SH-1041", status="OPEN", financial_status="PAID", fulfillment_status="UNFULFILLED",
        currency="EUR", total="59.80", created_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        lines=[OrderLineSnapshot(i + 1, 100 + i, f"SKU-{i}", "Tee", 1, "29.90") for i in range(lines)],
        shipping_address={"name": "Ana", "line1": "Main St 1", "postcode": "1010", "city": "Vienna",
                          "countryCode": "AT"},
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_order_events_reach_subscribed_endpoints_with_the_fields_a_merchant_needs() -> None:
    uow = InMemoryUnitOfWork()
    await uow.identity.add_merchant("shop", "Shop", "EUR", 5, 1)
    await service.create_endpoint(
        uow, OWNER, service.NewEndpoint(1, "https://erp.example.com/h", [WebhookEvent.ORDER_CREATED]),
        allow_private=False,
    )  # fmt: skip
    assert await record_order_event(uow, WebhookEvent.ORDER_CREATED, 1, order()) == 1
    assert (
        await record_order_event(uow, WebhookEvent.ORDER_CANCELLED, 1, order(cancel_reason="customer")) == 0
    )
    [delivery] = uow.webhooks.deliveries.values()
    payload = json.loads(delivery.payload)
    assert payload["type"] == "order.created"
    data = payload["data"]
    assert data["id"] == data["graphqlId"] == global_id("Order", 41) and data["number"] == "SH-1041"
    assert data["total"] == {"amount": "59.80", "currencyCode": "EUR"}
    assert data["lines"][0] == {
        "id": global_id("OrderLine", 1), "skuId": global_id("Sku", 100), "sku": "SKU-0", "title": "Tee", "quantity": 1,
        "unitPrice": {"amount": "29.90", "currencyCode": "EUR"}, "refundedQuantity": 0, "fulfilledQuantity": 0,
    }  # fmt: skip
    assert data["shippingAddress"]["countryCode"] == "AT"


def test_big_orders_stay_under_the_payload_limit() -> None:
    from shoppable.domain.webhooks.events import MAX_PAYLOAD_BYTES, envelope, order_data

    body = envelope("order.created", datetime.now(UTC), order_data(order(lines=500)))
    data = json.loads(body)["data"]
    assert len(body.encode()) <= MAX_PAYLOAD_BYTES
    assert len(data["lines"]) == MAX_LINES_IN_PAYLOAD and data["linesTruncated"] is True


async def test_only_order_events_go_through_record_order_event() -> None:
    with pytest.raises(ValueError):
        await record_order_event(InMemoryUnitOfWork(), WebhookEvent.PRODUCT_UPDATED, 1, order())
