"""Order events reach the merchant's webhook receiver, signed, once per change: created, fulfilled,
refunded, cancelled, and low stock when a sale crosses the threshold."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from shoppable.settings import Settings
from tests.api.test_webhooks_api import endpoint, eventually
from tests.commerce_world import CANCEL, FULFILL, REFUND, Caller, device_shoppers, make_shop
from tests.conftest import GraphQL
from tests.webhook_receiver import Receiver


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_network_fetch": True, "webhook_poll_seconds": 0.1})


async def test_order_events_are_delivered_for_every_change(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client, jacket_stock=7)
    events = ["ORDER_CREATED", "ORDER_FULFILLED", "ORDER_REFUNDED", "ORDER_CANCELLED", "INVENTORY_LOW"]
    merchant = Caller(client, shop.owner["token"])
    [shopper] = await device_shoppers(client, 1, "hooks")
    with Receiver() as receiver:
        hook = await endpoint(gql, shop.owner["token"], shop.merchant, receiver.url, events)
        secret = hook["secret"]
        await shopper.add(shop.skus["jacket-0"], 3)  # 7 -> 4: below the threshold of 5
        await shopper.add(shop.skus["boots-0"], 2)
        [order] = (await shopper.buy())["orders"]
        created = await eventually(lambda: receiver.of_type("order.created", secret))
        assert created[0]["data"]["id"] == created[0]["data"]["graphqlId"] == order["id"]
        fetched = await client.get(
            f"/v1/orders/{created[0]['data']['id']}",
            headers={"Authorization": f"Bearer {shop.owner['token']}"},
        )
        assert fetched.status_code == 200, fetched.text  # the id a receiver is given is the REST one
        assert {line["id"] for line in created[0]["data"]["lines"]} == {line["id"] for line in order["lines"]}
        assert created[0]["data"]["number"] == order["number"]
        assert {line["sku"]: line["quantity"] for line in created[0]["data"]["lines"]} == {
            "jacket-0": 3,
            "boots-0": 2,
        }
        low = await eventually(lambda: receiver.of_type("inventory.low", secret))
        assert len(low) == 1

        jacket = next(line for line in order["lines"] if line["sku"]["sku"] == "jacket-0")
        await merchant(FULFILL, {"i": {"orderId": order["id"], "lineIds": [jacket["id"]]}})
        await eventually(lambda: receiver.of_type("order.fulfilled", secret))
        boots = next(line for line in order["lines"] if line["sku"]["sku"] == "boots-0")
        await merchant(
            REFUND, {"i": {"orderId": order["id"], "lines": [{"lineId": boots["id"], "quantity": 1}]}}
        )
        refunded = await eventually(lambda: receiver.of_type("order.refunded", secret))
        assert refunded[0]["data"]["refund"] == {
            "amount": {"amount": "80.00", "currencyCode": "EUR"},
            "lines": [{"lineId": boots["id"], "quantity": 1}],
        }

        await shopper.add(shop.skus["scarf-0"], 1)
        [second] = (await shopper.buy())["orders"]
        await merchant(CANCEL, {"i": {"orderId": second["id"], "reason": "duplicate"}})
        cancelled = await eventually(lambda: receiver.of_type("order.cancelled", secret))
        assert cancelled[0]["data"]["cancelReason"] == "duplicate"
        assert len(receiver.of_type("order.created", secret)) == 2
