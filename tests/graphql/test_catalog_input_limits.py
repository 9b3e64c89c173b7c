"""Catalog inputs at their limits through GraphQL: NUL bytes, lengths, links, huge ids, races."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.domain.catalog.limits import BRAND_MAX, CATEGORY_MAX, GTIN_MAX, MPN_MAX, URL_MAX
from shoppable.graphql.core.ids import encode_id
from tests.conftest import GraphQL
from tests.factories import CREATE_MERCHANT, create_merchant, product_input, sign_up, upsert

PRODUCTS = """query($q: String, $m: String) { products(first: 5, query: $q, merchantHandle: $m) {
  edges { node { handle } } } }"""


async def test_nul_bytes_in_catalog_queries_are_bad_input_or_nothing(gql: GraphQL) -> None:
    searched = await gql(PRODUCTS, {"q": "tee\u0000"}, expect_errors=True)
    assert searched["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", searched
    assert "NUL" in searched["errors"][0]["message"]
    by_merchant = await gql(PRODUCTS, {"m": "shop\u0000"})
    assert by_merchant["data"]["products"]["edges"] == []
    merchant = await gql("query($h: String!) { merchant(handle: $h) { id } }", {"h": "a\u0000b"})
    assert merchant["data"]["merchant"] is None
    product = await gql(
        "query($m: String, $h: String) { product(merchantHandle: $m, handle: $h) { id } }",
        {"m": "a\u0000", "h": "b\u0000"},
    )
    assert product["data"]["product"] is None


async def test_ids_beyond_64_bits_are_bad_input(gql: GraphQL) -> None:
    owner = await sign_up(gql)
    too_big = encode_id("Product", 2**63)
    body = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": too_big}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    largest = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": encode_id("Product", 2**63 - 1)})
    assert largest["data"]["node"] is None
    payload = await upsert(
        gql, owner["token"], encode_id("Merchant", 9223372036854775808), [product_input("x")]
    )
    assert (
        payload["userErrors"][0]["field"] == ["merchantId"] and payload["userErrors"][0]["code"] == "INVALID"
    )


async def test_upsert_refuses_what_the_columns_cannot_hold_and_unsafe_links(gql: GraphQL) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="EUR")
    item = product_input("limits", skus=1)
    item |= {"brand": "b" * (BRAND_MAX + 1), "category": "c" * (CATEGORY_MAX + 1), "title": "Nul\u0000"}
    item["images"] = ["javascript:alert(1)", "data:image/png;base64,AAAA", "https://x.test/" + "a" * URL_MAX]
    item["skus"][0] |= {
        "gtin": "1" * (GTIN_MAX + 1),
        "mpn": "m" * (MPN_MAX + 1),
        "image": "javascript:alert(document.cookie)",
        "sku": "CODE\u0000",
        "quantity": 2**31 - 1,
    }
    item["skus"][0]["options"][0]["value"] = "v" * 300
    payload = await upsert(gql, owner["token"], merchant["id"], [item])
    fields = {".".join(e["field"]) for e in payload["userErrors"]}
    assert fields == {
        "products.0.title",
        "products.0.brand",
        "products.0.category",
        "products.0.images.0",
        "products.0.images.1",
        "products.0.images.2",
        "products.0.skus.0.sku",
        "products.0.skus.0.gtin",
        "products.0.skus.0.mpn",
        "products.0.skus.0.image",
        "products.0.skus.0.quantity",
        "products.0.skus.0.options.0.value",
    }, payload["userErrors"]
    assert payload["products"] == []
    fine = product_input("fine", skus=1)
    fine["skus"][0]["image"] = "https://img.example/fine.jpg"
    assert (await upsert(gql, owner["token"], merchant["id"], [fine]))["userErrors"] == []


async def test_concurrent_create_merchant_with_one_handle_gives_conflicts_not_errors(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owners = [await sign_up(gql) for _ in range(6)]

    async def create(token: str) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={
                "query": CREATE_MERCHANT,
                "variables": {"input": {"handle": "same-handle", "name": "Same"}},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["createMerchant"]

    payloads = await asyncio.gather(*(create(owner["token"]) for owner in owners))
    winners = [p for p in payloads if p["merchant"] is not None]
    losers = [p for p in payloads if p["merchant"] is None]
    assert len(winners) == 1 and len(losers) == 5, payloads
    assert all(p["userErrors"][0]["code"] == "CONFLICT" for p in losers), losers
