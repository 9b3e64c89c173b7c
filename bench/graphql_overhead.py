"""GraphQL overhead: a 20-product page with SKUs, and a 20-card feed page, through /graphql vs
hand-written SQL + JSON for the same data.

Seeds 1,000 products x 3 SKUs, then posts, creators and shoppers as bench/feed.py does (with
`--posts`), starts the real app under uvicorn (one process) with benchmark-only routes that answer
the same pages with raw SQL statements and json, and times both sequentially over HTTP.
The feed page compared is a replayed one (a served page read again by its cursor: the session's
served items, then the cards), so both paths read the same items and neither writes.
Target (issue 16): each GraphQL median <= 2.0 x its raw endpoint.

    python bench/graphql_overhead.py [--database-url postgresql+asyncpg://...] [--requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from litestar import get
from litestar.datastructures import State
from sqlalchemy import text

from shoppable.api.app import create_app as create_real_app
from shoppable.domain.catalog.money import Money

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import command_line, scratch_database, server, summary
from bench.feed_raw import raw_feed, replayed_page, seed_content

QUERY = """query Page($first: Int!) { products(first: $first) { edges { node {
  id handle title brand availability
  priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } }
  skus { edges { node { id sku availability price { amount currencyCode } compareAtPrice { amount currencyCode } } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def seed(url: str, products: int, skus: int) -> None:
    from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
    from shoppable.domain.catalog.service import plan
    from shoppable.domain.identity.records import Merchant
    from shoppable.storage.catalog import SqlCatalogRepository
    from shoppable.storage.db import Database
    from shoppable.storage.identity import SqlIdentityRepository

    database = Database(url)
    uow = database.unit_of_work(write=True)
    identity = SqlIdentityRepository(uow)
    owner = await identity.add_user("bench@example.com", "x", "Bench", is_admin=False)
    record = await identity.add_merchant("bench", "Bench", "EUR", 5, owner.id)
    merchant = Merchant(record.id, record.handle, record.name, record.currency, 5, record.created_at)
    catalog = SqlCatalogRepository(uow)
    for start in range(0, products, 500):
        drafts = [
            ProductDraft(
                handle=f"product-{i}",
                title=f"Product {i}",
                brand="Brand",
                skus=tuple(
                    SkuDraft(
                        sku=f"P{i}-{j}",
                        price=Money(1000 + j * 100, "EUR"),
                        quantity=j * 3,
                        compare_at_price=Money(2500, "EUR") if j == 0 else None,
                        options=(("Size", f"S{j}"),),
                    )
                    for j in range(skus)
                ),
            )
            for i in range(start, min(products, start + 500))
        ]
        await catalog.write_products(merchant.id, (await plan(catalog, merchant, drafts)).writes)
    await uow.commit()
    await uow.close()
    await database.dispose()


def create_app() -> Any:
    """The real app plus one benchmark-only raw endpoint over the same engine."""

    @get("/bench/raw-products")
    async def raw_products(state: State, first: int = 20) -> dict[str, Any]:
        engine = state.services.database.engine
        async with engine.connect() as conn:
            products = (
                await conn.execute(
                    text(
                        "SELECT id, handle, title, brand, availability FROM products WHERE status = 'ACTIVE' "
                        "ORDER BY id DESC LIMIT :n"
                    ),
                    {"n": first + 1},
                )
            ).all()
            ids = [p.id for p in products[:first]]
            skus = (
                await conn.execute(
                    text(
                        "SELECT id, product_id, sku, availability, price_minor, currency, compare_at_minor FROM skus "
                        "WHERE product_id IN ("
                        + ",".join(str(i) for i in ids)
                        + ") ORDER BY product_id, position, id"
                    ),
                )
            ).all()
        by_product: dict[int, list[Any]] = {}
        for sku in skus:
            by_product.setdefault(sku.product_id, []).append(sku)

        def money(minor: int | None, currency: str) -> dict[str, str] | None:
            return (
                None if minor is None else {"amount": Money(minor, currency).amount, "currencyCode": currency}
            )

        edges = []
        for p in products[:first]:
            own = by_product.get(p.id, [])
            prices = sorted(s.price_minor for s in own)
            currency = own[0].currency
            edges.append({"node": {
                "id": p.id, "handle": p.handle, "title": p.title, "brand": p.brand, "availability": p.availability,
                "priceRange": {"minPrice": money(prices[0], currency), "maxPrice": money(prices[-1], currency)},
                "skus": {"edges": [{"node": {"id": s.id, "sku": s.sku, "availability": s.availability,
                                             "price": money(s.price_minor, s.currency),
                                             "compareAtPrice": money(s.compare_at_minor, s.currency)}} for s in own]},
            }})  # fmt: skip
        return {"data": {"products": {"edges": edges, "pageInfo": {"hasNextPage": len(products) > first}}}}

    app = create_real_app()
    app.register(raw_products)
    app.register(raw_feed)
    gc.collect()
    gc.freeze()  # start-up objects never need collecting again
    return app


def measure(client: httpx.Client, request: Any, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        response = request()
        samples.append(time.perf_counter() - start)
        response.raise_for_status()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--skus", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--posts", type=int, default=500, help="published posts (1-4 product tags, 1-2 photos)"
    )
    args = parser.parse_args()
    with scratch_database(args.database_url) as url:
        asyncio.run(seed(url, args.products, args.skus))
        asyncio.run(seed_content(url, args.posts, args.products))
        with server("bench.graphql_overhead:create_app", url) as base, httpx.Client(base_url=base) as client:
            payload = {"query": QUERY, "variables": {"first": 20}}

            def graphql() -> httpx.Response:
                return client.post("/graphql", json=payload)

            def raw() -> httpx.Response:
                return client.get("/bench/raw-products", params={"first": 20})

            body = graphql().json()
            assert "errors" not in body and len(body["data"]["products"]["edges"]) == 20, body
            measure(client, graphql, 50)  # warm caches (parser, validation, statements)
            measure(client, raw, 50)
            feed = feed_requests(client, base)
            measure(client, feed[0], 50)
            measure(client, feed[1], 50)
            samples: dict[str, list[float]] = {"gql": [], "raw": [], "feed gql": [], "feed raw": []}
            for _ in range(4):  # interleave to spread machine noise over all
                samples["gql"] += measure(client, graphql, args.requests // 4)
                samples["raw"] += measure(client, raw, args.requests // 4)
                samples["feed gql"] += measure(client, feed[0], args.requests // 4)
                samples["feed raw"] += measure(client, feed[1], args.requests // 4)
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"$ {command_line()}")
    print(
        f"backend: {backend}; {args.products} products x {args.skus} SKUs, {args.posts} posts; "
        f"20-item pages; {args.requests} requests each, sequential"
    )
    for label, gql, hand in (
        ("products(first: 20)", "gql", "raw"),
        ("feed(first: 20)", "feed gql", "feed raw"),
    ):
        ratio = statistics.median(samples[gql]) / statistics.median(samples[hand])
        print(f"{label:<20} GraphQL /graphql : {summary(samples[gql])}")
        print(f"{label:<20} raw SQL + JSON   : {summary(samples[hand])}")
        print(f"{label:<20} ratio (median)   : {ratio:.2f}  (target <= 2.0)")


def feed_requests(client: httpx.Client, base: str) -> tuple[Any, Any]:
    """GraphQL and raw requests for the same served feed page, read again (`replayed_page`)."""
    payload, params = asyncio.run(replayed_page(base))

    def graphql() -> httpx.Response:
        return client.post("/graphql", json=payload)

    def hand_written() -> httpx.Response:
        return client.get("/bench/raw-feed", params=params)

    return graphql, hand_written


if __name__ == "__main__":
    main()
