"""Fast inventory and price updates: per-item answers, guards, idempotency keys, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.domain.catalog import stock
from shoppable.domain.catalog.stock import InventoryChange, ItemStatus
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up, upsert

SKU_STATE = """query($h: String!) { merchant(handle: $h) { products(first: 10) { edges { node { handle availability
  skus { edges { node { sku quantityAvailable availability price { amount } compareAtPrice { amount } } } } } } } } }"""


async def setup(gql: GraphQL) -> tuple[dict, str]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="EUR", lowStockThreshold=3)
    key = await create_api_key(gql, owner["token"], merchant["id"])
    products = [
        {
            "handle": "tee",
            "title": "Tee",
            "skus": [
                {"sku": "TEE-S", "price": {"amount": "20.00", "currencyCode": "EUR"}, "quantity": 10,
                 "compareAtPrice": {"amount": "30.00", "currencyCode": "EUR"}, "options": [{"name": "Size", "value": "S"}]},
                {"sku": "TEE-M", "price": {"amount": "20.00", "currencyCode": "EUR"}, "quantity": 0,
                 "options": [{"name": "Size", "value": "M"}]},
            ],
        },
        {"handle": "mug", "title": "Mug", "skus": [{"sku": "MUG", "price": {"amount": "8.00", "currencyCode": "EUR"}}]},
        {"handle": "pre", "title": "Preorder", "skus": [
            {"sku": "BACK", "price": {"amount": "5.00", "currencyCode": "EUR"}, "quantity": 0, "inventoryPolicy": "CONTINUE"}]},
    ]  # fmt: skip
    assert (await upsert(gql, owner["token"], merchant["id"], products))["userErrors"] == []
    return merchant, key


async def skus_of(gql: GraphQL, merchant: dict, key: str) -> dict[str, dict]:
    body = await gql(SKU_STATE, {"h": merchant["handle"]}, token=key)
    return {
        s["node"]["sku"]: {**s["node"], "product": e["node"]["availability"]}
        for e in body["data"]["merchant"]["products"]["edges"]
        for s in e["node"]["skus"]["edges"]
    }


async def post(client: AsyncTestClient[Any], path: str, key: str, body: Any, idem: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}"} | ({"Idempotency-Key": idem} if idem else {})
    return await client.post(path, json=body, headers=headers)


async def test_inventory_set_adjust_and_guards(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    merchant, key = await setup(gql)
    response = await post(client, "/v1/catalog/inventory", key, {"items": [
        {"sku": "TEE-S", "delta": -8},
        {"sku": "TEE-M", "quantity": 7},
        {"sku": "NOPE", "quantity": 1},
        {"sku": "MUG", "delta": -1},
        {"sku": "BACK", "delta": -2},
    ]})  # fmt: skip
    assert response.status_code == 200, response.text
    results = {r["sku"]: r for r in response.json()["results"]}
    assert results["TEE-S"] == {
        "sku": "TEE-S",
        "status": "updated",
        "quantity": 2,
        "availability": "LOW_STOCK",
    }
    assert results["TEE-M"]["availability"] == "IN_STOCK"
    assert results["NOPE"]["status"] == "not_found"
    assert results["MUG"]["status"] == "conflict"  # untracked stock cannot be adjusted
    assert results["BACK"] == {
        "sku": "BACK",
        "status": "updated",
        "quantity": -2,
        "availability": "BACKORDER",
    }
    over = await post(client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE-S", "delta": -3}]})
    assert over.json()["results"][0]["status"] == "conflict"
    stale = await post(
        client,
        "/v1/catalog/inventory",
        key,
        {"items": [{"sku": "TEE-S", "quantity": 0, "expectedQuantity": 9}]},
    )
    assert stale.json()["results"][0]["status"] == "conflict"
    fresh = await post(
        client,
        "/v1/catalog/inventory",
        key,
        {"items": [{"sku": "TEE-S", "quantity": 0, "expectedQuantity": 2}]},
    )
    assert fresh.json()["results"][0]["availability"] == "OUT_OF_STOCK"
    state = await skus_of(gql, merchant, key)
    assert state["TEE-S"]["quantityAvailable"] == 0 and state["TEE-M"]["quantityAvailable"] == 7
    assert state["TEE-S"]["product"] == "IN_STOCK"  # TEE-M keeps the product available


async def test_bad_bodies_are_problems_and_bad_items_are_answered_in_place(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, key = await setup(gql)
    for body in [
        {"items": []},
        {"items": [{"sku": f"S{i}", "quantity": 1} for i in range(1001)]},
        ["not", "an", "object"],
    ]:
        response = await post(client, "/v1/catalog/inventory", key, body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"][0] == "items"
    items = [
        {"sku": "TEE-S"},
        {"sku": "TEE-S", "quantity": -1},
        {"sku": "TEE-M", "quantity": 4},
        {"sku": "TEE-S", "quantity": 1, "delta": 1},
        {"sku": "TEE-S", "delta": "x"},
        {"sku": "TEE-M", "delta": 1},
        {"quantity": 3},
    ]
    response = await post(client, "/v1/catalog/inventory", key, {"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "invalid", "invalid", "updated", "invalid", "invalid", "invalid", "invalid"
    ]  # fmt: skip
    assert results[1] == {
        "sku": "TEE-S", "status": "invalid", "field": ["items", "1", "quantity"], "code": "INVALID",
        "message": "Quantity must be 0..10000000.",
    }  # fmt: skip
    assert results[5]["code"] == "DUPLICATE" and results[6]["field"] == ["items", "6", "sku"]
    assert results[2]["quantity"] == 4
    malformed = await client.post(
        "/v1/catalog/inventory",
        content=b"{oops",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    prices = await post(
        client,
        "/v1/catalog/prices",
        key,
        {"items": [{"sku": "TEE-S", "price": {"amount": "1,5", "currencyCode": "EUR"}}]},
    )
    assert prices.status_code == 200
    assert prices.json()["results"][0]["field"] == ["items", "0", "price", "amount"]


async def test_setting_stock_to_what_it_is_answers_unchanged(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, key = await setup(gql)
    response = await post(client, "/v1/catalog/inventory", key, {"items": [
        {"sku": "TEE-S", "quantity": 10}, {"sku": "TEE-M", "delta": 0}, {"sku": "MUG", "delta": 0},
        {"sku": "BACK", "quantity": 0, "expectedQuantity": 0}]})  # fmt: skip
    assert [r["status"] for r in response.json()["results"]] == [
        "unchanged",
        "unchanged",
        "conflict",
        "unchanged",
    ]
    assert response.json()["results"][0] == {"sku": "TEE-S", "status": "unchanged", "quantity": 10,
                                              "availability": "IN_STOCK"}  # fmt: skip
    assert (await client.post("/v1/catalog/inventory", json={"items": []})).status_code == 401


async def test_prices_and_sale_handling(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    merchant, key = await setup(gql)
    response = await post(client, "/v1/catalog/prices", key, {"items": [
        {"sku": "TEE-S", "price": {"amount": "18.00", "currencyCode": "EUR"}},
        {"sku": "TEE-M", "price": {"amount": "15.00", "currencyCode": "EUR"}, "compareAtPrice": {"amount": "20.00", "currencyCode": "EUR"}},
        {"sku": "MUG", "price": {"amount": "8.00", "currencyCode": "USD"}},
        {"sku": "BACK", "price": {"amount": "5.00", "currencyCode": "EUR"}},
    ]})  # fmt: skip
    results = {r["sku"]: r for r in response.json()["results"]}
    assert results["TEE-S"]["compareAtPrice"] == {
        "amount": "30.00",
        "currencyCode": "EUR",
    }  # the sale goes on
    assert results["TEE-M"]["status"] == "updated"
    assert results["MUG"]["status"] == "invalid" and results["MUG"]["code"] == "INVALID"
    assert results["MUG"]["field"] == ["items", "2", "price", "currencyCode"], results["MUG"]
    assert results["BACK"]["status"] == "unchanged"
    ended = await post(
        client,
        "/v1/catalog/prices",
        key,
        {"items": [{"sku": "TEE-S", "price": {"amount": "35.00", "currencyCode": "EUR"}}]},
    )
    assert ended.json()["results"][0]["compareAtPrice"] is None  # a price above the old one ends the sale
    state = await skus_of(gql, merchant, key)
    assert state["TEE-S"]["price"] == {"amount": "35.00"} and state["TEE-S"]["compareAtPrice"] is None
    assert state["TEE-M"]["compareAtPrice"] == {"amount": "20.00"}


async def test_idempotency_key_replays_and_rejects_other_bodies(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    merchant, key = await setup(gql)
    body = {"items": [{"sku": "TEE-S", "delta": -1}]}
    first = await post(client, "/v1/catalog/inventory", key, body, idem="order-1")
    second = await post(client, "/v1/catalog/inventory", key, body, idem="order-1")
    assert first.json() == second.json() and second.headers.get("idempotent-replayed") == "true"
    assert (await skus_of(gql, merchant, key))["TEE-S"]["quantityAvailable"] == 9  # applied once
    other = await post(
        client, "/v1/catalog/inventory", key, {"items": [{"sku": "TEE-S", "delta": -2}]}, idem="order-1"
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == ["Idempotency-Key"]
    bad_key = await post(client, "/v1/catalog/inventory", key, body, idem="x" * 300)
    assert bad_key.status_code == 400


async def test_other_merchants_stock_is_out_of_reach(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    merchant_b, key_b = await setup(gql)
    intruder = await sign_up(gql)
    intruder_shop = await create_merchant(gql, intruder["token"])
    key_a = await create_api_key(gql, intruder["token"], intruder_shop["id"])
    named = await client.post(
        "/v1/catalog/inventory",
        json={"items": [{"sku": "TEE-S", "quantity": 0}]},
        params={"merchant": merchant_b["handle"]},
        headers={"Authorization": f"Bearer {key_a}"},
    )
    assert named.status_code == 404
    own = await post(client, "/v1/catalog/inventory", key_a, {"items": [{"sku": "TEE-S", "quantity": 0}]})
    assert own.json()["results"][0]["status"] == "not_found"
    assert (await skus_of(gql, merchant_b, key_b))["TEE-S"]["quantityAvailable"] == 10


async def test_concurrent_adjustments_never_oversell(gql: GraphQL, database: Database) -> None:
    merchant_view, _ = await setup(gql)

    async def adjust() -> ItemStatus:
        uow = database.unit_of_work()
        async with uow:
            merchant = await uow.identity.get_merchant_by_handle(merchant_view["handle"])
            assert merchant is not None
            results = await stock.apply_inventory(
                uow, merchant, [InventoryChange("TEE-S", delta=-1)], datetime.now(UTC)
            )
            await uow.commit()
            return results[0].status

    statuses = await asyncio.gather(*(adjust() for _ in range(20)))
    assert statuses.count(ItemStatus.UPDATED) == 10 and statuses.count(ItemStatus.CONFLICT) == 10
    uow = database.unit_of_work()
    async with uow:
        merchant = await uow.identity.get_merchant_by_handle(merchant_view["handle"])
        assert merchant is not None
        (sku,) = await uow.catalog.skus_by_codes(merchant.id, ["TEE-S"])
    assert sku.quantity == 0 and sku.availability.value == "OUT_OF_STOCK"


async def test_concurrent_replays_of_one_key_apply_once(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    merchant, key = await setup(gql)
    body = {"items": [{"sku": "TEE-S", "delta": -1}]}
    responses = await asyncio.gather(
        *(asyncio.to_thread(_sync_post, client, key, body, "same-key") for _ in range(8))
    )
    assert {r for r in responses} == {200}
    assert (await skus_of(gql, merchant, key))["TEE-S"]["quantityAvailable"] == 9


def _sync_post(client: AsyncTestClient[Any], key: str, body: Any, idem: str) -> int:
    # The test client's transport is synchronous underneath; threads give truly concurrent requests.
    request = client.build_request(
        "POST",
        "/v1/catalog/inventory",
        json=body,
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idem},
    )
    return client._transport.handle_request(request).status_code  # type: ignore[attr-defined]  # private, untyped
