"""A world for authorization tests: two shops, their people and API keys, a creator, a buyer with an
order, a stranger and an admin, each owning something the others must not read or change. Built
through the public API (GraphQL and /v1), so what the tests probe is what clients can reach."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.domain.identity.service import create_admin
from shoppable.graphql.core.ids import decode_id, encode_id
from shoppable.storage.db import Database
from tests.commerce_world import EARNINGS, Caller, Shop, make_shop
from tests.factories import create_api_key, create_merchant, create_upload, make_image, send_upload, sign_up

ERRORS = "userErrors { field code message }"
ADMIN_EMAIL = "authz-admin@example.com"
PASSWORD = "correct horse battery"
PRIVATE_NODE_TYPES = {
    *("Order", "Cart", "Checkout", "WebhookEndpoint", "WebhookDelivery", "ApiKey", "CatalogImport"),
    *("Session", "Experiment", "User", "Media", "PostReport", "Commission"),
}


@dataclass
class World:
    shop: Shop
    key_a: str  # an API key of the shop
    api_key_id: str  # a second key of the shop, for revokeApiKey
    other_owner: dict[str, Any]  # runs another shop
    other_merchant: dict[str, Any]
    key_b: str  # an API key of the other shop
    stranger: dict[str, Any]  # an ordinary signed-in user
    buyer: dict[str, Any]
    admin: str  # token
    order_id: str
    order_line_id: str
    cart_id: str  # the buyer's cart, with one line
    cart_line_id: str
    checkout_id: str  # the creator's checkout (reserves a unit)
    endpoint_id: str
    delivery_id: str
    import_id: int  # REST id of a catalog import of the shop
    session_id: str  # the buyer's current session
    experiment_key: str
    upload_id: str  # the creator's upload, not yet completed
    export_url: str  # the buyer's data export download link (path and query)
    ids: dict[str, str] = field(default_factory=dict)  # private node ids by type

    def callers(self) -> dict[str, str | None]:
        """Everyone who must be refused someone else's data, by name (None: anonymous)."""
        return {
            "anonymous": None,
            "stranger": self.stranger["token"],
            "other shop's member": self.other_owner["token"],
            "other shop's key": self.key_b,
        }


async def make_world(gql: Any, client: AsyncTestClient[Any], database: Database) -> World:
    shop = await make_shop(gql, client)
    owner = shop.owner["token"]
    key_a = await create_api_key(gql, owner, shop.merchant["id"])
    created_key = await gql(
        'mutation($m: ID!) { createApiKey(input: {merchantId: $m, name: "spare"}) { apiKey { id } } }',
        {"m": shop.merchant["id"]},
        token=owner,
    )
    api_key_id = created_key["data"]["createApiKey"]["apiKey"]["id"]
    other_owner = await sign_up(gql)
    other_merchant = await create_merchant(gql, other_owner["token"])
    key_b = await create_api_key(gql, other_owner["token"], other_merchant["id"])
    stranger = await sign_up(gql)
    buyer = await sign_up(gql)

    paying = Caller(client, token=buyer["token"])
    await paying.add(shop.skus["boots-0"], 2, shop.post_id)
    bought = await paying.buy()
    assert bought["userErrors"] == [], bought
    order = bought["orders"][0]
    cart = (await paying.add(shop.skus["scarf-0"], 1))["cart"]

    reserving = Caller(client, token=shop.creator["token"])
    await reserving.add(shop.skus["jacket-0"], 1)
    creator_cart = await reserving.cart()
    checkout = await reserving(
        "mutation($i: CheckoutCreateInput!) { checkoutCreate(input: $i) { checkout { id } " + ERRORS + " } }",
        {"i": {"cartId": creator_cart["id"]}},
    )
    assert checkout["checkoutCreate"]["userErrors"] == [], checkout

    endpoint = await gql(
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } "
        + ERRORS
        + " } }",
        {
            "i": {
                "merchantId": shop.merchant["id"],
                "url": "https://hooks.example/a",
                "events": ["ORDER_CREATED"],
            }
        },
        token=owner,
    )
    endpoint_id = endpoint["data"]["createWebhookEndpoint"]["endpoint"]["id"]
    delivery = await gql(
        "mutation($i: WebhookEndpointIdInput!) { sendTestWebhook(input: $i) { delivery { id } "
        + ERRORS
        + " } }",
        {"i": {"endpointId": endpoint_id}},
        token=owner,
    )
    delivery_id = delivery["data"]["sendTestWebhook"]["delivery"]["id"]

    imported = await client.post(
        "/v1/catalog/imports",
        params={"format": "jsonl", "mode": "delta"},
        content=b'{"handle": "imported", "title": "Imported"}\n',
        headers={"Authorization": f"Bearer {key_a}"},
    )
    assert imported.status_code == 202, imported.text
    import_id = imported.json()["id"]

    # A second session of the buyer's (another device), the target of revokeSession.
    await gql(
        "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
        {"i": {"email": buyer["email"], "password": buyer["password"]}},
    )
    sessions = await gql("{ viewer { sessions { id current } } }", token=buyer["token"])
    session_id = next(s["id"] for s in sessions["data"]["viewer"]["sessions"] if not s["current"])
    # The post names the shop as its paid partner (confirmPartnership, declinePartnership).
    disclosed = await gql(
        "mutation($i: UpdatePostInput!) { updatePost(input: $i) { post { id media { id } } "
        + ERRORS
        + " } }",
        {
            "i": {
                "postId": shop.post_id,
                "disclosure": {"kind": "PAID_PARTNERSHIP", "partnerId": shop.merchant["id"]},
            }
        },
        token=shop.creator["token"],
    )
    assert disclosed["data"]["updatePost"]["userErrors"] == [], disclosed
    media_id = disclosed["data"]["updatePost"]["post"]["media"][0]["id"]
    photo = make_image(40, 30)
    pending = await create_upload(gql, shop.creator["token"], photo)
    sent = await send_upload(client, pending, photo)
    assert sent.status_code in (201, 204), sent.text
    reported = await gql(
        "mutation($p: ID!) { reportPost(input: {postId: $p, reason: SPAM}) { report { id } "
        + ERRORS
        + " } }",
        {"p": shop.post_id},
        token=buyer["token"],
    )
    report_id = reported["data"]["reportPost"]["report"]["id"]
    earnings = await gql(EARNINGS, {"id": shop.creator_profile["id"]}, token=shop.creator["token"])
    commissions = earnings["data"]["node"]["earnings"]["commissions"]["edges"]

    async with database.unit_of_work(write=True) as uow:
        await create_admin(uow, ADMIN_EMAIL, PASSWORD)
    logged = await gql(
        "mutation($i: LogInInput!) { logIn(input: $i) { token } }",
        {"i": {"email": ADMIN_EMAIL, "password": PASSWORD}},
    )
    admin = logged["data"]["logIn"]["token"]
    experiment = await gql(
        "mutation($i: CreateExperimentInput!) { createExperiment(input: $i) { experiment { id key } "
        + ERRORS
        + " } }",
        {
            "i": {
                "key": "authz-exp",
                "variants": [
                    {"key": "control", "weight": 1, "config": {}},
                    {"key": "treatment", "weight": 1, "config": {}},
                ],
            }
        },
        token=admin,
    )
    assert experiment["data"]["createExperiment"]["userErrors"] == [], experiment

    exported = await gql(
        "mutation { requestDataExport { export { id url } " + ERRORS + " } }", token=buyer["token"]
    )
    world = World(
        shop=shop,
        key_a=key_a,
        api_key_id=api_key_id,
        other_owner=other_owner,
        other_merchant=other_merchant,
        key_b=key_b,
        stranger=stranger,
        buyer=buyer,
        admin=admin,
        order_id=order["id"],
        order_line_id=order["lines"][0]["id"],
        cart_id=cart["id"],
        cart_line_id=cart["lines"][0]["id"],
        checkout_id=checkout["checkoutCreate"]["checkout"]["id"],
        endpoint_id=endpoint_id,
        delivery_id=delivery_id,
        import_id=int(import_id),
        session_id=session_id,
        experiment_key="authz-exp",
        upload_id=pending["id"],
        export_url=str(exported["data"]["requestDataExport"]["export"]["url"] or ""),
    )
    world.ids = {
        "Order": world.order_id,
        "Cart": world.cart_id,
        "Checkout": world.checkout_id,
        "WebhookEndpoint": endpoint_id,
        "WebhookDelivery": delivery_id,
        "ApiKey": api_key_id,
        "CatalogImport": encode_id("CatalogImport", world.import_id),
        "Session": session_id,
        "Experiment": experiment["data"]["createExperiment"]["experiment"]["id"],
        "User": buyer["id"],
        "Media": media_id,
        "PostReport": report_id,
    }
    world.ids["Commission"] = commissions[0]["node"]["id"]
    assert set(world.ids) == PRIVATE_NODE_TYPES
    assert exported["data"]["requestDataExport"]["userErrors"] == [], exported
    assert decode_id(world.order_id, "Order") is not None
    json.dumps(world.ids)  # plain data only
    return world
