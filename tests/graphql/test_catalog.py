"""Catalog through GraphQL: upsert rules, visibility, node lookups, pagination."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL
from tests.factories import (
    create_api_key,
    create_merchant,
    merchant_with_products,
    product_input,
    sign_up,
    upsert,
)

PRODUCTS = """
query($first: Int, $after: String, $query: String, $merchant: String) {
  products(first: $first, after: $after, query: $query, merchantHandle: $merchant) {
    edges { cursor node { id handle title status availability
      priceRange { minPrice { amount currencyCode } maxPrice { amount currencyCode } }
      options { name values } images { url } merchant { handle }
      skus { edges { node { sku price { amount } compareAtPrice { amount } availability quantityAvailable
        selectedOptions { name value } } } } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def _owner_and_merchant(gql: GraphQL, **kw: Any) -> tuple[dict, dict]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], **kw)
    return owner, merchant


async def test_upsert_creates_then_updates_by_handle(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql, lowStockThreshold=5)
    shoe = product_input("trail-shoe", skus=3)
    shoe["skus"][1]["compareAtPrice"] = {"amount": "99.00", "currencyCode": "EUR"}
    created = await upsert(gql, owner["token"], merchant["id"], [shoe])
    assert created["userErrors"] == []
    body = await gql(PRODUCTS, {"first": 5})
    node = body["data"]["products"]["edges"][0]["node"]
    assert node["handle"] == "trail-shoe" and node["status"] == "ACTIVE"
    assert node["priceRange"] == {
        "minPrice": {"amount": "10.50", "currencyCode": "EUR"},
        "maxPrice": {"amount": "12.50", "currencyCode": "EUR"},
    }
    assert node["options"] == [{"name": "Size", "values": ["S0", "S1", "S2"]}]
    skus = [e["node"] for e in node["skus"]["edges"]]
    assert [s["availability"] for s in skus] == ["OUT_OF_STOCK", "IN_STOCK", "IN_STOCK"]
    assert skus[1]["compareAtPrice"] == {"amount": "99.00"}
    assert all(s["quantityAvailable"] is None for s in skus)  # anonymous callers never see stock
    assert node["availability"] == "IN_STOCK"
    shoe["title"] = "Trail Shoe v2"
    shoe["skus"] = [*shoe["skus"][:1], {**shoe["skus"][2], "quantity": 2}]
    updated = await upsert(gql, owner["token"], merchant["id"], [shoe])
    assert updated["products"][0]["id"] == created["products"][0]["id"]
    node = (await gql(PRODUCTS, {"first": 5}, token=owner["token"]))["data"]["products"]["edges"][0]["node"]
    assert node["title"] == "Trail Shoe v2"
    assert [
        (s["node"]["sku"], s["node"]["availability"], s["node"]["quantityAvailable"])
        for s in node["skus"]["edges"]
    ] == [
        ("trail-shoe-0", "OUT_OF_STOCK", 0),
        ("trail-shoe-2", "LOW_STOCK", 2),
    ]
    assert node["availability"] == "LOW_STOCK"


async def test_upsert_bad_input_reports_paths_and_writes_nothing(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    good = product_input("good-one")
    bad_price = product_input("bad-price")
    bad_price["skus"][0]["price"] = {"amount": "12,50", "currencyCode": "EUR"}
    bad_currency = product_input("bad-currency")
    bad_currency["skus"][1]["price"] = {"amount": "1.00", "currencyCode": "EURO"}
    duplicate = product_input("dupes")
    duplicate["skus"][1]["sku"] = duplicate["skus"][0]["sku"]
    missing = product_input("missing-title", title="  ")
    no_skus = {**product_input("no-skus"), "skus": []}
    negative = product_input("negative")
    negative["skus"][0]["quantity"] = -1
    payload = await upsert(
        gql,
        owner["token"],
        merchant["id"],
        [good, bad_price, bad_currency, duplicate, missing, no_skus, negative],
    )
    errors = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
    assert errors == {
        (("products", "1", "skus", "0", "price", "amount"), "INVALID"),
        (("products", "2", "skus", "1", "price", "currencyCode"), "INVALID"),
        (("products", "3", "skus", "1", "sku"), "DUPLICATE"),
        (("products", "4", "title"), "REQUIRED"),
        (("products", "5", "skus"), "REQUIRED"),
        (("products", "6", "skus", "0", "quantity"), "INVALID"),
    }
    assert payload["products"] == []
    listing = await gql(PRODUCTS, {"first": 10, "merchant": merchant["handle"]}, token=owner["token"])
    assert listing["data"]["products"]["edges"] == []  # the good product was not half-written either


async def test_sku_code_conflict_across_products_is_rejected(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    await upsert(gql, owner["token"], merchant["id"], [product_input("first")])
    clash = product_input("second")
    clash["skus"][0]["sku"] = "first-0"
    payload = await upsert(gql, owner["token"], merchant["id"], [clash])
    assert payload["userErrors"][0]["field"] == ["products", "0", "skus", "0", "sku"]
    assert payload["userErrors"][0]["code"] == "CONFLICT"


async def test_upsert_limits(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    payload = await upsert(gql, owner["token"], merchant["id"], [product_input(f"p{i}") for i in range(101)])
    assert payload["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    same = await upsert(gql, owner["token"], merchant["id"], [product_input("x"), product_input("x")])
    assert same["userErrors"][0]["code"] in {"DUPLICATE"}


async def test_merchant_a_cannot_touch_or_see_merchant_b(gql: GraphQL) -> None:
    owner_a, merchant_a = await _owner_and_merchant(gql)
    owner_b, merchant_b = await _owner_and_merchant(gql)
    key_a = await create_api_key(gql, owner_a["token"], merchant_a["id"])
    await upsert(
        gql,
        owner_b["token"],
        merchant_b["id"],
        [product_input("b-draft", status="DRAFT"), product_input("b-live")],
    )
    for token in (owner_a["token"], key_a):
        denied = await upsert(gql, token, merchant_b["id"], [product_input("intruder")])
        assert denied["userErrors"] == [
            {"field": ["merchantId"], "code": "NOT_FOUND", "message": "No such merchant."}
        ]
        seen = await gql(PRODUCTS, {"first": 10, "merchant": merchant_b["handle"]}, token=token)
        nodes = [e["node"] for e in seen["data"]["products"]["edges"]]
        assert [n["handle"] for n in nodes] == ["b-live"]
        assert all(s["node"]["quantityAvailable"] is None for n in nodes for s in n["skus"]["edges"])
        drafts = await gql(
            "query($h: String!) { merchant(handle: $h) { products(status: DRAFT) { edges { node { id } } } } }",
            {"h": merchant_b["handle"]},
            token=token,
        )
        assert drafts["data"]["merchant"]["products"]["edges"] == []
    own = await gql(PRODUCTS, {"first": 10, "merchant": merchant_b["handle"]}, token=owner_b["token"])
    assert {e["node"]["handle"] for e in own["data"]["products"]["edges"]} == {"b-draft", "b-live"}


async def test_node_hides_drafts_and_unknown_ids(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    payload = await upsert(
        gql, owner["token"], merchant["id"], [product_input("hidden", status="DRAFT"), product_input("shown")]
    )
    hidden_id, shown_id = (p["id"] for p in payload["products"])
    hidden_sku = payload["products"][0]["skus"]["edges"][0]["node"]["id"]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { handle } } }"
    stranger = await sign_up(gql)
    from shoppable.graphql.core.ids import encode_id

    missing = encode_id("Product", 999999)
    unknown_type = encode_id("Nothing", 1)
    for token in (None, stranger["token"]):
        body = await gql(
            query, {"ids": [hidden_id, shown_id, missing, hidden_sku, unknown_type]}, token=token
        )
        assert body["data"]["nodes"] == [None, {"id": shown_id, "handle": "shown"}, None, None, None]
        single = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": hidden_id}, token=token)
        assert single["data"]["node"] is None
    mine = await gql(query, {"ids": [hidden_id]}, token=owner["token"])
    assert mine["data"]["nodes"] == [{"id": hidden_id, "handle": "hidden"}]


async def test_malformed_ids_and_bad_pagination_are_bad_user_input(gql: GraphQL) -> None:
    cases = [
        ('query { node(id: "!!!") { id } }', {}),
        ("query($f: Int) { products(first: $f) { edges { cursor } } }", {"f": 0}),
        ("query($f: Int) { products(first: $f) { edges { cursor } } }", {"f": 1000}),
        ("query($a: String) { products(after: $a) { edges { cursor } } }", {"a": "garbage"}),
        ("query($a: String) { products(after: $a) { edges { cursor } } }", {"a": "eyJhIjoxfQ.c2lnbmF0dXJl"}),
    ]
    for query, variables in cases:
        body = await gql(query, variables, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (query, body)


async def test_cursor_from_another_list_is_rejected(gql: GraphQL) -> None:
    await merchant_with_products(gql, 3, skus=3)
    body = await gql(
        "{ products(first: 1) { edges { node { skus(first: 1) { pageInfo { endCursor } } } } } }"
    )
    sku_cursor = body["data"]["products"]["edges"][0]["node"]["skus"]["pageInfo"]["endCursor"]
    tampered = sku_cursor[:-2] + ("AA" if not sku_cursor.endswith("AA") else "BB")
    for cursor in (sku_cursor, tampered):
        result = await gql(
            "query($a: String) { products(after: $a) { edges { cursor } } }",
            {"a": cursor},
            expect_errors=True,
        )
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_search_by_title_and_brand(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    await upsert(gql, owner["token"], merchant["id"], [
        product_input("a", title="Merino Wool Sweater", brand="Northwind"),
        product_input("b", title="Rain Jacket", brand="Lumen"),
        product_input("c", title="Wool Socks 100%", brand="Acme"),
    ])  # fmt: skip

    async def handles(q: str) -> list[str]:
        body = await gql(PRODUCTS, {"first": 10, "query": q})
        return sorted(e["node"]["handle"] for e in body["data"]["products"]["edges"])

    assert await handles("wool") == ["a", "c"]
    assert await handles("NORTHWIND sweater") == ["a"]
    assert await handles("100%") == ["c"]
    assert await handles("_") == []


async def test_set_product_status(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    payload = await upsert(gql, owner["token"], merchant["id"], [product_input("toggle")])
    product_id = payload["products"][0]["id"]
    mutation = "mutation($i: SetProductStatusInput!) { setProductStatus(input: $i) { product { status } userErrors { code } } }"
    stranger = await sign_up(gql)
    denied = await gql(
        mutation, {"i": {"productId": product_id, "status": "ARCHIVED"}}, token=stranger["token"]
    )
    assert denied["data"]["setProductStatus"]["userErrors"] == [{"code": "FORBIDDEN"}]
    done = await gql(mutation, {"i": {"productId": product_id, "status": "ARCHIVED"}}, token=owner["token"])
    assert done["data"]["setProductStatus"]["product"]["status"] == "ARCHIVED"
    gone = await gql("query($id: ID!) { product(id: $id) { id } }", {"id": product_id})
    assert gone["data"]["product"] is None
    hidden = await gql(
        mutation, {"i": {"productId": product_id, "status": "ACTIVE"}}, token=stranger["token"]
    )
    assert hidden["data"]["setProductStatus"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_product_by_handles(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    await upsert(gql, owner["token"], merchant["id"], [product_input("by-handle")])
    body = await gql(
        "query($m: String, $h: String) { product(merchantHandle: $m, handle: $h) { handle merchant { handle } } }",
        {"m": merchant["handle"], "h": "by-handle"},
    )
    assert body["data"]["product"] == {"handle": "by-handle", "merchant": {"handle": merchant["handle"]}}
    missing = await gql("query { product { id } }", expect_errors=True)
    assert missing["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_malformed_or_wrong_type_ids_in_inputs_are_invalid_user_errors(gql: GraphQL) -> None:
    owner, merchant = await _owner_and_merchant(gql)
    malformed = {"field": ["merchantId"], "code": "INVALID", "message": "Malformed id."}
    assert (await upsert(gql, owner["token"], "!!!", [product_input("x")]))["userErrors"] == [malformed]
    wrong_type = {"field": ["merchantId"], "code": "INVALID", "message": "Not an id of type Merchant."}
    assert (await upsert(gql, owner["token"], owner["id"], [product_input("x")]))["userErrors"] == [
        wrong_type
    ]
    cases = [
        ("setProductStatus", "SetProductStatusInput", {"productId": merchant["id"], "status": "DRAFT"}, "productId"),
        ("createApiKey", "CreateApiKeyInput", {"merchantId": "not an id"}, "merchantId"),
        ("revokeApiKey", "RevokeApiKeyInput", {"apiKeyId": merchant["id"]}, "apiKeyId"),
    ]  # fmt: skip
    for name, input_type, value, field in cases:
        query = f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ userErrors {{ field code }} }} }}"
        body = await gql(query, {"i": value}, token=owner["token"])
        assert body["data"][name]["userErrors"] == [{"field": [field], "code": "INVALID"}], name
