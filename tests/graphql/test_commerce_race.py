"""No unit is ever sold twice: shoppers racing for the last units, and retried completions."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import text

from shoppable.storage.db import Database
from tests.commerce_world import CREATE, QUANTITY, Caller, device_shoppers, make_shop
from tests.conftest import GraphQL
from tests.factories import create_api_key


async def _race(shop: Any, shoppers: list[Caller], lines: int) -> list[dict[str, Any]]:
    sku = shop.skus["jacket-0"]

    async def fill(shopper: Caller) -> str:
        if lines == 1:
            added = await shopper.add(sku, 1)
        else:  # the same SKU on two lines (from the post and not): checked together, never twice
            await shopper.add(sku, 1)
            added = await shopper.add(sku, 1, post_id=shop.post_id)
        assert added["userErrors"] == [], added
        return str(added["cart"]["id"])

    carts = await asyncio.gather(*(fill(s) for s in shoppers))  # everyone has the jacket in their cart
    return await asyncio.gather(*(s.buy(cartId=c) for s, c in zip(shoppers, carts, strict=True)))


async def _sold(database: Database) -> tuple[int, int]:
    async with database.engine.connect() as conn:
        units = (await conn.execute(text("SELECT coalesce(sum(quantity), 0) FROM order_lines"))).scalar_one()
        left = (await conn.execute(text("SELECT quantity FROM skus WHERE sku = 'jacket-0'"))).scalar_one()
    return int(units), int(left)


async def test_two_hundred_shoppers_race_for_five_units(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    shop = await make_shop(gql, client, jacket_stock=5)
    results = await _race(shop, await device_shoppers(client, 200, "race"), lines=1)
    winners = [r for r in results if r["orders"]]
    losers = [r for r in results if not r["orders"]]
    assert len(winners) == 5
    assert {e["code"] for r in losers for e in r["userErrors"]} == {"INSUFFICIENT_STOCK"}
    assert await _sold(database) == (5, 0)
    merchant = Caller(client, shop.owner["token"])
    sku = (await merchant(QUANTITY, {"id": shop.skus["jacket-0"]}))["node"]
    assert (sku["quantityAvailable"], sku["availability"]) == (0, "OUT_OF_STOCK")


async def test_two_lines_of_one_sku_are_checked_together(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    shop = await make_shop(gql, client, jacket_stock=5)
    results = await _race(shop, await device_shoppers(client, 40, "pair"), lines=2)
    assert len([r for r in results if r["orders"]]) == 2  # 2 units each: the fifth unit stays
    assert await _sold(database) == (4, 1)


async def test_one_key_places_one_order_however_often_it_is_sent(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    shop = await make_shop(gql, client)
    [shopper] = await device_shoppers(client, 1, "retry")
    cart = (await shopper.add(shop.skus["boots-0"], 2))["cart"]
    first = await shopper.buy(key="same-key", cartId=cart["id"])
    again = await shopper.buy(key="same-key", cartId=cart["id"])
    assert first["userErrors"] == [] and again == first
    concurrent = await asyncio.gather(*(shopper.buy(key="same-key", cartId=cart["id"]) for _ in range(20)))
    assert all(r == first for r in concurrent)

    # A second purchase with twenty concurrent first tries: one order, one payment.
    cart = (await shopper.add(shop.skus["scarf-0"], 1))["cart"]
    burst = await asyncio.gather(*(shopper.buy(key="burst", cartId=cart["id"]) for _ in range(20)))
    assert len({tuple(o["id"] for o in r["orders"]) for r in burst}) == 1
    assert all(r["userErrors"] == [] for r in burst)
    async with database.engine.connect() as conn:
        orders = (await conn.execute(text("SELECT count(*) FROM orders"))).scalar_one()
        payments = (await conn.execute(text("SELECT count(*) FROM payments"))).scalar_one()
    assert (orders, payments) == (2, 2)

    # The same key for another purchase (a new checkout) is a conflict, not a second order.
    other = (await shopper.add(shop.skus["boots-0"], 1))["cart"]
    checkout = (await shopper(CREATE, {"i": {"cartId": other["id"]}}))["checkoutCreate"]["checkout"]
    reused = await shopper.buy(key="same-key", checkoutId=checkout["id"])
    assert reused["orders"] == []
    assert [(e["field"], e["code"]) for e in reused["userErrors"]] == [(["idempotencyKey"], "CONFLICT")]


async def test_checkouts_racing_stock_updates_never_fail_or_oversell(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database
) -> None:
    """Carts of two SKUs and merchant stock updates naming them in the other order, all at once."""
    shop = await make_shop(gql, client, jacket_stock=20)
    key = await create_api_key(gql, shop.owner["token"], shop.merchant["id"])
    shoppers = await device_shoppers(client, 20, "mixed")
    carts = []
    for shopper in shoppers:
        await shopper.add(shop.skus["jacket-0"], 1)
        carts.append((await shopper.add(shop.skus["boots-0"], 1))["cart"]["id"])

    async def restock(n: int) -> int:
        items = [{"sku": "boots-0", "delta": 1}, {"sku": "jacket-0", "delta": 0}]
        response = await client.post(
            "/v1/catalog/inventory", json={"items": items}, headers={"Authorization": f"Bearer {key}"}
        )
        return response.status_code

    results = await asyncio.gather(
        *(s.buy(cartId=c) for s, c in zip(shoppers, carts, strict=True)), *(restock(n) for n in range(10))
    )
    assert all(code == 200 for code in results[20:])
    placed = len([r for r in results[:20] if r["orders"]])
    refused = {e["code"] for r in results[:20] if not r["orders"] for e in r["userErrors"]}
    assert refused <= {"INSUFFICIENT_STOCK"}
    assert 10 <= placed <= 20  # the boots' 10 units, plus the restocks that landed in time
    async with database.engine.connect() as conn:
        left = dict(
            (
                await conn.execute(
                    text("SELECT sku, quantity FROM skus WHERE sku IN ('jacket-0', 'boots-0')")
                )
            ).all()
        )
    assert left == {"jacket-0": 20 - placed, "boots-0": 20 - placed}
