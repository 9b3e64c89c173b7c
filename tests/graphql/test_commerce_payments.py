"""Holds that expire on their own, declined and failed payments, and the merchant's order operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.commerce_world import (
    CANCEL,
    COMPLETE,
    CREATE,
    EARNINGS,
    FULFILL,
    QUANTITY,
    REFUND,
    Caller,
    device_shoppers,
    make_shop,
)
from tests.conftest import GraphQL


class Clock:
    """The services' clock, moved on by the test: a hold expires when the test says, not when a slow
    machine happens to take longer than the hold between two requests."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


async def test_an_expired_hold_stops_counting_without_any_job(
    client: AsyncTestClient[Any],
) -> None:
    clock = Clock()
    client.app.state.services.clock = clock

    async def gql(query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )
        return response.json()

    shop = await make_shop(gql, client, jacket_stock=1)
    first, second = await device_shoppers(client, 2, "hold")
    cart = (await first.add(shop.skus["jacket-0"]))["cart"]
    await second.add(shop.skus["jacket-0"])
    checkout = (await first(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]["checkout"]
    blocked = await second.buy()
    assert [e["code"] for e in blocked["userErrors"]] == ["INSUFFICIENT_STOCK"]

    hold = client.app.state.services.settings.anonymous_checkout_hold_seconds
    clock.ahead = timedelta(seconds=hold + 1)  # the hold expires; nothing has cleaned it up
    merchant = Caller(client, shop.owner["token"])
    assert (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]["quantityAvailable"] == 1
    bought = await second.buy()
    assert bought["userErrors"] == [] and len(bought["orders"]) == 1
    late = await first.buy(checkoutId=checkout["id"])
    assert [(e["field"], e["code"]) for e in late["userErrors"]] == [(["checkoutId"], "EXPIRED")]


async def test_declined_and_failed_payments_leave_no_order_and_release_the_stock(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client, jacket_stock=1)
    [shopper] = await device_shoppers(client, 1, "card")
    merchant = Caller(client, shop.owner["token"])
    await shopper.add(shop.skus["jacket-0"])

    declined = await shopper.buy(token="tok_chargeDeclined", key="k1")
    assert declined["orders"] == []
    assert [(e["field"], e["code"]) for e in declined["userErrors"]] == [
        (["payment", "token"], "PAYMENT_DECLINED")
    ]
    assert (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]["quantityAvailable"] == 1

    failed = await shopper.buy(token="tok_processingError", key="k2")
    assert [e["code"] for e in failed["userErrors"]] == ["PAYMENT_FAILED"]
    # A transient failure may be retried with the same key, and then it goes through.
    retried = await shopper.buy(token="tok_visa", key="k2")
    assert retried["userErrors"] == [] and len(retried["orders"]) == 1
    assert (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]["quantityAvailable"] == 0

    await shopper.add(shop.skus["boots-0"])
    variables = {
        "i": {
            "idempotencyKey": "k3",
            "cartId": (await shopper.cart())["id"],
            "payment": {"gateway": "paypal", "token": "tok_visa"},
        }
    }
    unknown = (await shopper(COMPLETE, variables))["checkoutComplete"]
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [(["payment", "gateway"], "INVALID")]


async def test_refunds_reverse_commissions_in_proportion_and_cancel_restocks(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)
    [shopper] = await device_shoppers(client, 1, "refund")
    merchant = Caller(client, shop.owner["token"])
    creator = Caller(client, shop.creator["token"])
    await shopper.add(shop.skus["boots-0"], 4, post_id=shop.post_id)  # 4 x 80.00, 10% = 32.00
    await shopper.add(shop.skus["scarf-0"], 1)
    [order] = (await shopper.buy())["orders"]
    boots = next(line for line in order["lines"] if line["sku"]["sku"] == "boots-0")
    scarf = next(line for line in order["lines"] if line["sku"]["sku"] == "scarf-0")

    # Another merchant, the shopper and the creator cannot touch the order.
    for outsider in (creator, shopper):
        refused = await outsider(
            REFUND, {"i": {"orderId": order["id"], "lines": [{"lineId": boots["id"], "quantity": 1}]}}
        )
        # The anonymous device is told to log in; the signed-in creator that there is no such order.
        expected = "UNAUTHENTICATED" if outsider is shopper else "NOT_FOUND"
        assert [e["code"] for e in refused["orderRefund"]["userErrors"]] == [expected]

    bad = await merchant(
        REFUND, {"i": {"orderId": order["id"], "lines": [{"lineId": boots["id"], "quantity": 5}]}}
    )
    assert [(e["field"], e["code"]) for e in bad["orderRefund"]["userErrors"]] == [
        (["lines", "0", "quantity"], "INVALID")
    ]

    refunded = (
        await merchant(
            REFUND, {"i": {"orderId": order["id"], "lines": [{"lineId": boots["id"], "quantity": 1}]}}
        )
    )["orderRefund"]
    assert refunded["userErrors"] == []
    assert refunded["order"]["financialStatus"] == "PARTIALLY_REFUNDED"
    assert refunded["order"]["refunded"] == {"amount": "80.00", "currencyCode": "EUR"}
    earnings = (await creator(EARNINGS, {"id": shop.creator_profile["id"]}))["node"]["earnings"]
    assert earnings["pending"] == [{"amount": "24.00", "currencyCode": "EUR"}]
    assert earnings["reversed"] == [{"amount": "8.00", "currencyCode": "EUR"}]
    assert (await merchant(QUANTITY, {"id": shop.skus["boots-0"]}))["node"]["quantityAvailable"] == 7

    fulfilled = (await merchant(FULFILL, {"i": {"orderId": order["id"], "lineIds": [scarf["id"]]}}))[
        "orderFulfill"
    ]
    assert fulfilled["order"]["fulfillmentStatus"] == "PARTIALLY_FULFILLED"
    cancel = (await merchant(CANCEL, {"i": {"orderId": order["id"], "reason": "changed mind"}}))[
        "orderCancel"
    ]
    assert [e["code"] for e in cancel["userErrors"]] == ["CONFLICT"]  # the scarf has shipped

    # A second order is cancelled whole: stock back, payment refunded, commission reversed.
    await shopper.add(shop.skus["jacket-0"], 1, post_id=shop.post_id)
    [second] = (await shopper.buy())["orders"]
    assert (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]["quantityAvailable"] == 4
    cancelled = (await merchant(CANCEL, {"i": {"orderId": second["id"], "reason": "out of season"}}))[
        "orderCancel"
    ]
    assert cancelled["userErrors"] == []
    assert (cancelled["order"]["status"], cancelled["order"]["financialStatus"]) == ("CANCELLED", "REFUNDED")
    assert (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]["quantityAvailable"] == 5
    earnings = (await creator(EARNINGS, {"id": shop.creator_profile["id"]}))["node"]["earnings"]
    assert earnings["pending"] == [{"amount": "24.00", "currencyCode": "EUR"}]
    assert earnings["reversed"] == [{"amount": "20.00", "currencyCode": "EUR"}]  # 8.00 + 12.00
