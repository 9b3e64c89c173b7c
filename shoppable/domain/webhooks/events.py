"""The events merchants subscribe to and the payloads they receive.

A payload is `{"type", "timestamp", "version", "data"}` (Standard Webhooks' `{type, timestamp, data}`
plus the payload version), serialized once when the event is recorded: every attempt sends the same
bytes, so a receiver's signature check and its dedupe by `webhook-id` see one message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from shoppable.domain.ids import global_id

PAYLOAD_VERSION = "2026-11-30"
"""Bumped (a new date) whenever a payload changes in a way a receiver could notice."""

MAX_PAYLOAD_BYTES = 20 * 1024
MAX_LINES_IN_PAYLOAD = 50
MAX_SKUS_IN_PAYLOAD = 50


class WebhookEvent(StrEnum):
    """What an endpoint subscribes to. The wire `type` is `WIRE_TYPES[event]` (`order.created`...)."""

    ORDER_CREATED = "ORDER_CREATED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_REFUNDED = "ORDER_REFUNDED"
    ORDER_FULFILLED = "ORDER_FULFILLED"
    PRODUCT_UPDATED = "PRODUCT_UPDATED"
    INVENTORY_LOW = "INVENTORY_LOW"
    CATALOG_IMPORT_FINISHED = "CATALOG_IMPORT_FINISHED"

    @property
    def wire_type(self) -> str:
        return WIRE_TYPES[self]


WIRE_TYPES: dict[WebhookEvent, str] = {
    WebhookEvent.ORDER_CREATED: "order.created",
    WebhookEvent.ORDER_CANCELLED: "order.cancelled",
    WebhookEvent.ORDER_REFUNDED: "order.refunded",
    WebhookEvent.ORDER_FULFILLED: "order.fulfilled",
    WebhookEvent.PRODUCT_UPDATED: "product.updated",
    WebhookEvent.INVENTORY_LOW: "inventory.low",
    WebhookEvent.CATALOG_IMPORT_FINISHED: "catalog_import.finished",
}

TEST_EVENT_TYPE = "webhook.test"
"""Sent to one endpoint on request (`sendTestWebhook`), whatever it subscribes to."""


def envelope(wire_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The exact body every attempt sends. Data over MAX_PAYLOAD_BYTES is cut to its identifiers and
    `truncated: true` (the receiver fetches the rest through the API): never an unbounded request."""
    body = _dump(wire_type, occurred_at, data)
    if len(body.encode()) <= MAX_PAYLOAD_BYTES:
        return body
    kept: dict[str, Any] = {k: data[k] for k in ("id", "graphqlId", "number", "sku", "handle") if k in data}
    return _dump(wire_type, occurred_at, {**kept, "truncated": True})


def _dump(wire_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": wire_type,
            "timestamp": occurred_at.isoformat().replace("+00:00", "Z"),
            "version": PAYLOAD_VERSION,
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


# -- payload data: what a merchant's system needs to act without calling back -------------------------


def money_json(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currencyCode": currency}


@dataclass(frozen=True)
class OrderLineSnapshot:
    line_id: int
    sku_id: int
    sku: str
    title: str
    quantity: int
    unit_price: str  # decimal string, e.g. "19.90"
    refunded_quantity: int = 0
    fulfilled_quantity: int = 0


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the order events carry it; the commerce domain fills it from its own record."""

    id: int
    number: str
    status: str
    financial_status: str
    fulfillment_status: str
    currency: str
    total: str
    created_at: datetime
    lines: Sequence[OrderLineSnapshot] = ()
    refunded_total: str | None = None
    cancel_reason: str | None = None
    shipping_address: dict[str, str] | None = None
    """Only what fulfilment needs (name, lines of the address, postcode, city, country code)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Event-specific facts: `{"refund": {...}}`, `{"fulfillment": {"lineIds": [...]}}`."""


def order_data(order: OrderSnapshot) -> dict[str, Any]:
    """`data` of ORDER_* events. Ids are the global ids `/v1/orders` and GraphQL answer (`graphqlId`
    repeats `id`, as on every other event), so a receiver can fetch the order it was told about."""
    lines = list(order.lines)
    data: dict[str, Any] = {
        "id": global_id("Order", order.id),
        "graphqlId": global_id("Order", order.id),
        "number": order.number,
        "status": order.status,
        "financialStatus": order.financial_status,
        "fulfillmentStatus": order.fulfillment_status,
        "total": money_json(order.total, order.currency),
        "createdAt": order.created_at.isoformat(),
        "lines": [
            {
                "id": global_id("OrderLine", line.line_id),
                "skuId": global_id("Sku", line.sku_id),
                "sku": line.sku,
                "title": line.title,
                "quantity": line.quantity,
                "unitPrice": money_json(line.unit_price, order.currency),
                "refundedQuantity": line.refunded_quantity,
                "fulfilledQuantity": line.fulfilled_quantity,
            }
            for line in lines[:MAX_LINES_IN_PAYLOAD]
        ],
        "linesTruncated": len(lines) > MAX_LINES_IN_PAYLOAD,
    }
    if order.refunded_total is not None:
        data["refundedTotal"] = money_json(order.refunded_total, order.currency)
    if order.cancel_reason is not None:
        data["cancelReason"] = order.cancel_reason
    if order.shipping_address is not None:
        data["shippingAddress"] = order.shipping_address
    data.update(order.extra)
    return data
