"""Fast stock updates at their limits: huge numbers, runaway adjustments, NUL bytes, oversized bodies."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.api.catalog import MAX_JSON_BYTES
from shoppable.domain.catalog.limits import BACKORDER_STOCK_MIN, STOCK_MAX
from tests.api.test_catalog_import_limits import post_unannounced
from tests.api.test_stock_updates import post, setup, skus_of
from tests.conftest import GraphQL

HUGE = 100000000000000000000  # beyond 64 bits


async def test_integers_beyond_the_stock_range_are_problems(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, key = await setup(gql)
    cases = [
        {"sku": "TEE-S", "quantity": HUGE},
        {"sku": "TEE-S", "delta": HUGE},
        {"sku": "TEE-S", "delta": -HUGE},
        {"sku": "TEE-S", "quantity": 1, "expectedQuantity": HUGE},
        {"sku": "TEE-S", "delta": 1, "expectedQuantity": 2**31},
        {"sku": "TEE-S", "quantity": STOCK_MAX + 1},
    ]
    for item in cases:
        response = await post(client, "/v1/catalog/inventory", key, {"items": [item]})
        assert response.status_code == 200, (item, response.text)
        assert response.json()["results"][0]["status"] == "invalid", response.text


async def test_stock_stays_within_its_range_however_often_it_is_adjusted(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    merchant, key = await setup(gql)
    for _ in range(3):  # on int4, unbounded +10,000,000 steps overflow after 215 calls
        response = await post(
            client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE-S", "delta": STOCK_MAX}]}
        )
        assert response.status_code == 200, response.text
        result = response.json()["results"][0]
        assert result["status"] == "conflict" and str(STOCK_MAX) in result["message"], result
    top = await post(
        client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE-S", "quantity": STOCK_MAX}]}
    )
    assert top.json()["results"][0]["quantity"] == STOCK_MAX
    one_more = await post(client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE-S", "delta": 1}]})
    assert one_more.json()["results"][0]["status"] == "conflict"
    # Backorder stock goes below zero, down to a floor.
    deep = await post(client, "/v1/catalog/inventory", key, {"items": [{"sku": "BACK", "delta": -STOCK_MAX}]})
    assert deep.json()["results"][0]["status"] == "conflict", deep.json()
    floor = await post(
        client, "/v1/catalog/inventory", key, {"items": [{"sku": "BACK", "delta": BACKORDER_STOCK_MIN}]}
    )
    assert floor.json()["results"][0] == {
        "sku": "BACK",
        "status": "updated",
        "quantity": BACKORDER_STOCK_MIN,
        "availability": "BACKORDER",
    }
    below = await post(client, "/v1/catalog/inventory", key, {"items": [{"sku": "BACK", "delta": -1}]})
    assert below.json()["results"][0]["status"] == "conflict"
    state = await skus_of(gql, merchant, key)
    assert state["TEE-S"]["quantityAvailable"] == STOCK_MAX
    assert state["BACK"]["quantityAvailable"] == BACKORDER_STOCK_MIN


async def test_nul_bytes_in_codes_and_merchant_handles_are_client_errors(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, key = await setup(gql)
    response = await post(
        client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE\u0000S", "quantity": 1}]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["field"] == ["items", "0", "sku"]
    long_code = await post(
        client, "/v1/catalog/inventory", key, {"items": [{"sku": "S" * 101, "quantity": 1}]}
    )
    assert long_code.json()["results"][0]["status"] == "invalid", long_code.text
    headers = {"Authorization": f"Bearer {key}"}
    for path in ("/v1/catalog/inventory", "/v1/catalog/prices"):
        named = await client.post(
            path,
            json={"items": [{"sku": "TEE-S", "quantity": 1}]},
            params={"merchant": "a\u0000b"},
            headers=headers,
        )
        assert named.status_code in {404, 422}, (path, named.text)
    imported = await client.post(
        "/v1/catalog/imports", content=b"{}\n", params={"merchant": "x\u0000" * 40}, headers=headers
    )
    assert imported.status_code == 404, imported.text


async def test_an_oversized_json_body_without_content_length_is_413(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, key = await setup(gql)
    body = b'{"items": [' + b" " * (12 * 1024 * 1024) + b"]}"
    assert len(body) > MAX_JSON_BYTES
    response = await post_unannounced(
        client,
        "/v1/catalog/inventory",
        body,
        {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
