"""Cached search totals and facets are never stale: every kind of catalog write made through one server
process shows in the very next search on another (a second app on the same database, with its own
cache), and what it shows equals a count made with no cache at all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from shoppable.api.app import create_app
from shoppable.settings import Settings
from tests.api.test_catalog_imports import post_import, wait_for
from tests.commerce_world import CREATE, UPDATE_MERCHANT, Caller, make_shop, stock_product
from tests.conftest import GraphQL
from tests.factories import create_api_key, upsert

COUNTS = """
query($filter: ProductFilter) {
  products(first: 1, filter: $filter) { totalCount facets { name values { value label count } } }
}"""
TOTAL = "query($filter: ProductFilter) { products(first: 1, filter: $filter) { totalCount } }"
VIEWS: list[dict[str, Any]] = [
    {},
    {"availableOnly": True},
    {"brands": ["Acme"]},  # a facet with its own filter is counted on its own
    {"priceMin": {"amount": "50.00", "currencyCode": "EUR"}},
]


@pytest.fixture
async def other(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """A second server process: its own app, engine and search cache, on the same database."""
    async with AsyncTestClient(app=create_app(settings), base_url="http://testserver.local") as client:
        yield client


def item(handle: str, quantity: int, price: str, brand: str, category: str) -> dict[str, Any]:
    return stock_product(handle, quantity, price) | {"brand": brand, "category": category}


async def test_every_write_shows_in_the_next_search_of_any_process(
    gql: GraphQL, client: AsyncTestClient[Any], other: AsyncTestClient[Any]
) -> None:
    shop = await make_shop(gql, client)  # jacket (5 units, 120.00), boots (80.00), scarf (20.00)
    owner = shop.owner["token"]
    key = await create_api_key(gql, owner, shop.merchant["id"])
    headers = {"Authorization": f"Bearer {key}"}
    reader = Caller(other)  # an anonymous shopper on the other process
    cache = other.app.state.services.search_counts

    async def counts() -> list[Any]:
        found = []
        for view in VIEWS:
            products = (await reader(COUNTS, {"filter": view}))["products"]
            facets = {
                f["name"]: {v["value"]: (v["label"], v["count"]) for v in f["values"]}
                for f in products["facets"]
            }
            total = (await reader(TOTAL, {"filter": view}))["products"]["totalCount"]
            assert total == products["totalCount"]
            found.append((products["totalCount"], facets))
        return found

    async def after(change: str, before: list[Any]) -> list[Any]:
        """The other process's answer right after `change`: it moved, and equals an uncached count."""
        assert len(cache) > 0  # the views were cached before the change
        seen = await counts()
        cache.clear()
        assert seen == await counts(), change  # nothing served from before the change
        assert seen != before, change
        return seen

    state = await counts()
    assert state[0][0] == 3

    payload = await upsert(gql, owner, shop.merchant["id"], [item("scarf", 10, "20.00", "Polar", "Neckwear")])
    assert payload["userErrors"] == [], payload
    state = await after("upsertProducts: brand and category", state)
    assert state[0][1]["brand"]["polar"][1] == 1 and state[0][1]["category"]["neckwear"][1] == 1

    response = await client.post(
        "/v1/catalog/inventory", json={"items": [{"sku": "scarf-0", "quantity": 0}]}, headers=headers
    )
    assert response.status_code == 200, response.text
    state = await after("inventory: sold out", state)
    assert state[1][0] == 2  # availableOnly

    response = await client.post(
        "/v1/catalog/prices",
        json={"items": [{"sku": "boots-0", "price": {"amount": "30.00", "currencyCode": "EUR"}}]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    state = await after("prices", state)
    assert state[3][0] == 1  # priceMin 50: the jacket alone

    feed = [item("parka", 4, "300.00", "Polar", "Jackets"), item("hat", 4, "15.00", "Acme", "Hats")]
    done = await wait_for(
        client,
        key,
        (await post_import(client, key, "".join(json.dumps(p) + "\n" for p in feed).encode()))["id"],
    )
    assert done["status"] == "succeeded", done
    state = await after("import", state)
    assert state[0][0] == 5

    everything = [stock_product("jacket", 5, "120.00"), stock_product("boots", 10, "30.00"),
                  item("scarf", 0, "20.00", "Polar", "Neckwear"), item("parka", 4, "300.00", "Polar", "Jackets")]  # fmt: skip
    body = "".join(json.dumps(p) + "\n" for p in everything).encode()
    done = await wait_for(client, key, (await post_import(client, key, body, mode="full"))["id"])
    assert done["status"] == "succeeded" and done["counts"]["archived"] == 1, done
    state = await after("full import archives the hat", state)
    assert state[0][0] == 4 and "hats" not in state[0][1]["category"]

    payload = await upsert(
        gql, owner, shop.merchant["id"], [stock_product("boots", 10, "30.00") | {"status": "DRAFT"}]
    )
    assert payload["userErrors"] == [], payload
    state = await after("status: draft", state)
    assert state[0][0] == 3

    shopper = Caller(client, device="fresh-counts-device-0123456789")
    await shopper.add(shop.skus["jacket-0"], 5)
    created = (await shopper(CREATE, {"i": {"cartId": (await shopper.cart())["id"]}}))["checkoutCreate"]
    assert created["userErrors"] == [], created
    state = await after("a checkout holds every unit of the jacket", state)
    assert state[1][0] == 1  # availableOnly: the parka alone

    renamed = await gql(
        UPDATE_MERCHANT, {"i": {"merchantId": shop.merchant["id"], "name": "Renamed Shop"}}, token=owner
    )
    assert renamed["data"]["updateMerchant"]["userErrors"] == [], renamed
    state = await after("merchant renamed", state)
    assert [label for label, _ in state[0][1]["merchant"].values()] == ["Renamed Shop"]
