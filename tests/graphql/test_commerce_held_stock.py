"""Units held by open checkouts stay out of the stored availability whatever path sets the stock:
the feed and listings read it, and must not offer what a checkout is about to take."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.commerce_world import CREATE, QUANTITY, Caller, make_shop, stock_product
from tests.conftest import GraphQL
from tests.factories import create_api_key, upsert

PRODUCT = "query($id: ID!) { node(id: $id) { ... on Product { availability } } }"


async def test_stock_set_by_rest_or_upsert_counts_the_units_checkouts_hold(
    gql: GraphQL, client: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client, jacket_stock=3)  # low stock below 5 units
    key = await create_api_key(gql, shop.owner["token"], shop.merchant["id"])
    owner = Caller(client, token=shop.owner["token"])
    shopper = Caller(client, device="held-stock-device-0123456789")
    await shopper.add(shop.skus["jacket-0"], 3)
    created = (await shopper(CREATE, {"i": {"cartId": (await shopper.cart())["id"]}}))["checkoutCreate"]
    assert created["userErrors"] == [], created

    async def product() -> str:
        return str((await owner(PRODUCT, {"id": shop.products["jacket"]}))["node"]["availability"])

    assert await product() == "OUT_OF_STOCK"  # all three units are held

    async def set_stock(quantity: int) -> dict[str, Any]:
        response = await client.post(
            "/v1/catalog/inventory",
            json={"items": [{"sku": "jacket-0", "quantity": quantity}]},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["results"][0])

    # 4 on hand, 3 held: one for sale
    assert (await set_stock(4))["availability"] == "LOW_STOCK"
    # 3 on hand, all held: none for sale (on-hand figure alone would say LOW_STOCK)
    assert (await set_stock(3))["availability"] == "OUT_OF_STOCK"
    assert await product() == "OUT_OF_STOCK"
    sku = (await owner(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]
    assert sku == {"quantityAvailable": 0, "availability": "OUT_OF_STOCK"}

    for quantity, expected in ((9, "IN_STOCK"), (3, "OUT_OF_STOCK")):  # the same through GraphQL upserts
        payload = await upsert(
            gql, shop.owner["token"], shop.merchant["id"], [stock_product("jacket", quantity, "120.00")]
        )
        assert payload["userErrors"] == [], payload
        assert await product() == expected, quantity
