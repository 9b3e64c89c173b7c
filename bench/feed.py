"""Feed page latency under load: 20-item pages through HTTP at concurrency 16, and statements per page.

Seeds a realistic world with bulk inserts (20 merchants x 500 products with 1-3 SKUs and ~5% sold
out; 100 creators with 2,000 published posts over 30 days, each tagging 1-4 products; 1,000 shoppers,
half with personalization on, following 5-20 creators; 200,000 Zipf-skewed events over the last 7
days, whose likes and saves are also rows), trains the feed ranker with the real training job,
starts the real app under uvicorn (one process) and drives it with 16 concurrent clients. Each walk
is one signed-in shopper (a different one each time) reading a first page and then following
`endCursor`; the anonymous feed is measured the same way. A benchmark-only route reports the SQL
statements the app ran, counted sequentially per page for page sizes 10, 20 and 50.
In the same run it measures the app's own `/health`, a `products(first: 20)` page, and one served feed
page read again through GraphQL and through a hand-written SQL + JSON route (the ceiling of any feed
page without a cross-request cache: no planning, no writes, no GraphQL) the same way, and
prints each scenario's pages/s and p99 as ratios against `/health`, because absolute figures on a
shared machine are noise. Targets (issue 16): feed pages/s >= 0.25x /health, anonymous and
personalized, first and later pages alike; p99 <= 5x the /health p99; statements per page <= 10 and
the same for every page size.

    python bench/feed.py [--database-url postgresql+asyncpg://...] [--requests 1000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from litestar import get
from litestar.datastructures import State
from sqlalchemy import event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_SECRET, command_line, percentile, scratch_database, server
from shoppable.api.app import create_app as create_real_app
from shoppable.domain.identity.credentials import issue_token
from shoppable.domain.vision.ingest import url_hash
from shoppable.storage.db import Database
from shoppable.storage.tables import (
    CatalogImageLinkRow,
    CatalogImageRow,
    CreatorRow,
    EventRow,
    FollowRow,
    LikeRow,
    MediaRenditionRow,
    MediaRow,
    MerchantRow,
    PostMediaRow,
    PostRow,
    ProductImageRow,
    ProductRow,
    ProductTagRow,
    SaveRow,
    SkuRow,
    UserRow,
    VisionLinkedProductRow,
)

QUERY = """query Feed($first: Int!, $after: String, $mode: FeedMode!) {
  feed(first: $first, after: $after, mode: $mode) {
    edges { cursor source reasons { code text }
      node { __typename
        ... on Post { id caption publishedAt likeCount viewerHasLiked
          creator { id handle displayName viewerFollows }
          media { id kind url width height }
          productTags { x y product { id title availability priceRange { minPrice { amount currencyCode } } } }
          disclosure { label partner { id } } }
        ... on Product { id title brand availability merchant { id name } images { url }
          priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } } } } }
    pageInfo { hasNextPage endCursor } } }"""

CATEGORIES = ["Shoes", "Bags", "Knitwear", "Dresses", "Denim", "Jackets", "Beauty", "Home", "Jewelry"]  # fmt: skip
EVENT_MIX = {  # type -> (share, subject kinds)
    "VIEW": (0.55, ("Post", "Product")),
    "CLICK": (0.20, ("Post", "Product")),
    "LIKE": (0.09, ("Post",)),
    "SAVE": (0.05, ("Post",)),
    "ADD_TO_CART": (0.07, ("Product",)),
    "PURCHASE": (0.04, ("Product",)),
}
CHUNK = 10_000


@dataclass(frozen=True)
class World:
    consenting: list[int]  # shoppers with personalization on
    others: list[int]
    timings: dict[str, float]


def zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Probabilities over n ids, by a random popularity rank: a few ids get most of the traffic."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(weights)
    return weights / weights.sum()


@dataclass
class Rows:
    """Every seeded row, by table, built in memory first so the inserts are plain executemany calls."""

    rng: np.random.Generator
    now: datetime
    tables: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: Any, row: dict[str, Any]) -> None:
        self.tables.setdefault(table, []).append(row)


async def seed(
    url: str, *, merchants: int, products: int, creators: int, posts: int, users: int, events: int, seed: int
) -> World:
    started = time.perf_counter()
    rows = Rows(np.random.default_rng(seed), datetime.now(UTC))
    # People: one merchant owner, the creators' accounts, then the shoppers (every other one consenting).
    creator_users = list(range(2, creators + 2))
    shoppers = list(range(creators + 2, creators + 2 + users))
    consenting = shoppers[::2]
    _people(rows, creator_users, shoppers, set(consenting))
    product_popularity = _catalog(rows, merchants, products)
    _content(rows, creator_users, posts, merchants, product_popularity)
    _follows(rows, shoppers, creators)
    _events(rows, shoppers, events, posts, product_popularity)
    built = time.perf_counter()

    database = Database(url)
    async with database.engine.begin() as conn:
        for table in (UserRow, MerchantRow, ProductRow, SkuRow, ProductImageRow, CreatorRow, MediaRow,
                      MediaRenditionRow, PostRow, PostMediaRow, ProductTagRow, FollowRow, LikeRow, SaveRow,
                      EventRow, CatalogImageRow, CatalogImageLinkRow, VisionLinkedProductRow):  # fmt: skip
            seeded = rows.tables.get(table, [])
            for start in range(0, len(seeded), CHUNK):
                await conn.execute(insert(table.__table__), seeded[start : start + CHUNK])
        names = ", ".join(table.__tablename__ for table in rows.tables)
        if database.dialect == "postgresql":
            for name in (
                "users",
                "merchants",
                "products",
                "skus",
                "creators",
                "media",
                "posts",
                "catalog_images",
            ):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                    )
                )
            await conn.execute(text(f"ANALYZE {names}"))
    if database.dialect == "sqlite":
        async with database.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE")
    await database.dispose()
    return World(
        consenting=consenting,
        others=shoppers[1::2],
        timings={"build rows": built - started, "insert": time.perf_counter() - built},
    )


def _people(rows: Rows, creator_users: list[int], shoppers: list[int], consenting: set[int]) -> None:
    rows.add(UserRow, _user(1, "owner", False, rows.now))
    for user in creator_users:
        rows.add(UserRow, _user(user, f"creator{user}", False, rows.now))
    for user in shoppers:
        rows.add(UserRow, _user(user, f"shopper{user}", user in consenting, rows.now))


def _catalog(rows: Rows, merchants: int, products: int) -> np.ndarray:
    """Merchants and their products (1-3 SKUs, 1-3 images; ~5% sold out, ~10% low); returns popularity.

    The images are seeded as the image job leaves them (fetched, rendered, linked): otherwise the app's
    in-process job links every product and tries to fetch every image, once a minute, while the pages
    are measured (seen as ~1,000 image updates in a PostgreSQL run)."""
    rng, now = rows.rng, rows.now
    for m in range(1, merchants + 1):
        rows.add(MerchantRow, {"id": m, "handle": f"shop-{m}", "name": f"Shop {m}", "currency": "EUR",
                               "low_stock_threshold": 5, "created_at": now - timedelta(days=400)})  # fmt: skip
    sku_ids = itertools.count(1)
    image_ids = itertools.count(1)
    sold_out = rng.random(products) < 0.05
    low = rng.random(products) < 0.10
    for p in range(1, products + 1):
        merchant = (p - 1) % merchants + 1
        availability = "OUT_OF_STOCK" if sold_out[p - 1] else "LOW_STOCK" if low[p - 1] else "IN_STOCK"
        created = now - timedelta(days=float(rng.uniform(0, 90)))
        rows.add(ProductRow, {
            "id": p, "merchant_id": merchant, "handle": f"product-{p}", "title": f"Product {p}",
            "description": "A fine thing.", "brand": f"Brand {p % 37}", "category": CATEGORIES[p % len(CATEGORIES)],
            "status": "ACTIVE", "option_names": ["Size"], "extra": [],
            "availability": availability, "content_hash": "", "created_at": created, "updated_at": created,
        })  # fmt: skip
        for position in range(int(rng.integers(1, 4))):
            quantity = 0 if sold_out[p - 1] else 3 if low[p - 1] else int(rng.integers(6, 60))
            rows.add(SkuRow, {
                "id": next(sku_ids), "product_id": p, "merchant_id": merchant, "sku": f"P{p}-{position}",
                "position": position, "title": None, "options": [["Size", f"S{position}"]],
                "price_minor": 1500 + (p % 50) * 100 + position * 200, "currency": "EUR", "compare_at_minor": None,
                "quantity": quantity, "inventory_policy": "DENY", "availability": availability, "updated_at": created,
            })  # fmt: skip
        for position in range(1 + p % 3):
            url = f"https://img.example/{p}/{position}.jpg"
            rows.add(ProductImageRow, {"product_id": p, "position": position, "url": url,
                                       "url_hash": url_hash(url), "alt_text": None})  # fmt: skip
            image_id = next(image_ids)
            key = f"catalog/{url_hash(url)[:16]}"
            rows.add(CatalogImageRow, {
                "id": image_id, "url": url, "url_hash": url_hash(url), "status": "READY", "attempts": 1,
                "next_attempt_at": now, "error": None, "width": 1600, "height": 1600,
                "renditions": [[400, 400, f"{key}/400.webp"], [1080, 1080, f"{key}/1080.webp"]],
                "embedding": None, "model": None, "embedded_at": None, "created_at": now,
            })  # fmt: skip
            rows.add(
                CatalogImageLinkRow,
                {"product_id": p, "image_id": image_id, "sku_id": None, "position": position},
            )
        rows.add(VisionLinkedProductRow, {"product_id": p, "linked_at": now})
    return zipf_weights(products, 1.0, rng)


def _content(
    rows: Rows, creator_users: list[int], posts: int, merchants: int, product_popularity: np.ndarray
) -> None:
    """Creators (a few post much more) and their published posts over 30 days: 1-2 photos, 1-4 tags, ~15% disclosed."""
    rng, now = rows.rng, rows.now
    creators = len(creator_users)
    for c in range(1, creators + 1):
        rows.add(CreatorRow, {"id": c, "user_id": creator_users[c - 1], "handle": f"creator{c}",
                              "display_name": f"Creator {c}", "bio": "", "follower_count": 0,
                              "created_at": now - timedelta(days=200)})  # fmt: skip
    authors = rng.choice(np.arange(1, creators + 1), size=posts, p=zipf_weights(creators, 0.8, rng))
    media_ids = itertools.count(1)
    for post in range(1, posts + 1):
        creator = int(authors[post - 1])
        published = now - timedelta(days=float(rng.uniform(0, 30)))
        disclosed = rng.random()
        kind = "PAID_PARTNERSHIP" if disclosed < 0.08 else "AFFILIATE" if disclosed < 0.15 else None
        rows.add(PostRow, {
            "id": post, "creator_id": creator, "caption": f"Look {post} #ootd", "hashtags": ["ootd"], "mentions": [],
            "status": "PUBLISHED", "disclosure_kind": kind,
            "disclosure_partner_id": int(rng.integers(1, merchants + 1)) if kind else None,
            "like_count": 0, "save_count": 0, "created_at": published, "updated_at": published,
            "published_at": published, "listed_at": published, "deleted_at": None,
        })  # fmt: skip
        size = int(rng.integers(1, 5))
        tagged = rng.choice(
            np.arange(1, len(product_popularity) + 1), size=size, replace=False, p=product_popularity
        )
        for position, product in enumerate(tagged):
            rows.add(ProductTagRow, {"post_id": post, "position": position, "product_id": int(product),
                                     "sku_id": None, "media_index": 0, "x": 0.5, "y": 0.5, "timestamp_ms": None})  # fmt: skip
        for position in range(1 + post % 2):
            m = next(media_ids)
            rows.add(MediaRow, {"id": m, "owner_id": creator_users[creator - 1], "kind": "IMAGE",
                                "key": f"media/{m}.jpg", "content_type": "image/jpeg", "byte_size": 180_000,
                                "width": 1080, "height": 1350, "duration_ms": None, "created_at": published})  # fmt: skip
            rows.add(PostMediaRow, {"post_id": post, "media_id": m, "position": position})
            for width in (320, 640):
                rows.add(MediaRenditionRow, {"media_id": m, "width": width, "height": width * 5 // 4,
                                             "key": f"media/{m}-{width}.webp", "content_type": "image/webp"})  # fmt: skip


def _follows(rows: Rows, shoppers: list[int], creators: int) -> None:
    """5-20 creators each, popular creators much more often."""
    popularity = zipf_weights(creators, 1.0, rows.rng)
    followers = dict.fromkeys(range(1, creators + 1), 0)
    for user in shoppers:
        size = int(rows.rng.integers(5, 21))
        for creator in rows.rng.choice(np.arange(1, creators + 1), size=size, replace=False, p=popularity):
            rows.add(FollowRow, {"user_id": user, "creator_id": int(creator),
                                 "created_at": rows.now - timedelta(days=10)})  # fmt: skip
            followers[int(creator)] += 1
    for row in rows.tables[CreatorRow]:
        row["follower_count"] = followers[row["id"]]


def _events(rows: Rows, shoppers: list[int], events: int, posts: int, product_popularity: np.ndarray) -> None:
    """Over the last 7 days: active shoppers make most events, popular posts and products get most of them.

    Likes and saves are rows too (once per shopper and post), and the posts' counters match them.
    """
    rng, now = rows.rng, rows.now
    actors = rng.choice(np.array(shoppers), size=events, p=zipf_weights(len(shoppers), 0.7, rng))
    types = rng.choice(list(EVENT_MIX), size=events, p=[share for share, _ in EVENT_MIX.values()])
    ages = rng.uniform(0, 7 * 24 * 3600 - 600, size=events)
    post_subjects = rng.choice(np.arange(1, posts + 1), size=events, p=zipf_weights(posts, 1.0, rng))
    product_subjects = rng.choice(
        np.arange(1, len(product_popularity) + 1), size=events, p=product_popularity
    )
    on_post = rng.random(events) < 0.5
    engaged: dict[str, dict[tuple[int, int], datetime]] = {"LIKE": {}, "SAVE": {}}
    for i in range(events):
        kind = str(types[i])
        subjects = EVENT_MIX[kind][1]
        subject_type = subjects[0] if len(subjects) == 1 else ("Post" if on_post[i] else "Product")
        subject = int(post_subjects[i] if subject_type == "Post" else product_subjects[i])
        user = int(actors[i])
        at = now - timedelta(seconds=float(ages[i]))
        rows.add(EventRow, {
            "event_id": f"e{i}", "actor_key": f"u:{user}", "user_id": user, "device_id": None, "type": kind,
            "subject_type": subject_type, "subject_id": subject, "channel": "APP", "position": i % 40,
            "occurred_at": at, "received_at": at,
        })  # fmt: skip
        if kind in engaged:
            engaged[kind].setdefault((user, subject), at)
    post_rows = rows.tables[PostRow]
    for (table, counter), pairs in zip(
        ((LikeRow, "like_count"), (SaveRow, "save_count")), engaged.values(), strict=True
    ):
        for (user, post), at in pairs.items():
            rows.add(table, {"user_id": user, "post_id": post, "created_at": at})
            post_rows[post - 1][counter] += 1


def _user(user_id: int, name: str, consent: bool, now: datetime) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": f"{name}@example.com",
        "password_hash": "x",
        "display_name": name.title(),
        "is_admin": False,
        "token_version": 0,
        "consent_personalization": consent,
        "consent_analytics": consent,
        "consent_marketing": False,
        "consent_policy_version": "1" if consent else "",
        "consent_updated_at": now if consent else None,
        "created_at": now - timedelta(days=100),
    }


async def train(url: str, model_dir: Path) -> dict[str, Any] | None:
    """The real periodic training job, on the seeded events."""
    from shoppable.jobs.recs_train import recs_train
    from shoppable.services import build_services
    from shoppable.settings import Settings

    settings = Settings(database_url=url, secret_key=BENCH_SECRET, model_dir=model_dir)
    services = build_services(settings)
    try:
        return await recs_train(services)
    finally:
        await services.close()


async def snapshot_seconds(url: str) -> float:
    """How long the shared trending snapshot takes to compute (once a minute per process)."""
    from shoppable.domain.feed.trending import compute_snapshot

    database = Database(url)
    try:
        async with database.unit_of_work() as uow:
            await compute_snapshot(uow.feed, datetime.now(UTC))  # warm the statement caches
            started = time.perf_counter()
            await compute_snapshot(uow.feed, datetime.now(UTC))
            return time.perf_counter() - started
    finally:
        await database.dispose()


def create_app() -> Any:
    """The real app plus one benchmark-only route that reports how many statements it has run."""
    app = create_real_app()
    # Reads of the running experiments are counted apart: each process caches them for 5 s, so one
    # page in that time (whichever it is) reads them again for every page of the process.
    counter = {"statements": 0, "refreshes": 0}

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counter["refreshes" if "FROM experiments" in statement else "statements"] += 1

    engine = app.state.services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    spent: dict[str, list[float]] = {}  # statement text -> [calls, seconds]

    def started(conn: Any, _cursor: Any, _statement: Any, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def finished(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        entry = spent.setdefault(" ".join(statement.split())[:160], [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())

    event.listen(engine, "before_cursor_execute", started)
    event.listen(engine, "after_cursor_execute", finished)

    @get("/bench/statements")
    async def statements(state: State) -> dict[str, int]:
        return dict(counter)

    @get("/bench/statement-times")
    async def statement_times(state: State) -> list[list[Any]]:
        """Statements by the time spent in the driver (includes waiting for SQLite's write lock)."""
        ranked = sorted(spent.items(), key=lambda item: -item[1][1])[:12]
        return [[round(seconds * 1000), calls, text] for text, (calls, seconds) in ranked]

    from bench.feed_raw import raw_feed  # it builds on this module's seeding helpers

    app.register(statements)
    app.register(statement_times)
    app.register(raw_feed)
    gc.collect()
    gc.freeze()  # start-up objects never need collecting again
    return app


def headers_for(user_id: int | None) -> dict[str, str]:
    if user_id is None:
        return {}
    return {"Authorization": f"Bearer {issue_token(BENCH_SECRET, user_id, 0, 24 * 3600)}"}


async def page(
    client: httpx.AsyncClient, headers: dict[str, str], first: int, after: str | None, mode: str = "FOR_YOU"
) -> dict[str, Any]:
    payload = {"query": QUERY, "variables": {"first": first, "after": after, "mode": mode}}
    response = await client.post("/graphql", json=payload, headers=headers)
    response.raise_for_status()
    body = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body["data"]["feed"]


@dataclass
class Measured:
    """One scenario's latencies (seconds; `first_page[i]` says whether sample i was a walk's first page)."""

    samples: list[float]
    elapsed: float
    items: int
    first_page: list[bool] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed


async def closed_loop(base: str, request: Any, *, requests: int, concurrency: int) -> Measured:
    """`concurrency` clients each sending `request(client)` back to back until `requests` were sent."""
    samples: list[float] = []
    remaining = requests

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await request(client)
            samples.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Measured(samples, elapsed, 0)


async def health(client: httpx.AsyncClient) -> None:
    (await client.get("/health")).raise_for_status()


PRODUCTS = """query Page($first: Int!) { products(first: $first) { edges { node {
  id handle title brand availability
  priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } }
  skus { edges { node { id sku availability price { amount currencyCode } compareAtPrice { amount currencyCode } } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def products_page(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": PRODUCTS, "variables": {"first": 20}})
    response.raise_for_status()
    if "errors" in response.json():
        raise RuntimeError(response.json()["errors"])


async def load(
    base: str,
    viewers: Iterator[int | None],
    *,
    requests: int,
    concurrency: int,
    pages_per_walk: int,
    first: int,
) -> Measured:
    """Closed loop: `concurrency` clients, each walking `pages_per_walk` pages as one viewer, then the next."""
    samples: list[float] = []
    first_page: list[bool] = []
    items = 0
    remaining = requests

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal remaining, items
        while remaining > 0:
            headers = headers_for(next(viewers))
            after = None
            for _ in range(pages_per_walk):
                if remaining <= 0:
                    return
                remaining -= 1
                started = time.perf_counter()
                feed = await page(client, headers, first, after)
                samples.append(time.perf_counter() - started)
                first_page.append(after is None)
                items += len(feed["edges"])
                if not feed["pageInfo"]["hasNextPage"]:
                    break
                after = feed["pageInfo"]["endCursor"]

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return Measured(samples, elapsed, items, first_page)


@dataclass(frozen=True)
class CountedPage:
    statements: int
    first: bool  # a new session: no served history to read yet
    refreshes: int  # reads of the running experiments, whose 5-second cache this page happened to renew

    def __str__(self) -> str:
        return f"{self.statements}{f'+{self.refreshes}e' if self.refreshes else ''}"


async def statements_per_page(
    base: str, viewer: int | None, sizes: tuple[int, ...]
) -> dict[int, list[CountedPage]]:
    """Statements of pages 1-4 of a fresh walk for each page size, one request at a time."""
    found: dict[int, list[CountedPage]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        headers = headers_for(viewer)
        for size in sizes:
            pages, after = [], None
            for number in range(4):
                before = (await client.get("/bench/statements")).json()
                feed = await page(client, headers, size, after)
                now = (await client.get("/bench/statements")).json()
                assert len(feed["edges"]) == size, (size, len(feed["edges"]))
                counted = {name: now[name] - before[name] for name in now}
                pages.append(CountedPage(counted["statements"], number == 0, counted["refreshes"]))
                after = feed["pageInfo"]["endCursor"]
            found[size] = pages
    return found


def same_for_every_size(counts: dict[int, list[CountedPage]]) -> bool:
    """Pages of the same kind (a walk's first, or a later one) cost the same at every size."""
    by_kind: dict[bool, set[int]] = {}
    for pages in counts.values():
        for counted in pages:
            by_kind.setdefault(counted.first, set()).add(counted.statements)
    return all(len(statements) == 1 for statements in by_kind.values())


def row(label: str, measured: Measured, baseline: Measured | None) -> str:
    ms = [sample * 1000 for sample in measured.samples]
    p50, p99 = statistics.median(ms), percentile(ms, 0.99)
    line = f"| {label:<44} | {measured.rate:7.0f} | {p50:7.1f} ms | {p99:7.1f} ms |"
    if baseline is None:
        return line + " 1.00x | 1.0x |"
    base_p99 = percentile([sample * 1000 for sample in baseline.samples], 0.99)
    return line + f" {measured.rate / baseline.rate:.2f}x | {p99 / base_p99:.1f}x |"


def split_rows(label: str, measured: Measured, baseline: Measured, concurrency: int) -> list[str]:
    """The scenario, then its first pages and its later pages apart. Their pages/s are what the server
    would serve of only that kind by Little's law (concurrency / mean latency), since both ran mixed."""
    lines = [row(label, measured, baseline)]
    for name, wanted in (("first pages", True), ("later pages", False)):
        picked = [
            s for s, first in zip(measured.samples, measured.first_page, strict=True) if first is wanted
        ]
        if picked:
            alone = Measured(picked, statistics.fmean(picked) * len(picked) / concurrency, 0)
            lines.append(row(f"  {name} (rate: concurrency / mean latency)", alone, baseline))
    return lines


async def ceiling_rows(base: str, baseline: Measured, args: argparse.Namespace) -> list[str]:
    """One served page read again through GraphQL and through a hand-written SQL + JSON route (the
    same seven statements' data, shaped by hand), both without planning or writes: how far any feed
    page can go on this machine without serving cards from a cache across requests."""
    from bench.feed_raw import replayed_page  # it builds on this module's seeding helpers

    payload, params = await replayed_page(base)

    async def graphql(client: httpx.AsyncClient) -> None:
        (await client.post("/graphql", json=payload)).raise_for_status()

    async def hand_written(client: httpx.AsyncClient) -> None:
        (await client.get("/bench/raw-feed", params=params)).raise_for_status()

    c = args.concurrency
    replayed = await closed_loop(base, graphql, requests=args.requests, concurrency=c)
    raw = await closed_loop(base, hand_written, requests=args.requests, concurrency=c)
    return [
        row("a served page read again, GraphQL", replayed, baseline),
        row("  the same page, hand-written SQL + JSON", raw, baseline),
    ]


async def run(base: str, world: World, args: argparse.Namespace) -> list[str]:
    anonymous = itertools.repeat(None)
    walk = {"pages_per_walk": args.pages_per_walk, "first": 20}
    # Warm up: parser and validation caches, prepared statements, the trending snapshot, the model.
    await load(base, anonymous, requests=1, concurrency=1, **walk)
    await load(
        base, itertools.cycle(world.consenting[-50:]), requests=200, concurrency=args.concurrency, **walk
    )
    await load(base, anonymous, requests=100, concurrency=args.concurrency, **walk)
    await closed_loop(base, health, requests=200, concurrency=args.concurrency)
    await closed_loop(base, products_page, requests=50, concurrency=args.concurrency)
    lines = []
    sizes = (10, 20, 50)  # counted first, while the trending snapshot computed in the warm-up is fresh
    counted = (("personalized", world.consenting[1]), ("anonymous", None)) if args.workers == 1 else ()
    if args.workers > 1:
        lines.append("statements per page: not counted with several workers (each counts its own)")
    for label, viewer in counted:
        counts = await statements_per_page(base, viewer, sizes)
        verdict = "same for every size" if same_for_every_size(counts) else "DIFFERENT across sizes"
        lines.append(
            f"statements per page, {label:<12}: "
            + "; ".join(f"first={size}: {' '.join(map(str, counts[size]))}" for size in sizes)
            + f"  -> {verdict}"
        )
    c = args.concurrency
    baseline = await closed_loop(base, health, requests=args.requests * 4, concurrency=c)
    lines += [
        f"| request (concurrency {c}) | pages/s | p50 | p99 | pages/s vs /health | p99 vs /health |",
        "|---|---|---|---|---|---|",
        row("/health", baseline, None),
    ]
    scenarios = (
        ("feed, anonymous, 20 cards", anonymous),
        ("feed, signed in, personalized (FOR_YOU)", itertools.cycle(world.consenting)),
        ("feed, signed in, personalization off", itertools.cycle(world.others)),
    )
    for label, viewers in scenarios:
        measured = await load(base, viewers, requests=args.requests, concurrency=c, **walk)
        lines += split_rows(label, measured, baseline, c)
    products = await closed_loop(base, products_page, requests=args.requests, concurrency=c)
    lines.append(row("products(first: 20) with their SKUs", products, baseline))
    lines += await ceiling_rows(base, baseline, args)
    again = await closed_loop(base, health, requests=args.requests * 4, concurrency=c)
    lines.append(row("/health again, after the rest (drift check)", again, baseline))
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        slowest = (await client.get("/bench/statement-times")).json()
    lines.append("statements by time in the driver over the whole run (ms, calls, statement):")
    lines += [f"  {ms:7d} ms {calls:6d}x  {text}" for ms, calls, text in slowest]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--requests", type=int, default=1000, help="page requests per measured scenario")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--pages-per-walk", type=int, default=5)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--no-model", action="store_true", help="skip training the ranker")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()

    backend = "postgresql" if args.database_url else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as url:
        world = asyncio.run(
            seed(url, merchants=20, products=args.products, creators=100, posts=args.posts,
                 users=args.users, events=args.events, seed=args.seed)
        )  # fmt: skip
        model_dir = Path(tmp) / "models"
        started = time.perf_counter()
        trained = None if args.no_model else asyncio.run(train(url, model_dir))
        world.timings["train"] = time.perf_counter() - started
        world.timings["snapshot"] = asyncio.run(snapshot_seconds(url))
        env = {"MODEL_DIR": str(model_dir), "MEDIA_DIR": str(Path(tmp) / "media")}
        with server("bench.feed:create_app", url, env, workers=args.workers) as base:
            lines = asyncio.run(run(base, world, args))
    print(f"$ {command_line()}")
    print(
        f"backend: {backend}; 20 merchants x {args.products // 20} products, 100 creators, {args.posts} posts, "
        f"{args.users} shoppers, {args.events} events; {args.workers} uvicorn process(es); concurrency {args.concurrency}, "
        f"walks of {args.pages_per_walk} pages of 20"
    )
    print(
        "setup: "
        + ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in world.timings.items() if name != "snapshot"
        )
        + f"; ranker: {'none' if trained is None else trained.get('version')}"
        + f"; trending snapshot computed in {world.timings['snapshot'] * 1000:.0f} ms (once a minute)"
    )
    for line in lines:
        print(line)
    print(
        "statements: pages 1-4 of a fresh walk; +1e = and one read of the running experiments, which "
        "each process caches for 5 s (one page in that time reads them)"
    )
    print(
        "targets: feed pages/s >= 0.25x /health (first and later pages alike); p99 <= 5x /health p99; "
        "statements per page <= 10 and equal for every page size"
    )


if __name__ == "__main__":
    main()
