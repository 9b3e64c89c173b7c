"""The hand-written path bench/graphql_overhead.py compares a feed page with: the same cards, read
with plain SQL (one statement per table) and shaped into the same JSON by hand."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
from litestar import get
from litestar.datastructures import State
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.common import BENCH_SECRET
from bench.feed import Rows, _content, _user, zipf_weights
from shoppable.domain.catalog.money import Money
from shoppable.graphql.core.ids import CursorCodec, encode_id
from shoppable.storage.db import Database
from shoppable.storage.tables import (
    CreatorRow,
    MediaRenditionRow,
    MediaRow,
    PostMediaRow,
    PostRow,
    ProductTagRow,
    UserRow,
)

FEED_QUERY = """query Feed($first: Int!, $after: String) {
  feed(first: $first, after: $after) {
    edges { cursor source reasons { code text }
      node { __typename
        ... on Post { id caption publishedAt likeCount viewerHasLiked
          creator { id handle displayName viewerFollows }
          media { id kind url width height }
          productTags { x y product { id title availability priceRange { minPrice { amount currencyCode } } } } }
        ... on Product { id title brand availability merchant { id name } images { url }
          priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } } } } }
    pageInfo { hasNextPage endCursor } } }"""

CURSORS = CursorCodec(BENCH_SECRET)


async def seed_content(url: str, posts: int, products: int) -> None:
    """20 creators and their published posts (1-2 photos, 1-4 tags of the seeded products)."""
    rows = Rows(np.random.default_rng(7), datetime.now(UTC))
    creator_users = list(range(1000, 1020))
    for user in creator_users:
        rows.add(UserRow, _user(user, f"creator{user}", False, rows.now))
    _content(rows, creator_users, posts, 1, zipf_weights(products, 1.0, rows.rng))
    database = Database(url)
    async with database.engine.begin() as conn:
        for table in (UserRow, CreatorRow, MediaRow, MediaRenditionRow, PostRow, PostMediaRow, ProductTagRow):
            await conn.execute(insert(table.__table__), rows.tables.get(table, []))
    await database.dispose()


def _ids(values: list[int]) -> str:
    return ",".join(str(int(v)) for v in values) or "NULL"


def _timestamp(value: Any) -> str | None:
    """SQLite hands back text, PostgreSQL a datetime."""
    return value if value is None or isinstance(value, str) else value.isoformat()


def _money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": Money(minor, currency).amount, "currencyCode": currency}


async def raw_feed_page(conn: AsyncConnection, session: str, position: int, first: int) -> dict[str, Any]:
    """Served items from `position`, then posts with creators, media, tags, products with merchants,
    SKUs and images: seven statements, whatever the page size."""
    served = (
        await conn.execute(
            text(
                "SELECT position, kind, item_id, source, reasons FROM feed_served "
                "WHERE session_id = :s AND position >= :p ORDER BY position LIMIT :n"
            ),
            {"s": session, "p": position, "n": first + 1},
        )
    ).all()
    page = served[:first]
    post_ids = [s.item_id for s in page if s.kind == "post"]
    posts = {
        r.id: r
        for r in await conn.execute(
            text(
                "SELECT p.id, p.caption, p.published_at, p.like_count, c.id AS cid, c.handle, c.display_name "
                "FROM posts p JOIN creators c ON c.id = p.creator_id "
                f"WHERE p.id IN ({_ids(post_ids)}) AND p.status = 'PUBLISHED' AND p.deleted_at IS NULL"
            )
        )
    }
    media: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in await conn.execute(
        text(
            "SELECT pm.post_id, m.id, m.kind, m.width, m.height, r.key, r.width AS rw FROM post_media pm "
            "JOIN media m ON m.id = pm.media_id LEFT JOIN media_renditions r ON r.media_id = m.id "
            f"WHERE pm.post_id IN ({_ids(post_ids)}) ORDER BY pm.post_id, pm.position, r.width"
        )
    ):
        media[r.post_id][r.id] = {
            "id": encode_id("Media", r.id),
            "kind": r.kind,
            "url": f"/media/{r.key}",
            "width": r.width,
            "height": r.height,
        }
    tags: dict[int, list[Any]] = defaultdict(list)
    for r in await conn.execute(
        text(
            "SELECT post_id, x, y, product_id FROM product_tags "
            f"WHERE post_id IN ({_ids(post_ids)}) ORDER BY post_id, position"
        )
    ):
        tags[r.post_id].append(r)
    product_ids = sorted(
        {s.item_id for s in page if s.kind == "product"} | {t.product_id for ts in tags.values() for t in ts}
    )
    products = {
        r.id: r
        for r in await conn.execute(
            text(
                "SELECT p.id, p.title, p.brand, p.availability, m.id AS mid, m.name FROM products p "
                f"JOIN merchants m ON m.id = p.merchant_id WHERE p.id IN ({_ids(product_ids)}) "
                "AND p.status = 'ACTIVE'"
            )
        )
    }
    prices: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for r in await conn.execute(
        text(f"SELECT product_id, price_minor, currency FROM skus WHERE product_id IN ({_ids(product_ids)})")
    ):
        prices[r.product_id].append((r.price_minor, r.currency))
    images: dict[int, list[dict[str, str]]] = defaultdict(list)
    for r in await conn.execute(
        text(
            "SELECT product_id, url FROM product_images "
            f"WHERE product_id IN ({_ids(product_ids)}) ORDER BY product_id, position"
        )
    ):
        images[r.product_id].append({"url": r.url})

    def price_range(product_id: int) -> dict[str, Any]:
        found = sorted(prices[product_id])
        return {"minPrice": _money(*found[0]), "maxPrice": _money(*found[-1])}

    def post(r: Any) -> dict[str, Any]:
        return {
            "__typename": "Post",
            "id": encode_id("Post", r.id),
            "caption": r.caption,
            "publishedAt": _timestamp(r.published_at),
            "likeCount": r.like_count,
            "viewerHasLiked": False,
            "creator": {
                "id": encode_id("Creator", r.cid),
                "handle": r.handle,
                "displayName": r.display_name,
                "viewerFollows": False,
            },
            "media": list(media[r.id].values()),
            "productTags": [
                {
                    "x": t.x,
                    "y": t.y,
                    "product": {
                        "id": encode_id("Product", t.product_id),
                        "title": products[t.product_id].title,
                        "availability": products[t.product_id].availability,
                        "priceRange": {"minPrice": price_range(t.product_id)["minPrice"]},
                    },
                }
                for t in tags[r.id]
                if t.product_id in products
            ],
        }

    def product(r: Any) -> dict[str, Any]:
        return {
            "__typename": "Product",
            "id": encode_id("Product", r.id),
            "title": r.title,
            "brand": r.brand,
            "availability": r.availability,
            "merchant": {"id": encode_id("Merchant", r.mid), "name": r.name},
            "images": images[r.id],
            "priceRange": price_range(r.id),
        }

    edges = []
    for s in page:
        found = posts.get(s.item_id) if s.kind == "post" else products.get(s.item_id)
        if found is None:
            continue
        edges.append(
            {
                "cursor": CURSORS.encode("feed", [session, s.position + 1]),
                "source": s.source,
                "reasons": [{"code": code, "text": why} for code, why in json.loads(s.reasons)],
                "node": post(found) if s.kind == "post" else product(found),
            }
        )
    end = CURSORS.encode("feed", [session, page[-1].position + 1]) if page else None
    info = {"hasNextPage": len(served) > first, "endCursor": end}
    return {"data": {"feed": {"edges": edges, "pageInfo": info}}}


@get("/bench/raw-feed")
async def raw_feed(state: State, session: str, position: int = 0, first: int = 20) -> dict[str, Any]:
    """The benchmark-only route of the hand-written path, on the app's own engine."""
    async with state.services.database.engine.connect() as conn:
        return await raw_feed_page(conn, session, position, first)


async def replayed_page(base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A served anonymous page to read again: the GraphQL payload that replays it and the raw route's
    parameters for the same items. Two pages are served first, so page one is read back by a cursor at
    position 0 on both paths; both answers are checked to list the same items, and neither path plans
    or writes."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        first = (await client.post("/graphql", json={"query": FEED_QUERY, "variables": {"first": 20}})).json()
        end = first["data"]["feed"]["pageInfo"]["endCursor"]
        await client.post("/graphql", json={"query": FEED_QUERY, "variables": {"first": 20, "after": end}})
        session = CURSORS.decode("feed", end)[0]
        payload = {
            "query": FEED_QUERY,
            "variables": {"first": 20, "after": CURSORS.encode("feed", [session, 0])},
        }
        replayed = (await client.post("/graphql", json=payload)).json()
        assert replayed["data"]["feed"]["edges"] == first["data"]["feed"]["edges"], "not a replay"
        params = {"session": session, "position": 0, "first": 20}
        raw = (await client.get("/bench/raw-feed", params=params)).json()
    ids = [e["node"]["id"] for e in replayed["data"]["feed"]["edges"]]
    assert [e["node"]["id"] for e in raw["data"]["feed"]["edges"]] == ids, "raw path reads other items"
    return payload, params
