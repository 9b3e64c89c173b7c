"""Buying from a post through the real HTTP app: cart, checkout, payment, orders, attribution."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.commerce_world import CREATE, EARNINGS, QUANTITY, Caller, make_shop
from tests.conftest import GraphQL
from tests.factories import sign_up


async def test_a_shopper_buys_from_a_post_and_the_creator_earns(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])

    added = await shopper.add(shop.skus["jacket-0"], 2, post_id=shop.post_id)
    assert added["userErrors"] == []
    cart = added["cart"]
    assert [(line["quantity"], line["attributedPost"]["id"]) for line in cart["lines"]] == [(2, shop.post_id)]
    assert cart["subtotal"] == [{"amount": "240.00", "currencyCode": "EUR"}]
    assert cart["warnings"] == []

    created = (await shopper(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]
    assert created["userErrors"] == [], created
    checkout = created["checkout"]
    assert checkout["totals"] == [{"amount": "240.00", "currencyCode": "EUR"}]
    merchant = Caller(client, shop.owner["token"])
    held = (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]
    assert held["quantityAvailable"] == 3

    placed = await shopper.buy(checkoutId=checkout["id"])
    assert placed["userErrors"] == [], placed
    [order] = placed["orders"]
    assert order["number"] == "#1001"
    assert (order["status"], order["financialStatus"], order["fulfillmentStatus"]) == (
        "OPEN",
        "PAID",
        "UNFULFILLED",
    )
    assert order["total"] == {"amount": "240.00", "currencyCode": "EUR"}
    [line] = order["lines"]
    assert line["attributedCreator"]["id"] == shop.creator_profile["id"]
    assert line["attributedPost"]["id"] == shop.post_id
    assert (await shopper.cart())["lines"] == []
    after = (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]
    assert after["quantityAvailable"] == 3

    creator = Caller(client, shop.creator["token"])
    earnings = (await creator(EARNINGS, {"id": shop.creator_profile["id"]}))["node"]["earnings"]
    assert earnings["pending"] == [{"amount": "24.00", "currencyCode": "EUR"}]
    [commission] = [e["node"] for e in earnings["commissions"]["edges"]]
    # The order is the buyer's and the merchant's: the creator sees the commission, not the basket.
    assert (commission["rate"], commission["status"], commission["order"]) == ("0.10", "PENDING", None)
    # Nobody else sees a creator's earnings.
    assert (await shopper(EARNINGS, {"id": shop.creator_profile["id"]}))["node"]["earnings"] is None


FEED = """query($after: String) { feed(first: 50, after: $after) {
  edges { node { __typename ... on Product { id } } } pageInfo { hasNextPage endCursor } } }"""


async def test_what_a_shopper_bought_leaves_their_feed(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop = await make_shop(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])

    async def products_in_feed() -> set[str]:
        seen: set[str] = set()
        after = None
        for _ in range(10):
            page = (await shopper(FEED, {"after": after}))["feed"]
            seen |= {e["node"]["id"] for e in page["edges"] if e["node"]["__typename"] == "Product"}
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        return seen

    assert shop.products["boots"] in await products_in_feed()
    await shopper.add(shop.skus["boots-0"])
    assert len((await shopper.buy())["orders"]) == 1
    assert shop.products["boots"] not in await products_in_feed()
