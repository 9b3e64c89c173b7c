"""A small shop for commerce tests: a merchant, products with counted stock, a creator's tagged post
and a shopper, all made through the public API; plus the GraphQL calls a shopping client makes."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from tests.factories import (
    become_creator,
    create_merchant,
    create_post,
    product_input,
    publish_post,
    sign_up,
    upload_media,
    upsert,
)

_keys = itertools.count(1)
ERRORS = "userErrors { field code message }"
CART_FIELDS = """
id subtotal { amount currencyCode }
lines { id quantity price { amount currencyCode } sku { id sku } attributedPost { id } }
warnings { lineId code message }
"""
ORDER_FIELDS = """
id number status financialStatus fulfillmentStatus createdAt
total { amount currencyCode } refunded { amount currencyCode }
merchant { id handle }
lines { id quantity fulfilledQuantity refundedQuantity price { amount currencyCode }
        sku { id sku } attributedCreator { id handle } attributedPost { id } }
"""
ADD = (
    f"mutation($i: CartAddLinesInput!) {{ cartAddLines(input: $i) {{ cart {{ {CART_FIELDS} }} {ERRORS} }} }}"
)
UPDATE = f"mutation($i: CartUpdateLinesInput!) {{ cartUpdateLines(input: $i) {{ cart {{ {CART_FIELDS} }} {ERRORS} }} }}"
REMOVE = f"mutation($i: CartRemoveLinesInput!) {{ cartRemoveLines(input: $i) {{ cart {{ {CART_FIELDS} }} {ERRORS} }} }}"
CART = f"query {{ cart {{ {CART_FIELDS} }} }}"
CREATE = f"""mutation($i: CheckoutCreateInput!) {{
  checkoutCreate(input: $i) {{ checkout {{ id expiresAt totals {{ amount currencyCode }} lines {{ id quantity }} }} {ERRORS} }}
}}"""
COMPLETE = f"""mutation($i: CheckoutCompleteInput!) {{
  checkoutComplete(input: $i) {{ orders {{ {ORDER_FIELDS} }} {ERRORS} }}
}}"""
FULFILL = f"mutation($i: OrderFulfillInput!) {{ orderFulfill(input: $i) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }} }}"
CANCEL = (
    f"mutation($i: OrderCancelInput!) {{ orderCancel(input: $i) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }} }}"
)
REFUND = (
    f"mutation($i: OrderRefundInput!) {{ orderRefund(input: $i) {{ order {{ {ORDER_FIELDS} }} {ERRORS} }} }}"
)
UPDATE_MERCHANT = f"""mutation($i: UpdateMerchantInput!) {{
  updateMerchant(input: $i) {{ settings {{ currency lowStockThreshold commissionRate returnWindowDays attributionWindowDays }} {ERRORS} }}
}}"""
EARNINGS = """query($id: ID!) { node(id: $id) { ... on Creator { earnings {
  pending { amount currencyCode } locked { amount currencyCode } paid { amount currencyCode } reversed { amount currencyCode }
  commissions(first: 50) { edges { node { id amount { amount currencyCode } rate status order { id } post { id } } } }
} } } }"""
QUANTITY = "query($id: ID!) { node(id: $id) { ... on Sku { quantityAvailable availability } } }"


@dataclass
class Shop:
    merchant: dict[str, Any]
    owner: dict[str, Any]
    skus: dict[str, str]  # sku code -> id
    products: dict[str, str]  # handle -> id
    creator: dict[str, Any]
    creator_profile: dict[str, Any]
    post_id: str  # published, tags "jacket" and "boots"


class Caller:
    """Calls /graphql as a user (token) or an anonymous device, or both."""

    def __init__(
        self, client: AsyncTestClient[Any], token: str | None = None, device: str | None = None
    ) -> None:
        self.client, self.token, self.device = client, token, device

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.device:
            headers["X-Device-Id"] = self.device
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def add(self, sku_id: str, quantity: int = 1, post_id: str | None = None) -> dict[str, Any]:
        line: dict[str, Any] = {"skuId": sku_id, "quantity": quantity}
        if post_id:
            line["postId"] = post_id
        return (await self(ADD, {"i": {"lines": [line]}}))["cartAddLines"]

    async def cart(self) -> dict[str, Any]:
        return (await self(CART))["cart"]

    async def buy(self, token: str = "tok_visa", key: str | None = None, **target: Any) -> dict[str, Any]:
        if not target:
            target = {"cartId": (await self.cart())["id"]}
        variables = {
            "i": {"idempotencyKey": key or f"key-{next(_keys)}", "payment": {"token": token}, **target}
        }
        return (await self(COMPLETE, variables))["checkoutComplete"]


def stock_product(handle: str, quantity: int, price: str = "25.00", currency: str = "EUR") -> dict[str, Any]:
    product = product_input(handle, skus=1, currency=currency)
    product["skus"][0]["quantity"] = quantity
    product["skus"][0]["price"] = {"amount": price, "currencyCode": currency}
    return product


async def make_shop(gql: Any, client: AsyncTestClient[Any], *, jacket_stock: int = 5) -> Shop:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="EUR")
    payload = await upsert(
        gql,
        owner["token"],
        merchant["id"],
        [
            stock_product("jacket", jacket_stock, "120.00"),
            stock_product("boots", 10, "80.00"),
            stock_product("scarf", 10, "20.00"),
        ],
    )
    assert payload["userErrors"] == [], payload
    skus = {e["node"]["sku"]: e["node"]["id"] for p in payload["products"] for e in p["skus"]["edges"]}
    products = {p["handle"]: p["id"] for p in payload["products"]}
    creator = await sign_up(gql)
    profile = await become_creator(gql, creator["token"])
    media = await upload_media(gql, client, creator["token"])
    created = await create_post(
        gql,
        creator["token"],
        caption="Weekend look",
        mediaIds=[media["id"]],
        productTags=[
            {"productId": products["jacket"], "mediaIndex": 0, "x": 0.3, "y": 0.3},
            {"productId": products["boots"], "mediaIndex": 0, "x": 0.6, "y": 0.8},
        ],
    )
    assert created["userErrors"] == [], created
    await publish_post(gql, creator["token"], created["post"]["id"])
    return Shop(merchant, owner, skus, products, creator, profile, created["post"]["id"])


async def device_shoppers(client: AsyncTestClient[Any], count: int, prefix: str) -> list[Caller]:
    return [Caller(client, device=f"{prefix}-{i:04d}-device-0123456789") for i in range(count)]


TRACK = """mutation($i: TrackEventsInput!) { trackEvents(input: $i) { accepted userErrors { field code message } } }"""
CONSENT = """mutation { updateConsent(input: {analytics: true, personalization: true}) { consent { analytics } } }"""
