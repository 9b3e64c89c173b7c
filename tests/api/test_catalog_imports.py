"""Catalog imports over HTTP: upload, background job, progress, errors, idempotency, full mode."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

import shoppable.jobs.catalog_import as import_job
from shoppable.domain.catalog.importing import BATCH_PRODUCTS
from tests.conftest import GraphQL
from tests.factories import create_api_key, create_merchant, sign_up

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def jsonl(products: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(p) + "\n" for p in products).encode()


def product(handle: str, skus: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "handle": handle,
        "title": extra.pop("title", f"Product {handle}"),
        "brand": "Acme",
        "skus": [
            {
                "sku": f"{handle}-{i}",
                "price": {"amount": "19.90", "currencyCode": "EUR"},
                "quantity": 5,
                **({"options": [{"name": "Size", "value": f"S{i}"}]} if skus > 1 else {}),
            }
            for i in range(skus)
        ],
        **extra,
    }


async def merchant_key(gql: GraphQL, **kw: Any) -> tuple[dict, dict, str]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], **{"currency": "EUR", **kw})
    return owner, merchant, await create_api_key(gql, owner["token"], merchant["id"])


async def post_import(client: AsyncTestClient[Any], key: str, body: bytes, **params: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/catalog/imports", content=body, params=params, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/catalog/imports/{response.json()['id']}"
    return response.json()


async def wait_for(
    client: AsyncTestClient[Any], key: str, job_id: int, patience: float = 60
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        response = await client.get(
            f"/v1/catalog/imports/{job_id}", headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] not in {"queued", "running"}:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)


async def test_thousand_rows_succeed_with_counts(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _, merchant, key = await merchant_key(gql)
    body = jsonl([product(f"item-{i}", skus=2) for i in range(500)])  # 1,000 SKU rows
    job = await post_import(client, key, body)
    assert job["status"] in {"queued", "running", "succeeded"} and job["format"] == "jsonl"
    done = await wait_for(client, key, job["id"])
    assert done["status"] == "succeeded", done
    assert done["counts"] == {
        "rows": 500,
        "created": 500,
        "updated": 0,
        "unchanged": 0,
        "archived": 0,
        "failed": 0,
        "rowsRead": 500,
        "rowsFailed": 0,
        "productsCreated": 500,
        "productsUpdated": 0,
        "productsUnchanged": 0,
        "productsArchived": 0,
    }
    assert done["errors"] == [] and done["progress"]["percent"] == 100.0
    listing = await gql(
        "query($h: String) { products(first: 3, merchantHandle: $h) { edges { node { handle skus { edges { node { sku } } } } } } }",
        {"h": merchant["handle"]},
    )
    assert len(listing["data"]["products"]["edges"][0]["node"]["skus"]["edges"]) == 2
    again = await wait_for(client, key, (await post_import(client, key, body))["id"])
    assert (
        again["counts"]["unchanged"] == 500 and again["counts"]["created"] == again["counts"]["updated"] == 0
    )


async def test_progress_is_visible_while_running(
    client: AsyncTestClient[Any], gql: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, key = await merchant_key(gql)
    gate = threading.Event()
    real_parse = import_job.parse_feed

    def paused_parse(*args: Any, **kwargs: Any) -> Any:
        for index, item in enumerate(real_parse(*args, **kwargs)):
            if index == BATCH_PRODUCTS + 100:  # the first batch was applied and reported; hold the rest
                gate.wait(30)
            yield item

    monkeypatch.setattr(import_job, "parse_feed", paused_parse)
    total = 2 * BATCH_PRODUCTS + 200
    job = await post_import(client, key, jsonl([product(f"p{i}") for i in range(total)]))
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            seen = (
                await client.get(
                    f"/v1/catalog/imports/{job['id']}", headers={"Authorization": f"Bearer {key}"}
                )
            ).json()
            if seen["counts"]["created"] >= BATCH_PRODUCTS:
                break
            assert asyncio.get_running_loop().time() < deadline, seen
            await asyncio.sleep(0.05)
        assert seen["status"] == "running"
        assert 0 < seen["progress"]["bytesRead"] <= seen["progress"]["bytesTotal"]
        assert seen["counts"]["created"] < total
    finally:
        gate.set()
    done = await wait_for(client, key, job["id"])
    assert done["status"] == "succeeded" and done["counts"]["created"] == total


async def test_bad_rows_are_reported_and_the_rest_applied(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _, merchant, key = await merchant_key(gql)
    good = product("good")
    bad_price = product("bad-price")
    bad_price["skus"][0]["price"] = {"amount": "abc", "currencyCode": "EUR"}
    bad_currency = product("bad-currency")
    bad_currency["skus"][0]["price"] = {"amount": "1.00", "currencyCode": "ZZZ"}
    negative = product("negative")
    negative["skus"][0]["quantity"] = -3
    no_title = product("no-title", title="")
    dup = product("dup-sku")
    dup["skus"][0]["sku"] = "good-0"
    lines = [good, bad_price, bad_currency, negative, no_title, dup]
    body = jsonl(lines) + b"{not json\n"
    done = await wait_for(client, key, (await post_import(client, key, body))["id"])
    assert done["status"] == "completed_with_errors"
    assert done["counts"]["created"] == 1 and done["counts"]["failed"] == 6
    by_row = {e["row"]: e for e in done["errors"]}
    assert set(by_row) == {2, 3, 4, 5, 6, 7}
    assert by_row[2]["externalId"] == "bad-price" and "price" in by_row[2]["field"]
    assert "price" in by_row[3]["field"] and by_row[3]["code"] == "INVALID"
    assert "quantity" in by_row[4]["field"]
    assert by_row[5]["field"] == "title" and by_row[5]["code"] == "REQUIRED"
    assert by_row[6]["code"] == "DUPLICATE"
    handles = await gql(
        "query($h: String) { products(first: 10, merchantHandle: $h) { edges { node { handle } } } }",
        {"h": merchant["handle"]},
    )
    assert [e["node"]["handle"] for e in handles["data"]["products"]["edges"]] == ["good"]


async def test_full_mode_archives_missing_with_a_safety_share(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    _, merchant, key = await merchant_key(gql)
    everything = [product(f"p{i}") for i in range(10)]
    await wait_for(client, key, (await post_import(client, key, jsonl(everything), mode="full"))["id"])
    # Nine of ten missing: a truncated file; refused, nothing archived.
    refused = await wait_for(
        client, key, (await post_import(client, key, jsonl(everything[:1]), mode="full"))["id"]
    )
    assert refused["status"] == "completed_with_errors" and refused["counts"]["archived"] == 0
    assert "force=true" in refused["message"] and refused["errors"][-1]["code"] == "LIMIT_EXCEEDED"
    # Three of ten missing is within the default 50%.
    trimmed = await wait_for(
        client, key, (await post_import(client, key, jsonl(everything[:7]), mode="full"))["id"]
    )
    assert trimmed["status"] == "succeeded" and trimmed["counts"]["archived"] == 3
    archived = await gql(
        "query($h: String!) { merchant(handle: $h) { products(status: ARCHIVED) { edges { node { handle } } } } }",
        {"h": merchant["handle"]},
        token=key,
    )
    assert {e["node"]["handle"] for e in archived["data"]["merchant"]["products"]["edges"]} == {
        "p7",
        "p8",
        "p9",
    }
    forced = await wait_for(
        client, key, (await post_import(client, key, jsonl(everything[:1]), mode="full", force="true"))["id"]
    )
    assert forced["status"] == "succeeded" and forced["counts"]["archived"] == 6
    # Delta mode never archives; a re-listed archived product comes back.
    delta = await wait_for(
        client, key, (await post_import(client, key, jsonl(everything[9:]), mode="delta"))["id"]
    )
    assert delta["counts"]["archived"] == 0 and delta["counts"]["updated"] == 1


async def test_examples_import_in_every_format(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _, _, eur = await merchant_key(gql)
    _, _, usd = await merchant_key(gql, currency="USD")
    for name, key in (
        ("northwind.jsonl", eur),
        ("lumen-google.tsv", usd),
        ("lumen-google.xml", usd),
        ("atelier-shopify.csv", eur),
    ):
        done = await wait_for(
            client, key, (await post_import(client, key, (EXAMPLES / name).read_bytes()))["id"]
        )
        assert done["status"] == "succeeded", (name, done)
        assert done["counts"]["created"] > 0 or done["counts"]["updated"] > 0
    # One currency rule: a feed priced in USD is refused, row by row, for a merchant selling in EUR.
    refused = await wait_for(
        client, eur, (await post_import(client, eur, (EXAMPLES / "lumen-google.tsv").read_bytes()))["id"]
    )
    assert refused["status"] == "completed_with_errors" and refused["counts"]["created"] == 0
    assert "sells in EUR" in refused["errors"][0]["message"]


async def test_multipart_upload_and_explicit_format(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _, _, key = await merchant_key(gql, currency="USD")
    response = await client.post(
        "/v1/catalog/imports",
        params={"format": "google_tsv"},
        files={
            "file": ("feed.tsv", (EXAMPLES / "lumen-google.tsv").read_bytes(), "text/tab-separated-values")
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 202, response.text
    done = await wait_for(client, key, response.json()["id"])
    assert done["status"] == "succeeded" and done["format"] == "google_tsv"


async def test_hostile_and_unknown_files(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    _, _, key = await merchant_key(gql)
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>1</g:id><g:title>&xxe;</g:title>'
        b"</item></channel></rss>"
    )
    failed = await wait_for(client, key, (await post_import(client, key, xxe))["id"])
    assert failed["status"] == "failed" and "entit" in failed["message"].lower()
    auth = {"Authorization": f"Bearer {key}"}
    unknown = await client.post("/v1/catalog/imports", content=b"\x00\x01binary", headers=auth)
    assert unknown.status_code == 415 and unknown.headers["content-type"].startswith(
        "application/problem+json"
    )
    empty = await client.post("/v1/catalog/imports", content=b"", headers=auth)
    assert empty.status_code == 400
    boundary = "354c3aa5b1a6ccd1f2f306729fe0b2a3"
    multipart = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    for body in (  # a part whose headers never end (found by schemathesis), one cut short, no parts
        f"--{boundary}\r\n\n--{boundary}--\r\n",
        f"--{boundary}\r\n--{boundary}--\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.jsonl"\r\n\r\n{{}}',
        f"--{boundary}--\r\n",
    ):
        bad = await client.post("/v1/catalog/imports", content=body.encode(), headers=multipart)
        assert bad.status_code == 400, (body, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
    for params in ({"mode": "sometimes"}, {"format": "excel"}):
        bad = await client.post("/v1/catalog/imports", content=b"{}", params=params, headers=auth)
        assert bad.status_code == 400, params


async def test_import_authorization(client: AsyncTestClient[Any], gql: GraphQL) -> None:
    owner_a, merchant_a, key_a = await merchant_key(gql)
    _, merchant_b, key_b = await merchant_key(gql)
    job_b = await post_import(client, key_b, jsonl([product("b-only")]))
    assert (await client.post("/v1/catalog/imports", content=jsonl([product("x")]))).status_code == 401
    denied = await client.post(
        "/v1/catalog/imports",
        content=jsonl([product("x")]),
        params={"merchant": merchant_b["handle"]},
        headers={"Authorization": f"Bearer {key_a}"},
    )
    assert denied.status_code == 404 and denied.json()["status"] == 404
    peek = await client.get(
        f"/v1/catalog/imports/{job_b['id']}", headers={"Authorization": f"Bearer {key_a}"}
    )
    assert peek.status_code == 404
    by_owner = await client.get(
        f"/v1/catalog/imports/{job_b['id']}", headers={"Authorization": f"Bearer {owner_a['token']}"}
    )
    assert by_owner.status_code == 404
    for absurd in ("0", "9223372036854775808", "101431203869626413934926888960"):
        beyond = await client.get(
            f"/v1/catalog/imports/{absurd}", headers={"Authorization": f"Bearer {key_a}"}
        )
        assert beyond.status_code == 404, (absurd, beyond.text)
    # The owner's token works for their own merchant, named or not.
    mine = await client.post(
        "/v1/catalog/imports",
        content=jsonl([product("by-owner")]),
        params={"merchant": merchant_a["handle"]},
        headers={"Authorization": f"Bearer {owner_a['token']}"},
    )
    assert mine.status_code == 202
    graphql = await gql(
        "query($id: ID!) { catalogImport(id: $id) { status counts { created } } }",
        {"id": job_b["graphqlId"]},
        token=key_a,
    )
    assert graphql["data"]["catalogImport"] is None
    await wait_for(client, key_b, job_b["id"])
    own = await gql(
        "query($id: ID!) { catalogImport(id: $id) { status counts { created } errors { row } } }",
        {"id": job_b["graphqlId"]},
        token=key_b,
    )
    assert own["data"]["catalogImport"] == {"status": "succeeded", "counts": {"created": 1}, "errors": []}


async def test_concurrent_imports_of_one_catalog_all_succeed(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    """Each batch holds the merchant's catalog while it plans and writes, so imports running side by
    side see each other's products instead of creating the same handle twice."""
    _, _, key = await merchant_key(gql)
    body = jsonl([product(f"same-{i}") for i in range(600)])
    jobs = [await post_import(client, key, body) for _ in range(4)]
    finished = [await wait_for(client, key, job["id"]) for job in jobs]
    assert [job["status"] for job in finished] == ["succeeded"] * 4, finished
    assert sum(job["counts"]["created"] for job in finished) == 600
    assert [sum(job["counts"][k] for k in ("created", "updated", "unchanged")) for job in finished] == [
        600
    ] * 4
