"""A 20-post page with media, product tags, tagged products, their SKUs and creators, over HTTP.

Seeds three creators and `--posts` published posts (each with one photo and three product tags,
with SKUs), all through the domain services and the real media path (Pillow renditions on local
disk), starts the real app under uvicorn (one process) and times `product.featuredIn(first: 20)`
as a signed-in shopper, sequentially. A benchmark-only route reports how many SQL statements the
app ran, so the statement count per page is printed beside the latency.

    python bench/post_page.py [--database-url postgresql+asyncpg://...] [--posts 300] [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from litestar import get
from litestar.datastructures import State
from PIL import Image, ImageDraw
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_SECRET, command_line, scratch_database, server, summary
from shoppable.api.app import create_app as create_real_app

QUERY = """query Page($id: ID!, $first: Int!) { product(id: $id) { featuredIn(first: $first) {
  edges { node {
    id caption hashtags publishedAt likeCount viewerHasLiked viewerHasSaved
    creator { id handle displayName followerCount viewerFollows avatar { url } }
    media { id kind url width height renditions { url width } }
    productTags { mediaIndex x y
      product { id title availability merchant { name } priceRange { minPrice { amount currencyCode } } }
      sku { id sku availability price { amount currencyCode } } }
    disclosure { label }
  } }
  pageInfo { hasNextPage endCursor } } } }"""


def photo(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (800, 1000), colour)
    ImageDraw.Draw(image).ellipse((200, 200, 600, 600), fill=(250, 240, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def seed(url: str, media_dir: Path, posts: int) -> tuple[str, str]:
    """Returns (global id of the product every post tags, a shopper's bearer token)."""
    from shoppable.domain.catalog.drafts import ProductDraft, SkuDraft
    from shoppable.domain.catalog.money import Money
    from shoppable.domain.catalog.service import plan
    from shoppable.domain.content import creators, engagement, posts, uploads
    from shoppable.domain.content.media import MediaLimits
    from shoppable.domain.content.records import DisclosureKind
    from shoppable.domain.content.tags import TagDraft
    from shoppable.domain.identity import credentials
    from shoppable.domain.identity.actor import Actor
    from shoppable.domain.rate_limits import UNLIMITED
    from shoppable.graphql.core.ids import encode_id
    from shoppable.storage.catalog import SqlCatalogRepository
    from shoppable.storage.db import Database
    from shoppable.storage.identity import SqlIdentityRepository
    from shoppable.storage.imaging import ImageRenderer
    from shoppable.storage.media_local import LocalMediaStore, UploadTokenSigner

    database = Database(url)
    store = LocalMediaStore(media_dir, "http://127.0.0.1", UploadTokenSigner(BENCH_SECRET))
    # What upload operations need (domain.content.ports.MediaServices), without the app's Services.
    media_services = SimpleNamespace(
        media=store,
        images=ImageRenderer(),
        media_limits=MediaLimits(),
        clock=lambda: datetime.now(UTC),
        rate_limits=UNLIMITED,
    )
    uow = database.unit_of_work(write=True)
    identity = SqlIdentityRepository(uow)
    owner = await identity.add_user("merchant@bench.test", "x", "Merchant", is_admin=False)
    merchant = await identity.add_merchant("northwind", "Northwind", "EUR", 5, owner.id)
    catalog = SqlCatalogRepository(uow)
    drafts = [
        ProductDraft(
            handle=f"product-{i}",
            title=f"Product {i}",
            brand="Northwind",
            skus=tuple(
                SkuDraft(sku=f"P{i}-{j}", price=Money(2000 + 100 * j, "EUR"), quantity=5 * j)
                for j in range(3)
            ),
        )
        for i in range(30)
    ]
    product_ids = await catalog.write_products(merchant.id, (await plan(catalog, merchant, drafts)).writes)
    skus = await catalog.skus_of_products(product_ids)
    sku_of = {}
    for sku in skus:
        sku_of.setdefault(sku.product_id, sku.id)
    users = [
        await identity.add_user(f"creator{i}@bench.test", "x", f"Creator {i}", is_admin=False)
        for i in range(3)
    ]
    shopper = await identity.add_user("shopper@bench.test", "x", "Shopper", is_admin=False)
    await uow.commit()
    await uow.close()

    actors = [Actor(user_id=u.id) for u in users]
    media_ids: list[list[int]] = []
    for index, actor in enumerate(actors):
        own = []
        for shade in range(3):
            data = photo((60 * index + 40, 40 * shade + 60, 120))
            uow = database.unit_of_work(write=True)
            async with uow:
                request = uploads.UploadRequest("p.jpg", "image/jpeg", len(data))
                created = await uploads.create_upload(uow, media_services, actor, request)
            await store.put(created.upload.key, data, "image/jpeg")
            uow = database.unit_of_work(write=True)
            async with uow:
                media = await uploads.complete_upload(uow, media_services, actor, created.upload.id)
            own.append(media.id)
        uow = database.unit_of_work(write=True)
        async with uow:
            draft = creators.CreatorDraft(f"creator{index}", f"Creator {index}", "", own[0])
            await creators.become_creator(uow, actor, draft)
        media_ids.append(own)

    hero = product_ids[0]
    for number in range(posts):
        actor = actors[number % 3]
        others = [product_ids[1 + (number + k) % (len(product_ids) - 1)] for k in range(2)]
        tags = tuple(
            TagDraft(pid, 0, sku_id=sku_of[pid], x=0.2 + 0.3 * k, y=0.5)
            for k, pid in enumerate([hero, *others])
        )
        draft = posts.PostDraft(
            caption=f"Look number {number} #bench #look",
            media_ids=(media_ids[number % 3][number % 3],),
            tags=tags,
            disclosure=posts.DisclosureDraft(DisclosureKind.AFFILIATE, merchant.id),
        )
        uow = database.unit_of_work(write=True)
        async with uow:
            post = await posts.create_post(uow, actor, draft)
            await posts.publish_post(uow, actor, post.id)
            if number % 2 == 0:
                await engagement.set_like(uow, Actor(user_id=shopper.id), post.id, True)
    token = credentials.issue_token(BENCH_SECRET, shopper.id, shopper.token_version, 3600)
    await database.dispose()
    return encode_id("Product", hero), token


def create_app() -> Any:
    """The real app plus one benchmark-only route that reports how many statements it has run."""
    app = create_real_app()
    counter = {"statements": 0}

    def count(*_args: Any) -> None:
        counter["statements"] += 1

    event.listen(app.state.services.database.engine.sync_engine, "before_cursor_execute", count)

    @get("/bench/statements")
    async def statements(state: State) -> dict[str, int]:
        return dict(counter)

    app.register(statements)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as media_dir, scratch_database(args.database_url) as url:
        hero, token = asyncio.run(seed(url, Path(media_dir), args.posts))
        env = {"MEDIA_DIR": media_dir}
        with server("bench.post_page:create_app", url, env) as base, httpx.Client(base_url=base) as client:
            headers = {"Authorization": f"Bearer {token}"}
            payload = {"query": QUERY, "variables": {"id": hero, "first": 20}}

            def page() -> httpx.Response:
                return client.post("/graphql", json=payload, headers=headers)

            body = page().json()
            edges = body["data"]["product"]["featuredIn"]["edges"]
            assert "errors" not in body and len(edges) == 20, body
            assert all(len(e["node"]["productTags"]) == 3 for e in edges)
            for _ in range(30):  # warm caches (parser, validation, statements)
                page().raise_for_status()
            before = client.get("/bench/statements").json()["statements"]
            samples = []
            for _ in range(args.requests):
                start = time.perf_counter()
                response = page()
                samples.append(time.perf_counter() - start)
                response.raise_for_status()
            after = client.get("/bench/statements").json()["statements"]
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"$ {command_line()}")
    print(f"backend: {backend}; {args.posts} published posts x 3 tags (with SKUs), 3 creators; 20-post page")
    print(f"product.featuredIn(first: 20): {summary(samples)} over {args.requests} requests")
    print(f"SQL statements per page: {(after - before) / args.requests:g}")


if __name__ == "__main__":
    main()
