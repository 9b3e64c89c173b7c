"""Visual search through the real app, on SQLite and PostgreSQL: catalog images fetched from a local
image server (private addresses allowed, as in development), a shopper's altered photo finds its
product, matches grouped by price band, hidden products never surface, suggested tags for creators."""

from __future__ import annotations

import asyncio
import io
import random
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from PIL import Image
from sqlalchemy import select

from shoppable.demo.product_images import DemoImageSpec, draw_product
from shoppable.jobs.vision import vision_cleanup, vision_images
from shoppable.services import Services, build_services
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.tables import CatalogImageRow, SearchUploadRow
from shoppable.storage.vision.evaluation import cluttered_background, phone_photo
from tests.conftest import GraphQL
from tests.factories import (
    become_creator,
    create_merchant,
    create_post,
    sign_up,
    upload_media,
    upsert,
)

USER_ERRORS = "userErrors { field code message }"
MATCH = "product { id handle } sku { id sku } image { url } similarity"
VISUAL_SEARCH = f"""
query($input: VisualSearchInput!, $first: Int) {{
  visualSearch(input: $input, first: $first) {{
    matches {{ {MATCH} }}
    byPriceBand {{ band {{ label min {{ amount currencyCode }} max {{ amount currencyCode }} }}
                   matches {{ {MATCH} product {{ priceRange {{ minPrice {{ amount }} }} }} }} }}
    {USER_ERRORS}
  }}
}}
"""
CREATE_SEARCH_UPLOAD = f"""
mutation($input: CreateSearchUploadInput!) {{
  createSearchUpload(input: $input) {{ upload {{ id url method headers {{ name value }} expiresAt }} {USER_ERRORS} }}
}}
"""
SET_STATUS = f"""
mutation($input: SetProductStatusInput!) {{ setProductStatus(input: $input) {{ product {{ id status }} {USER_ERRORS} }} }}
"""
CATALOG = [
    # handle, category, colour, price
    ("rain-jacket", "Jackets", "Storm Blue", "189.00"),
    ("trail-runner", "Footwear", "Red", "129.00"),
    ("daypack", "Packs", "Olive", "79.00"),
    ("wool-beanie", "Accessories", "Mustard", "29.00"),
    ("hiking-shorts", "Trousers & Shorts", "Sand", "59.00"),
    ("flannel-shirt", "Shirts", "Burgundy", "89.00"),
    ("linen-duvet", "Bedding", "Sage", "219.00"),
    ("table-lamp", "Lamp", "Black", "149.00"),
]


class ImageServer:
    """A merchant's image host on 127.0.0.1: serves the drawn product photos, counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self.requests: list[str] = []
        files, requests = self.files, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                found = files.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"allow_private_network_fetch": True})


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Services]:
    """The background side, on the tests' event loop: what `vision_images` does in production."""
    services = build_services(settings)
    yield services
    await services.close()


def stored_files(root: Path) -> list[str]:
    return [p.as_posix() for p in root.rglob("*") if p.is_file()]


def photo(handle: str, category: str, colour: str, url: str) -> bytes:
    return draw_product(DemoImageSpec(url, handle, category, colour))


def product(
    handle: str, category: str, colour: str, price: str, image_url: str, **extra: Any
) -> dict[str, Any]:
    return {
        "handle": handle,
        "title": handle.replace("-", " ").title(),
        "category": category,
        "status": extra.pop("status", "ACTIVE"),
        "images": [image_url],
        "skus": [
            {
                "sku": f"{handle}-1",
                "price": {"amount": price, "currencyCode": "EUR"},
                "quantity": extra.pop("quantity", 5),
                "options": [{"name": "Color", "value": colour}],
            }
        ],
        **extra,
    }


async def wait_until_indexed(database: Database, worker: Services, expected: int) -> None:
    """Run the image job (the app's own run may have claimed some images first) until all are done."""
    images = CatalogImageRow.__table__
    for _ in range(100):
        await vision_images(worker)
        async with database.engine.connect() as conn:
            statuses = [r[0] for r in await conn.execute(select(images.c.status))]
        if len(statuses) >= expected and "PENDING" not in statuses:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"catalog images not processed: {statuses}")


async def shop(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
    catalog: list[tuple[str, str, str, str]] = CATALOG,
) -> dict[str, Any]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    originals: dict[str, bytes] = {}
    products = []
    for handle, category, colour, price in catalog:
        path = f"/images/{handle}.jpg"
        data = photo(handle, category, colour, image_server.url(path))
        image_server.files[path] = (data, "image/jpeg")
        originals[handle] = data
        products.append(product(handle, category, colour, price, image_server.url(path)))
    payload = await upsert(gql, owner["token"], merchant["id"], products)
    assert payload["userErrors"] == [], payload
    await wait_until_indexed(database, worker, len(catalog))
    client.app.state.services.visual_index.refresh_seconds = 0  # the app sees new images at once
    ids = {p["handle"]: p["id"] for p in payload["products"]}
    return {"owner": owner, "merchant": merchant, "ids": ids, "originals": originals}


async def search_photo(
    gql: GraphQL, client: AsyncTestClient[Any], data: bytes, token: str | None = None, first: int = 10
) -> tuple[str, dict[str, Any]]:
    body = await gql(
        CREATE_SEARCH_UPLOAD, {"input": {"contentType": "image/jpeg", "byteSize": len(data)}}, token=token
    )
    created = body["data"]["createSearchUpload"]
    assert created["userErrors"] == [], created
    upload = created["upload"]
    sent = await client.put(
        upload["url"], content=data, headers={h["name"]: h["value"] for h in upload["headers"]}
    )
    assert sent.status_code == 204, sent.text
    result = await gql(VISUAL_SEARCH, {"input": {"uploadId": upload["id"]}, "first": first}, token=token)
    return upload["id"], result["data"]["visualSearch"]


def altered(data: bytes, how: Any, seed: int) -> bytes:
    image = how(Image.open(io.BytesIO(data)).convert("RGB"), random.Random(seed))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def test_an_altered_photo_finds_its_product_grouped_by_price_band(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
    settings: Settings,
) -> None:
    world = await shop(gql, client, database, worker, image_server)
    ids = world["ids"]
    # A shopper (anonymous) photographs the daypack on a cluttered table, and the trail runner askew.
    for handle, how in (("daypack", cluttered_background), ("trail-runner", phone_photo)):
        upload_id, found = await search_photo(gql, client, altered(world["originals"][handle], how, 3))
        assert found["userErrors"] == []
        assert found["matches"][0]["product"]["id"] == ids[handle], found["matches"][:3]
        similarities = [m["similarity"] for m in found["matches"]]
        assert similarities == sorted(similarities, reverse=True)
        assert len({m["product"]["id"] for m in found["matches"]}) == len(found["matches"])  # once each
        match = found["matches"][0]
        assert match["sku"] is None  # the product's own image matched, not one SKU's
        assert match["image"]["url"].startswith("http://testserver.local/media/media/catalog/")
        served = await client.get(match["image"]["url"].removeprefix("http://testserver.local"))
        assert served.status_code == 200 and served.headers["content-type"] == "image/webp"
    # Products now carry their own image URLs: our renditions, not the merchant's host.
    shown = await gql("query($id: ID!) { product(id: $id) { images { url } } }", {"id": ids["daypack"]})
    assert shown["data"]["product"]["images"][0]["url"].startswith(
        "http://testserver.local/media/media/catalog/"
    )
    # And in a list of cards, where the images are read in one statement with the SKUs.
    listed = await gql(
        "{ products(first: 50) { edges { node { id images { url } priceRange { minPrice { amount } } } } } }"
    )
    (daypack,) = [e["node"] for e in listed["data"]["products"]["edges"] if e["node"]["id"] == ids["daypack"]]
    assert daypack["images"][0]["url"].startswith("http://testserver.local/media/media/catalog/")
    assert daypack["priceRange"]["minPrice"]["amount"]
    # The photo itself is not kept once searched (only its vector, for a day).
    assert not [p for p in stored_files(settings.media_dir) if "/uploads/search/" in p]

    # Price bands: cheapest first, each band's prices inside its bounds, its matches best first.
    bands = found["byPriceBand"]
    assert len(bands) >= 2
    previous_max = 0.0
    for band in bands:
        low = float(band["band"]["min"]["amount"]) if band["band"]["min"] else 0.0
        high = float(band["band"]["max"]["amount"]) if band["band"]["max"] else float("inf")
        assert low >= previous_max
        previous_max = low
        for m in band["matches"]:
            assert low <= float(m["product"]["priceRange"]["minPrice"]["amount"]) < high
        sims = [m["similarity"] for m in band["matches"]]
        assert sims == sorted(sims, reverse=True)
    assert {band["band"]["label"] for band in bands}  # labelled

    # The upload is the searcher's own: another viewer cannot reuse it.
    stranger = await sign_up(gql)
    other = await gql(VISUAL_SEARCH, {"input": {"uploadId": upload_id}}, token=stranger["token"])
    assert other["data"]["visualSearch"]["userErrors"][0]["code"] == "NOT_FOUND"
    # The same searcher can page again from the kept vector.
    again = await gql(VISUAL_SEARCH, {"input": {"uploadId": upload_id}, "first": 3})
    assert again["data"]["visualSearch"]["matches"][0]["product"]["id"] == ids["trail-runner"]
    assert len(again["data"]["visualSearch"]["matches"]) <= 3


async def test_hidden_products_never_surface_and_a_removed_product_disappears(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
) -> None:
    catalog = [
        *CATALOG[:4],
        ("draft-jacket", "Jackets", "Storm Blue", "99.00"),
        ("sold-out-jacket", "Jackets", "Storm Blue", "149.00"),
    ]
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    products = []
    originals = {}
    for handle, category, colour, price in catalog:
        path = f"/images/{handle}.jpg"
        # The draft and the sold-out jacket show the very same photo as the rain jacket.
        data = photo("rain-jacket" if "jacket" in handle else handle, category, colour, "x")
        image_server.files[path] = (data, "image/jpeg")
        originals[handle] = data
        extra: dict[str, Any] = {}
        if handle == "draft-jacket":
            extra["status"] = "DRAFT"
        if handle == "sold-out-jacket":
            extra["quantity"] = 0
        products.append(product(handle, category, colour, price, image_server.url(path), **extra))
    payload = await upsert(gql, owner["token"], merchant["id"], products)
    assert payload["userErrors"] == [], payload
    ids = {p["handle"]: p["id"] for p in payload["products"]}
    await wait_until_indexed(database, worker, len(catalog))
    client.app.state.services.visual_index.refresh_seconds = 0

    _, found = await search_photo(gql, client, altered(originals["rain-jacket"], phone_photo, 5))
    handles = [m["product"]["handle"] for m in found["matches"]]
    assert handles[0] == "rain-jacket"
    assert "draft-jacket" not in handles and "sold-out-jacket" not in handles

    # "More like this" never answers the product itself.
    more = await gql(VISUAL_SEARCH, {"input": {"productId": ids["daypack"]}})
    more_handles = [m["product"]["handle"] for m in more["data"]["visualSearch"]["matches"]]
    assert "daypack" not in more_handles and more_handles

    # The merchant archives the rain jacket: it is gone from the next search at once.
    archived = await gql(
        SET_STATUS, {"input": {"productId": ids["rain-jacket"], "status": "ARCHIVED"}}, token=owner["token"]
    )
    assert archived["data"]["setProductStatus"]["userErrors"] == []
    _, after = await search_photo(gql, client, altered(originals["rain-jacket"], phone_photo, 6))
    assert "rain-jacket" not in [m["product"]["handle"] for m in after["matches"]]
    gone = await gql(VISUAL_SEARCH, {"input": {"productId": ids["rain-jacket"]}})
    assert gone["data"]["visualSearch"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_bad_input_is_a_user_error(gql: GraphQL, client: AsyncTestClient[Any]) -> None:
    none = await gql(VISUAL_SEARCH, {"input": {}})
    assert none["data"]["visualSearch"]["userErrors"][0]["code"] == "INVALID"
    too_many = await gql(VISUAL_SEARCH, {"input": {"productId": "UHJvZHVjdDox"}, "first": 500})
    assert too_many["data"]["visualSearch"]["userErrors"][0]["field"] == ["first"]
    wrong_type = await gql(VISUAL_SEARCH, {"input": {"uploadId": "UHJvZHVjdDox"}})
    assert wrong_type["data"]["visualSearch"]["userErrors"][0]["field"] == ["uploadId"]
    big = await gql(CREATE_SEARCH_UPLOAD, {"input": {"contentType": "image/jpeg", "byteSize": 50_000_000}})
    assert big["data"]["createSearchUpload"]["userErrors"][0]["code"] == "TOO_LARGE"
    video = await gql(CREATE_SEARCH_UPLOAD, {"input": {"contentType": "video/mp4", "byteSize": 5000}})
    assert video["data"]["createSearchUpload"]["userErrors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    # Not an image, whatever was declared: refused when searched, nothing kept.
    body = await gql(CREATE_SEARCH_UPLOAD, {"input": {"contentType": "image/jpeg", "byteSize": 600}})
    upload = body["data"]["createSearchUpload"]["upload"]
    sent = await client.put(
        upload["url"], content=b"\x7fELF" + bytes(596), headers={"Content-Type": "image/jpeg"}
    )
    if sent.status_code == 204:  # the upload endpoint may already refuse it by its magic bytes
        refused = await gql(VISUAL_SEARCH, {"input": {"uploadId": upload["id"]}})
        assert refused["data"]["visualSearch"]["userErrors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    else:
        assert sent.status_code == 415


async def test_creators_get_suggested_tags_and_shoppers_shop_the_look(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
) -> None:
    world = await shop(gql, client, database, worker, image_server, CATALOG[:5])
    creator = await sign_up(gql)
    await become_creator(gql, creator["token"])
    # The creator's photo: the beanie, worn in a busy street (cluttered), a little rotated.
    data = altered(world["originals"]["wool-beanie"], cluttered_background, 11)
    media = await upload_media(gql, client, creator["token"], data, "image/jpeg", "street.jpg")
    draft = await create_post(gql, creator["token"], caption="Cold morning", mediaIds=[media["id"]])
    post_id = draft["post"]["id"]
    query = f"query($id: ID!) {{ node(id: $id) {{ ... on Post {{ suggestedTags {{ {MATCH} }} }} }} }}"
    mine = await gql(query, {"id": post_id}, token=creator["token"])
    tags = mine["data"]["node"]["suggestedTags"]
    assert tags and tags[0]["product"]["id"] == world["ids"]["wool-beanie"]

    # A shopper cannot search with the draft's photo, nor see its suggestions.
    shopper = await sign_up(gql)
    hidden = await gql(VISUAL_SEARCH, {"input": {"mediaId": media["id"]}}, token=shopper["token"])
    assert hidden["data"]["visualSearch"]["userErrors"][0]["code"] == "NOT_FOUND"
    published = await gql(
        "mutation($input: PostIdInput!) { publishPost(input: $input) { post { id } userErrors { code } } }",
        {"input": {"postId": post_id}},
        token=creator["token"],
    )
    assert published["data"]["publishPost"]["userErrors"] == []
    others = await gql(query, {"id": post_id}, token=shopper["token"])
    assert others["data"]["node"]["suggestedTags"] == []
    # Once published: "shop this look".
    look = await gql(VISUAL_SEARCH, {"input": {"mediaId": media["id"]}}, token=shopper["token"])
    assert look["data"]["visualSearch"]["matches"][0]["product"]["id"] == world["ids"]["wool-beanie"]


async def test_search_photos_are_deleted_after_a_day(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database, worker: Services, settings: Settings
) -> None:
    data = photo("daypack", "Packs", "Olive", "x")
    body = await gql(CREATE_SEARCH_UPLOAD, {"input": {"contentType": "image/jpeg", "byteSize": len(data)}})
    upload = body["data"]["createSearchUpload"]["upload"]
    sent = await client.put(upload["url"], content=data, headers={"Content-Type": "image/jpeg"})
    assert sent.status_code == 204
    uploads = SearchUploadRow.__table__
    assert await vision_cleanup(worker) == 0
    later = worker.clock() + timedelta(days=1, minutes=1)
    worker.clock = lambda: later
    assert await vision_cleanup(worker) == 1
    async with database.engine.connect() as conn:
        assert (await conn.execute(select(uploads))).all() == []
    assert not [p for p in stored_files(settings.media_dir) if "search" in p]


async def test_a_skus_own_image_answers_that_sku(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    skus = []
    originals = {}
    for colour in ("Red", "Navy"):
        path = f"/images/tee-{colour.lower()}.jpg"
        data = photo("two-tone-tee", "Shirts", colour, "x")
        image_server.files[path] = (data, "image/jpeg")
        originals[colour] = data
        skus.append(
            {
                "sku": f"TEE-{colour.upper()}",
                "price": {"amount": "25.00", "currencyCode": "EUR"},
                "quantity": 3,
                "options": [{"name": "Color", "value": colour}],
                "image": image_server.url(path),
            }
        )
    tee = {"handle": "two-tone-tee", "title": "Tee", "category": "Shirts", "skus": skus}
    others = [product(h, c, col, p, image_server.url(f"/images/{h}.jpg")) for h, c, col, p in CATALOG[:3]]
    for h, c, col, _ in CATALOG[:3]:
        image_server.files[f"/images/{h}.jpg"] = (photo(h, c, col, "x"), "image/jpeg")
    payload = await upsert(gql, owner["token"], merchant["id"], [tee, *others])
    assert payload["userErrors"] == [], payload
    await wait_until_indexed(database, worker, 5)
    client.app.state.services.visual_index.refresh_seconds = 0
    _, found = await search_photo(gql, client, altered(originals["Navy"], cluttered_background, 4))
    top = found["matches"][0]
    assert top["product"]["handle"] == "two-tone-tee"
    assert top["sku"]["sku"] == "TEE-NAVY"


async def test_visual_search_statement_count_does_not_grow_with_matches(
    gql: GraphQL,
    client: AsyncTestClient[Any],
    database: Database,
    worker: Services,
    image_server: ImageServer,
    count_statements: Any,
) -> None:
    world = await shop(gql, client, database, worker, image_server)
    query = """query($input: VisualSearchInput!, $first: Int) { visualSearch(input: $input, first: $first) {
      matches { similarity image { url } sku { sku } product { title merchant { handle } images { url }
                priceRange { minPrice { amount } } } }
      byPriceBand { band { label } matches { product { title merchant { handle } } } } } }"""
    await gql(query, {"input": {"productId": world["ids"]["daypack"]}})  # the index loads once per process
    counts = {}
    for first in (2, 7):
        count_statements.count = 0
        body = await gql(query, {"input": {"productId": world["ids"]["daypack"]}, "first": first})
        assert len(body["data"]["visualSearch"]["matches"]) == first
        counts[first] = count_statements.count
    assert counts[2] == counts[7], counts
