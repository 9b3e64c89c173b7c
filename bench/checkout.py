"""Checkout under a race: N shoppers for the last M units of one SKU, through the real HTTP app.

For each scenario a fresh database (a SQLite file, or a new schema in the given PostgreSQL database)
gets one merchant with one SKU of M units (policy DENY: never oversold), a creator with two published
posts tagging it, and N shoppers: every other one signed in (a token of its own account), the rest
anonymous devices (`X-Device-Id` of their own). The real app runs under uvicorn in its own process.
Every shopper first puts the units in their cart with `cartAddLines` (stock is checked, not held),
then all of them call `checkoutComplete` with their `cartId` at once (test gateway, `tok_visa`).

Scenarios: `one-line` (1 unit from one post) and `two-lines` (1 unit of the same SKU from each of
the two posts: two cart lines of one SKU, which must not pass the stock check twice).

Printed: orders placed, units sold, oversold units (units sold beyond M, and any negative quantity
left in the database; both must be 0), how the others were refused, completions per second (answers
to `checkoutComplete`, successful or not, over the race's wall time) and p50/p99 latency of a
`checkoutComplete` call, and the command line.

    python bench/checkout.py [--database-url postgresql+asyncpg://...] [--shoppers 200] [--units 5]
                             [--scenario one-line|two-lines|both]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select, text
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_SECRET, command_line, percentile, scratch_database, server
from shoppable.domain.identity.credentials import issue_token
from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from shoppable.storage.sql import table_of
from shoppable.storage.tables import (
    CreatorRow,
    MediaRow,
    MerchantRow,
    OrderLineRow,
    OrderRow,
    PostMediaRow,
    PostRow,
    ProductRow,
    ProductTagRow,
    SkuRow,
    StockHoldRow,
    UserRow,
)

ADD = """mutation($i: CartAddLinesInput!) { cartAddLines(input: $i) {
  cart { id lines { id quantity } } userErrors { field code message } } }"""
COMPLETE = """mutation($i: CheckoutCompleteInput!) { checkoutComplete(input: $i) {
  orders { id number lines { quantity } } userErrors { field code message } } }"""

MERCHANT_ID, PRODUCT_ID, SKU_ID, CREATOR_USER, CREATOR_ID = 1, 1, 1, 1, 1
POSTS = (1, 2)
FIRST_SHOPPER = 10


@dataclass(frozen=True)
class Shopper:
    number: int
    headers: dict[str, str]


@dataclass
class Outcome:
    orders: int = 0
    units: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    add_failures: int = 0


def _row(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """A row with the model's own defaults filled in, as Core inserts need it."""
    return model(**values).model_dump()


async def seed(url: str, shoppers: int, units: int) -> list[Shopper]:
    now = datetime.now(UTC)
    database = Database(url)
    people = [
        _row(
            UserRow, id=CREATOR_USER, email="creator@bench.example", password_hash="x", display_name="Creator"
        ),
        *(
            _row(
                UserRow,
                id=FIRST_SHOPPER + n,
                email=f"s{n}@bench.example",
                password_hash="x",
                display_name=f"S{n}",
            )
            for n in range(shoppers)
            if n % 2 == 0
        ),
    ]
    tables: list[tuple[type[SQLModel], list[dict[str, Any]]]] = [
        (UserRow, people),
        (MerchantRow, [_row(MerchantRow, id=MERCHANT_ID, handle="race", name="Race", currency="EUR")]),
        (
            ProductRow,
            [
                _row(ProductRow, id=PRODUCT_ID, merchant_id=MERCHANT_ID, handle="last-jacket", title="Jacket",
                     status="ACTIVE", availability="LOW_STOCK")
            ],
        ),
        (
            SkuRow,
            [
                _row(SkuRow, id=SKU_ID, product_id=PRODUCT_ID, merchant_id=MERCHANT_ID, sku="JACKET",
                     price_minor=12000, currency="EUR", quantity=units, inventory_policy="DENY",
                     availability="LOW_STOCK")
            ],
        ),
        (CreatorRow, [_row(CreatorRow, id=CREATOR_ID, user_id=CREATOR_USER, handle="racer", display_name="Racer")]),
        (
            MediaRow,
            [
                _row(MediaRow, id=post, owner_id=CREATOR_USER, kind="IMAGE", key=f"media/{post}.jpg",
                     content_type="image/jpeg", byte_size=1000, width=1080, height=1350)
                for post in POSTS
            ],
        ),
        (
            PostRow,
            [
                _row(PostRow, id=post, creator_id=CREATOR_ID, caption=f"Look {post}", status="PUBLISHED",
                     published_at=now - timedelta(hours=1), listed_at=now - timedelta(hours=1))
                for post in POSTS
            ],
        ),
        (PostMediaRow, [_row(PostMediaRow, post_id=post, media_id=post, position=0) for post in POSTS]),
        (
            ProductTagRow,
            [
                _row(ProductTagRow, post_id=post, position=0, product_id=PRODUCT_ID, media_index=0, x=0.5, y=0.5)
                for post in POSTS
            ],
        ),
    ]  # fmt: skip
    async with database.engine.begin() as conn:
        for model, rows in tables:
            await conn.execute(
                insert(table_of(model)), [{k: v for k, v in r.items() if v is not None} for r in rows]
            )
        if database.dialect == "postgresql":
            for name in ("users", "merchants", "products", "skus", "creators", "media", "posts"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                    )
                )
    await database.dispose()
    found = []
    for n in range(shoppers):
        if n % 2 == 0:
            token = issue_token(BENCH_SECRET, FIRST_SHOPPER + n, 0, 3600)
            found.append(Shopper(n, {"Authorization": f"Bearer {token}"}))
        else:
            found.append(Shopper(n, {"X-Device-Id": f"bench-device-{n:05d}"}))
    return found


async def graphql(client: httpx.AsyncClient, shopper: Shopper, query: str, variables: dict[str, Any]) -> Any:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=shopper.headers
    )
    response.raise_for_status()
    body = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body["data"]


async def race(base: str, shoppers: list[Shopper], scenario: str) -> Outcome:
    sku = encode_id("Sku", SKU_ID)
    if scenario == "two-lines":
        lines = [{"skuId": sku, "quantity": 1, "postId": encode_id("Post", post)} for post in POSTS]
    else:
        lines = [{"skuId": sku, "quantity": 1, "postId": encode_id("Post", POSTS[0])}]
    limits = httpx.Limits(max_connections=len(shoppers), max_keepalive_connections=len(shoppers))
    outcome = Outcome()
    carts: dict[int, str] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def add(shopper: Shopper) -> None:
            payload = (await graphql(client, shopper, ADD, {"i": {"lines": lines}}))["cartAddLines"]
            if payload["userErrors"]:
                outcome.add_failures += 1
                return
            assert len(payload["cart"]["lines"]) == len(lines), payload
            carts[shopper.number] = payload["cart"]["id"]

        await asyncio.gather(*(add(s) for s in shoppers))

    # A new client for the race: connections left idle since adding would be closed by the server.
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        start = asyncio.Event()

        async def complete(shopper: Shopper) -> None:
            if shopper.number not in carts:
                return
            await start.wait()
            variables = {
                "i": {
                    "cartId": carts[shopper.number],
                    "idempotencyKey": f"race-{shopper.number}",
                    "payment": {"token": "tok_visa"},
                }
            }
            began = time.perf_counter()
            try:
                payload = (await graphql(client, shopper, COMPLETE, variables))["checkoutComplete"]
            except (httpx.HTTPError, RuntimeError) as exc:
                outcome.refusals[f"failed: {type(exc).__name__} {exc}"[:80]] += 1
                return
            finally:
                outcome.latencies.append(time.perf_counter() - began)
            if payload["userErrors"]:
                outcome.refusals[payload["userErrors"][0]["code"]] += 1
                return
            for order in payload["orders"]:
                outcome.orders += 1
                outcome.units += sum(line["quantity"] for line in order["lines"])

        tasks = [asyncio.create_task(complete(s)) for s in shoppers]
        await asyncio.sleep(0.2)  # every task is waiting at the start line
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        outcome.elapsed = time.perf_counter() - began
    return outcome


async def database_truth(url: str) -> tuple[int, int, int, int]:
    """(quantity left, orders, units in order lines, live holds) as the database has them."""
    database = Database(url)
    try:
        async with database.engine.connect() as conn:
            left = (await conn.execute(select(table_of(SkuRow).c.quantity))).scalar_one()
            orders = (await conn.execute(select(func.count()).select_from(table_of(OrderRow)))).scalar_one()
            units = (
                await conn.execute(select(func.coalesce(func.sum(table_of(OrderLineRow).c.quantity), 0)))
            ).scalar_one()
            holds = (
                await conn.execute(select(func.count()).select_from(table_of(StockHoldRow)))
            ).scalar_one()
        return int(left), int(orders), int(units), int(holds)
    finally:
        await database.dispose()


def run_scenario(database_url: str | None, scenario: str, args: argparse.Namespace) -> list[str]:
    with scratch_database(database_url) as url:
        shoppers = asyncio.run(seed(url, args.shoppers, args.units))
        env = {"PAYMENT_GATEWAYS": '["test"]', "ALLOW_TEST_PAYMENTS": "1"}
        with server("shoppable.api.app:create_app", url, env) as base:
            outcome = asyncio.run(race(base, shoppers, scenario))
        left, db_orders, db_units, holds = asyncio.run(database_truth(url))
    oversold = max(0, db_units - args.units) + max(0, -left)
    ms = [s * 1000 for s in outcome.latencies]
    per_cart = 2 if scenario == "two-lines" else 1
    refused = ", ".join(f"{code} {count}" for code, count in outcome.refusals.most_common()) or "none"
    consistent = db_orders == outcome.orders and db_units == outcome.units and left == args.units - db_units
    return [
        f"scenario {scenario} ({per_cart} unit{'s' if per_cart > 1 else ''} per cart"
        f"{', two lines of one SKU from two posts' if per_cart > 1 else ''}): "
        f"{len(ms)} checkoutComplete calls racing for {args.units} units",
        f"  orders placed {outcome.orders}, units sold {outcome.units} of {args.units}, "
        f"oversold units {oversold}; database: quantity left {left}, {db_orders} orders, "
        f"{db_units} units in order lines, {holds} holds left "
        f"({'matches the answers' if consistent else 'DOES NOT MATCH the answers'})",
        f"  refused: {refused}; cartAddLines refused: {outcome.add_failures}",
        f"  {len(ms) / outcome.elapsed:.0f} completions/s over {outcome.elapsed:.2f} s; "
        f"latency p50 {statistics.median(ms):.0f} ms, p99 {percentile(ms, 0.99):.0f} ms, max {max(ms):.0f} ms",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--units", type=int, default=5)
    parser.add_argument("--scenario", choices=["one-line", "two-lines", "both"], default="both")
    args = parser.parse_args()
    scenarios = ["one-line", "two-lines"] if args.scenario == "both" else [args.scenario]
    load = os.getloadavg()
    lines = []
    for scenario in scenarios:
        lines += run_scenario(args.database_url, scenario, args)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"$ {command_line()}")
    print(
        f"backend: {backend}; one uvicorn process; {args.shoppers} shoppers (half signed in, half anonymous "
        f"devices), one SKU with {args.units} units (DENY); a fresh database per scenario; "
        f"{os.cpu_count()} cores, load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    for line in lines:
        print(line)
    print("target: oversold units 0, database quantity never negative")


if __name__ == "__main__":
    main()
