"""Catalog imports at their limits: big and gzip bodies, absurd rows, and what a failed job leaves behind."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from shoppable.api import uploads
from shoppable.api.app import create_app
from shoppable.domain.catalog.limits import BRAND_MAX, SKU_CODE_MAX, STOCK_MAX, URL_MAX
from shoppable.settings import Settings
from tests.api.test_catalog_imports import jsonl, merchant_key, post_import, product, wait_for
from tests.conftest import GraphQL

MB = 1024 * 1024


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def padded_lines(handles: list[str], line_bytes: int) -> bytes:
    """JSON Lines whose lines are padded with whitespace to `line_bytes` (JSON ignores it)."""
    lines = []
    for handle in handles:
        text = json.dumps(product(handle))
        lines.append(text + " " * (line_bytes - len(text) - 1) + "\n")
    return "".join(lines).encode()


async def test_a_catalog_over_ten_megabytes_is_accepted(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    # Litestar refuses bodies over 10 MB unless the route says otherwise; imports stream to disk instead.
    _, _, key = await merchant_key(gql)
    body = padded_lines([f"big-{i}" for i in range(4)], 3 * MB)
    assert len(body) > 10 * MB
    done = await wait_for(client, key, (await post_import(client, key, body))["id"])
    assert done["status"] == "succeeded", done
    assert done["counts"]["created"] == 4 and done["progress"]["bytesTotal"] == len(body)


@pytest.fixture
async def small_client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app with a 1 MB import limit."""
    app = create_app(settings.model_copy(update={"max_import_bytes": MB}))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


async def post_unannounced(
    client: AsyncTestClient[Any], path: str, body: bytes, headers: dict[str, str]
) -> Any:
    """POST a body without Content-Length, as a chunked upload comes (the test transport cannot stream
    a body, so it arrives in one piece)."""
    request = client.build_request("POST", path, content=body, headers=headers)
    del request.headers["Content-Length"]
    return await client.send(request)


async def test_bodies_over_the_import_limit_are_refused_and_nothing_stays_on_disk(
    small_client: AsyncTestClient[Any], gql: GraphQL, settings: Settings
) -> None:
    # `gql` runs on the default client; the key works on every app of the same database.
    _, _, key = await merchant_key(gql)
    auth = {"Authorization": f"Bearer {key}"}
    body = padded_lines([f"p{i}" for i in range(3)], MB // 2)
    announced = await small_client.post("/v1/catalog/imports", content=body, headers=auth)
    assert announced.status_code == 413, announced.text
    assert announced.headers["content-type"].startswith("application/problem+json")
    streamed = await post_unannounced(small_client, "/v1/catalog/imports", body, auth)
    assert streamed.status_code == 413, streamed.text
    # A gzip body is limited by its decompressed size.
    zipped = await small_client.post(
        "/v1/catalog/imports", content=gzip.compress(body), headers=auth | {"Content-Encoding": "gzip"}
    )
    assert zipped.status_code == 413, zipped.text
    assert files_in(settings.import_dir) == []


async def test_gzip_uploads_are_decompressed_while_streaming(
    client: AsyncTestClient[Any], gql: GraphQL, settings: Settings
) -> None:
    _, _, key = await merchant_key(gql)
    body = jsonl([product(f"z{i}") for i in range(50)])
    sent = await client.post(
        "/v1/catalog/imports",
        content=gzip.compress(body),
        headers={"Authorization": f"Bearer {key}", "Content-Encoding": "gzip"},
    )
    assert sent.status_code == 202, sent.text
    job = sent.json()
    response = await post_unannounced(
        client,
        "/v1/catalog/imports",
        gzip.compress(body[:3000]) + gzip.compress(body[3000:]),  # two gzip members, one after the other
        {"Authorization": f"Bearer {key}", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 202, response.text
    assert job["format"] == "jsonl"  # detected on the decompressed file
    for job_id in (job["id"], response.json()["id"]):
        done = await wait_for(client, key, job_id)
        assert done["status"] == "succeeded", done
        assert done["progress"]["bytesTotal"] == len(body)
    auth = {"Authorization": f"Bearer {key}", "Content-Encoding": "gzip"}
    truncated = await client.post("/v1/catalog/imports", content=gzip.compress(body)[:-20], headers=auth)
    assert truncated.status_code == 400, truncated.text
    not_gzip = await client.post("/v1/catalog/imports", content=body, headers=auth)
    assert not_gzip.status_code == 400, not_gzip.text
    brotli = await client.post("/v1/catalog/imports", content=body, headers=auth | {"Content-Encoding": "br"})
    assert brotli.status_code == 415, brotli.text
    assert files_in(settings.import_dir) == []


async def test_a_gzip_bomb_is_refused_by_its_ratio(
    client: AsyncTestClient[Any], gql: GraphQL, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(uploads, "GZIP_RATIO_FROM_BYTES", MB)
    _, _, key = await merchant_key(gql)
    bomb = gzip.compress(b"\n" * (64 * MB), compresslevel=9)  # about 64 KB
    response = await client.post(
        "/v1/catalog/imports",
        content=bomb,
        headers={"Authorization": f"Bearer {key}", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 413, response.text
    assert "expands" in response.json()["detail"]
    assert files_in(settings.import_dir) == []


async def test_absurd_rows_are_reported_with_their_line_and_the_rest_applied(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, merchant, key = await merchant_key(gql)
    huge = product("huge-stock")
    huge["skus"][0]["quantity"] = 100000000000000000000
    above = product("above-stock")
    above["skus"][0]["quantity"] = STOCK_MAX + 1
    long_brand = product("long-brand", brand="b" * (BRAND_MAX + 1))
    nul_title = product("nul-title", title="Nul\u0000Title")
    long_sku = product("long-sku")
    long_sku["skus"][0]["sku"] = "S" * (SKU_CODE_MAX + 1)
    long_gtin = product("long-gtin")
    long_gtin["skus"][0]["gtin"] = "1" * 40
    long_image = product("long-image", images=["https://img.example/" + "a" * URL_MAX])
    long_handle = product("h" * 300, title="Long handle")
    long_handle["skus"][0]["sku"] = "long-handle-0"  # one error for the line
    lines = [product("fine-1"), huge, above, long_brand, nul_title, long_sku, long_gtin, long_image]
    lines += [long_handle, product("fine-2")]
    done = await wait_for(client, key, (await post_import(client, key, jsonl(lines)))["id"])
    assert done["status"] == "completed_with_errors", done
    assert done["counts"]["created"] == 2 and done["counts"]["failed"] == 8, done["errors"]
    assert done["counts"]["rows"] == 10
    by_row = {e["row"]: e for e in done["errors"]}
    assert set(by_row) == set(range(2, 10)), done["errors"]
    assert by_row[2]["field"] == "skus[0].quantity" and by_row[2]["externalId"] == "huge-stock"
    assert by_row[3]["field"] == "skus[0].quantity"
    assert by_row[4]["field"] == "brand" and by_row[4]["code"] == "TOO_LARGE"
    assert by_row[5]["field"] == "title" and "NUL" in by_row[5]["message"]
    assert by_row[6]["field"] == "skus[0].sku"
    assert by_row[7]["field"] == "skus[0].gtin"
    assert by_row[8]["field"] == "images[0]"
    assert by_row[9]["field"] == "handle" and len(by_row[9]["externalId"]) == 255  # clipped to its column
    listing = await gql(
        "query($h: String) { products(first: 20, merchantHandle: $h) { edges { node { handle } } } }",
        {"h": merchant["handle"]},
    )
    assert {e["node"]["handle"] for e in listing["data"]["products"]["edges"]} == {"fine-1", "fine-2"}


async def test_a_failing_product_in_a_full_import_is_kept_as_it_was(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, merchant, key = await merchant_key(gql)
    everything = [product(f"k{i}") for i in range(4)]
    await wait_for(client, key, (await post_import(client, key, jsonl(everything), mode="full"))["id"])
    again = [product(f"k{i}") for i in range(4)]
    again[1]["brand"] = "x" * (BRAND_MAX + 1)  # fails validation
    again[2]["skus"][0]["sku"] = "k3-0"  # fails in the batch: k3 uses that code too
    again[3]["title"] = "Renamed"
    done = await wait_for(client, key, (await post_import(client, key, jsonl(again), mode="full"))["id"])
    assert done["status"] == "completed_with_errors", done
    assert done["counts"]["archived"] == 0, done
    listing = await gql(
        "query($h: String!) { merchant(handle: $h) { products(first: 10) { edges { node { handle status brand } } } } }",
        {"h": merchant["handle"]},
        token=key,
    )
    found = {e["node"]["handle"]: e["node"] for e in listing["data"]["merchant"]["products"]["edges"]}
    assert {h: p["status"] for h, p in found.items()} == {f"k{i}": "ACTIVE" for i in range(4)}
    assert found["k1"]["brand"] == "Acme"  # unchanged


async def test_the_upload_of_a_failed_import_is_removed(
    client: AsyncTestClient[Any], gql: GraphQL, settings: Settings
) -> None:
    _, _, key = await merchant_key(gql)
    xml = b'<?xml version="1.0"?><rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>1'
    failed = await wait_for(client, key, (await post_import(client, key, xml, format="google_xml"))["id"])
    assert failed["status"] == "failed", failed
    tsv = b"no\tgoogle\tcolumns\n1\t2\t3\n"
    refused = await wait_for(client, key, (await post_import(client, key, tsv, format="google_tsv"))["id"])
    assert refused["status"] == "failed", refused
    assert files_in(settings.import_dir) == []
