"""The cart: live warnings, bad input with paths, one customer across log-in, and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from tests.commerce_world import (
    CART,
    CONSENT,
    CREATE,
    ORDER_FIELDS,
    REMOVE,
    TRACK,
    UPDATE,
    UPDATE_MERCHANT,
    Caller,
    device_shoppers,
    make_shop,
    stock_product,
)
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, product_input, sign_up, upsert

LOG_IN = """mutation($i: LogInInput!) { logIn(input: $i) { token userErrors { code } } }"""
ADD_MANY = """mutation($i: CartAddLinesInput!) { cartAddLines(input: $i) { cart { id lines { quantity } } userErrors { field code message } } }"""
VIEWER_ORDERS = f"query {{ viewer {{ cart {{ id lines {{ quantity }} }} orders(first: 10) {{ edges {{ node {{ {ORDER_FIELDS} }} }} }} }} }}"
MERCHANT_ORDERS = """query($id: ID!) { node(id: $id) { ... on Merchant { settings { commissionRate }
  orders(first: 10) { edges { node { id number } } } } } }"""
ORDER_NODE = "query($id: ID!) { node(id: $id) { ... on Order { id number } } }"
INSIGHTS = """query($id: ID!) { node(id: $id) { ... on Post { insights { impressions clicks addToCarts orders
  revenue { amount currencyCode } commission { amount currencyCode } } } } }"""


def errors(payload: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_the_cart_says_what_changed_and_checkout_shows_new_prices_first(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client, jacket_stock=3)
    [shopper] = await device_shoppers(client, 1, "warn")
    await shopper.add(shop.skus["jacket-0"], 3)
    line = (await shopper.add(shop.skus["boots-0"], 1))["cart"]["lines"][1]
    await shopper.add(shop.skus["scarf-0"], 1)

    # The merchant changes the boots' price, sells two jackets elsewhere and archives the scarf.
    changes = [
        stock_product("jacket", 1, "120.00"),
        stock_product("boots", 10, "90.00"),
        {**stock_product("scarf", 10), "status": "ARCHIVED"},
    ]
    assert (await upsert(gql, shop.owner["token"], shop.merchant["id"], changes))["userErrors"] == []
    cart = await shopper.cart()
    by_line = {w["lineId"]: w["code"] for w in cart["warnings"]}
    jacket, boots, scarf = (line["id"] for line in cart["lines"])
    assert by_line == {jacket: "QUANTITY_REDUCED", boots: "PRICE_CHANGED", scarf: "NO_LONGER_SOLD"}
    assert next(x for x in cart["lines"] if x["id"] == boots)["price"] == {
        "amount": "90.00",
        "currencyCode": "EUR",
    }
    assert line["id"] == boots

    failed = (await shopper(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]
    assert sorted(errors(failed)) == [
        (["lines", "0", "quantity"], "INSUFFICIENT_STOCK"),
        (["lines", "2", "sku"], "INVALID"),
    ]
    await shopper(UPDATE, {"i": {"lines": [{"lineId": jacket, "quantity": 1}]}})
    await shopper(REMOVE, {"i": {"lineIds": [scarf]}})
    repriced = (await shopper(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]
    assert errors(repriced) == [(["cartId"], "PRICE_CHANGED")]
    assert (await shopper.cart())["warnings"] == []  # the shopper has now seen 90.00
    created = (await shopper(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]
    assert created["userErrors"] == []
    assert created["checkout"]["totals"] == [{"amount": "210.00", "currencyCode": "EUR"}]


async def test_bad_cart_input_is_answered_with_paths(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop = await make_shop(gql, client)
    draft = await upsert(
        gql, shop.owner["token"], shop.merchant["id"], [product_input("secret", status="DRAFT")]
    )
    draft_sku = draft["products"][0]["skus"]["edges"][0]["node"]["id"]
    [shopper] = await device_shoppers(client, 1, "bad")
    sku = shop.skus["jacket-0"]
    cases = [
        ({"skuId": sku, "quantity": 0}, (["lines", "0", "quantity"], "INVALID")),
        ({"skuId": sku, "quantity": 100}, (["lines", "0", "quantity"], "INVALID")),
        ({"skuId": sku, "quantity": -3}, (["lines", "0", "quantity"], "INVALID")),
        # A draft's SKU is as unknown to shoppers as one that does not exist.
        ({"skuId": draft_sku, "quantity": 1}, (["lines", "0", "skuId"], "NOT_FOUND")),
        ({"skuId": "nope", "quantity": 1}, (["lines", "0", "skuId"], "INVALID")),
        ({"skuId": shop.post_id, "quantity": 1}, (["lines", "0", "skuId"], "INVALID")),
        (
            {"skuId": shop.skus["scarf-0"], "quantity": 1, "postId": shop.post_id},
            (["lines", "0", "postId"], "INVALID"),
        ),
        ({"skuId": sku, "quantity": 6}, (["lines", "0", "quantity"], "INSUFFICIENT_STOCK")),
    ]
    for line, expected in cases:
        payload = (await shopper(ADD_MANY, {"i": {"lines": [line]}}))["cartAddLines"]
        assert errors(payload) == [expected], (line, payload)
    assert errors((await shopper(ADD_MANY, {"i": {"lines": []}}))["cartAddLines"]) == [
        (["lines"], "REQUIRED")
    ]
    too_many = [{"skuId": sku, "quantity": 1}] * 51
    assert errors((await shopper(ADD_MANY, {"i": {"lines": too_many}}))["cartAddLines"]) == [
        (["lines"], "LIMIT_EXCEEDED")
    ]
    assert (await shopper.cart())["lines"] == []  # nothing half-written

    # A deleted post cannot credit anyone.
    deleted = await gql(
        "mutation($i: PostIdInput!) { deletePost(input: $i) { userErrors { code } } }",
        {"i": {"postId": shop.post_id}},
        token=shop.creator["token"],
    )
    assert deleted["data"]["deletePost"]["userErrors"] == []
    payload = await shopper(
        ADD_MANY, {"i": {"lines": [{"skuId": sku, "quantity": 1, "postId": shop.post_id}]}}
    )
    assert errors(payload["cartAddLines"]) == [(["lines", "0", "postId"], "NOT_FOUND")]

    # Without an account or a device there is no cart.
    nobody = Caller(client)
    assert (await nobody(CART))["cart"] is None
    anonymous = (await nobody(ADD_MANY, {"i": {"lines": [{"skuId": sku, "quantity": 1}]}}))["cartAddLines"]
    assert errors(anonymous) == [(None, "UNAUTHENTICATED")]


async def test_a_currency_mismatch_is_refused_at_checkout(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    shop = await make_shop(gql, client)
    other_owner = await sign_up(gql)
    dollars = await create_merchant(gql, other_owner["token"], currency="USD")
    made = await upsert(gql, other_owner["token"], dollars["id"], [stock_product("lamp", 3, "40.00", "USD")])
    [shopper] = await device_shoppers(client, 1, "fx")
    await shopper.add(shop.skus["boots-0"])
    cart = (await shopper.add(made["products"][0]["skus"]["edges"][0]["node"]["id"]))["cart"]
    assert sorted(m["currencyCode"] for m in cart["subtotal"]) == ["EUR", "USD"]
    refused = (await shopper(CREATE, {"i": {"cartId": cart["id"]}}))["checkoutCreate"]
    assert errors(refused) == [(["cartId"], "CURRENCY_MISMATCH")]


async def test_a_device_cart_joins_the_account_at_log_in_once(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)
    account = await sign_up(gql)
    signed_in = Caller(client, account["token"])
    await signed_in.add(shop.skus["boots-0"], 1)
    device = Caller(client, device="phone-0001-device-0123456789")
    await device.add(shop.skus["boots-0"], 2)
    await device.add(shop.skus["scarf-0"], 1, post_id=None)
    await device.add(shop.skus["jacket-0"], 1, post_id=shop.post_id)
    # The device also placed an order before signing in: it becomes the account's.
    buyer = Caller(client, device="phone-0002-device-0123456789")
    await buyer.add(shop.skus["scarf-0"])
    [early] = (await buyer.buy())["orders"]
    body = await buyer(LOG_IN, {"i": {"email": account["email"], "password": account["password"]}})
    assert body["logIn"]["userErrors"] == []

    for _ in range(2):  # logging in twice from the device must not add the lines twice
        body = await device(LOG_IN, {"i": {"email": account["email"], "password": account["password"]}})
        assert body["logIn"]["userErrors"] == []
    merged = (await signed_in(VIEWER_ORDERS))["viewer"]["cart"]
    assert sorted(line["quantity"] for line in merged["lines"]) == [1, 1, 3]
    assert (await device.cart())["lines"] == []
    orders = (await signed_in(VIEWER_ORDERS))["viewer"]["orders"]["edges"]
    assert [o["node"]["id"] for o in orders] == [early["id"]]


async def test_attribution_by_last_click_within_the_window_and_never_to_oneself(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)
    shopper = Caller(client, (await sign_up(gql))["token"])
    await shopper(CONSENT)
    now = datetime.now(UTC)

    async def click(at: datetime, event_id: str) -> None:
        event = {
            "eventId": event_id,
            "type": "CLICK",
            "subjectId": shop.post_id,
            "occurredAt": at.isoformat(),
        }
        tracked = (await shopper(TRACK, {"i": {"events": [event]}}))["trackEvents"]
        assert tracked["userErrors"] == [] and tracked["accepted"] == 1

    await click(now - timedelta(days=3), "old-click")
    merchant = Caller(client, shop.owner["token"])
    window = await merchant(
        UPDATE_MERCHANT, {"i": {"merchantId": shop.merchant["id"], "attributionWindowDays": 2}}
    )
    assert window["updateMerchant"]["settings"]["attributionWindowDays"] == 2
    await shopper.add(shop.skus["boots-0"])  # not from the post: only a click can credit it
    [order] = (await shopper.buy())["orders"]
    assert order["lines"][0]["attributedCreator"] is None  # the click is older than the window

    await click(now - timedelta(hours=1), "new-click")
    await shopper.add(shop.skus["boots-0"])
    [order] = (await shopper.buy())["orders"]
    assert order["lines"][0]["attributedCreator"]["id"] == shop.creator_profile["id"]
    assert order["lines"][0]["attributedPost"]["id"] == shop.post_id

    # The creator buying from their own post earns nothing.
    creator = Caller(client, shop.creator["token"])
    await creator.add(shop.skus["jacket-0"], 1, post_id=shop.post_id)
    [own] = (await creator.buy())["orders"]
    assert own["lines"][0]["attributedCreator"] is None

    insights = (await creator(INSIGHTS, {"id": shop.post_id}))["node"]["insights"]
    assert (insights["clicks"], insights["orders"], insights["addToCarts"]) == (2, 1, 1)
    assert insights["revenue"] == [{"amount": "80.00", "currencyCode": "EUR"}]
    assert insights["commission"] == [{"amount": "8.00", "currencyCode": "EUR"}]
    assert (await shopper(INSIGHTS, {"id": shop.post_id}))["node"]["insights"] is None


async def test_orders_and_settings_are_their_merchants_and_buyers_only(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)
    buyer = Caller(client, (await sign_up(gql))["token"])
    await buyer.add(shop.skus["boots-0"])
    [order] = (await buyer.buy())["orders"]
    assert [o["node"]["id"] for o in (await buyer(VIEWER_ORDERS))["viewer"]["orders"]["edges"]] == [
        order["id"]
    ]

    merchant = Caller(client, shop.owner["token"])
    seen = (await merchant(MERCHANT_ORDERS, {"id": shop.merchant["id"]}))["node"]
    assert seen["settings"] == {"commissionRate": "0.10"}
    assert [e["node"]["number"] for e in seen["orders"]["edges"]] == ["#1001"]
    key = Caller(client, await create_api_key(gql, shop.owner["token"], shop.merchant["id"]))
    assert (await key(ORDER_NODE, {"id": order["id"]}))["node"]["number"] == "#1001"

    rival_owner = await sign_up(gql)
    rival = Caller(client, rival_owner["token"])
    await create_merchant(gql, rival_owner["token"])
    stranger = Caller(client, (await sign_up(gql))["token"])
    for outsider in (rival, stranger, Caller(client, device="someone-else-device-0123456789")):
        seen = (await outsider(MERCHANT_ORDERS, {"id": shop.merchant["id"]}))["node"]
        assert seen["settings"] is None and seen["orders"]["edges"] == []
        assert (await outsider(ORDER_NODE, {"id": order["id"]}))["node"] is None
        changed = await outsider(
            UPDATE_MERCHANT, {"i": {"merchantId": shop.merchant["id"], "commissionRate": "0.5"}}
        )
        # A signed-in outsider is told there is no such merchant; an anonymous device to log in.
        refused = (["merchantId"], "NOT_FOUND") if outsider.token else (None, "UNAUTHENTICATED")
        assert errors(changed["updateMerchant"]) == [refused]
    cart_id = (await buyer.cart())["id"]
    stolen = (await stranger(CREATE, {"i": {"cartId": cart_id}}))["checkoutCreate"]
    assert errors(stolen) == [(["cartId"], "NOT_FOUND")]

    bad = await merchant(
        UPDATE_MERCHANT,
        {"i": {"merchantId": shop.merchant["id"], "commissionRate": "0.9", "returnWindowDays": -1}},
    )
    assert sorted(errors(bad["updateMerchant"])) == [
        (["commissionRate"], "INVALID"),
        (["returnWindowDays"], "INVALID"),
    ]
