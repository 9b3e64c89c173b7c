"""A merchant's imports through REST and GraphQL: the list (newest first, keyset pages), cancelling,
and what the owner reads of stock it does not track."""

from __future__ import annotations

import json
from typing import Any

from litestar.testing import AsyncTestClient

from tests.api.test_catalog_imports import merchant_key, post_import, wait_for
from tests.conftest import GraphQL

IMPORTS = """query($h: String!, $first: Int, $after: String) { merchant(handle: $h) {
  catalogImports(first: $first, after: $after) { pageInfo { hasNextPage endCursor }
    nodes { id status counts { created } cancelRequestedAt } } } }"""
CANCEL = """mutation($id: ID!) { cancelCatalogImport(input: {importId: $id}) {
  catalogImport { status } userErrors { field code message } } }"""


def line(handle: str, quantity: int | None = 3) -> bytes:
    sku: dict[str, Any] = {"sku": handle, "price": {"amount": "5.00", "currencyCode": "EUR"}}
    if quantity is not None:
        sku["quantity"] = quantity
    return (json.dumps({"handle": handle, "title": handle.title(), "skus": [sku]}) + "\n").encode()


async def test_imports_listed_newest_first_and_cancel_answers(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, key = await merchant_key(gql)
    _stranger, _other, other_key = await merchant_key(gql)
    auth = {"Authorization": f"Bearer {key}"}
    ids = []
    for i in range(3):
        job = await post_import(client, key, line(f"p{i}"), format="jsonl")
        await wait_for(client, key, job["id"])
        ids.append(job["id"])
    page = (await client.get("/v1/catalog/imports", params={"first": 2}, headers=auth)).json()
    assert [j["id"] for j in page["imports"]] == [ids[2], ids[1]] and page["nextCursor"]
    rest = (
        await client.get("/v1/catalog/imports", params={"after": page["nextCursor"]}, headers=auth)
    ).json()
    assert [j["id"] for j in rest["imports"]] == [ids[0]] and rest["nextCursor"] is None
    assert (await client.get("/v1/catalog/imports", params={"after": "x.y"}, headers=auth)).status_code == 400
    assert (await client.get("/v1/catalog/imports", params={"first": 0}, headers=auth)).status_code == 400
    other = await client.get(
        "/v1/catalog/imports",
        params={"merchant": merchant["handle"]},
        headers={"Authorization": f"Bearer {other_key}"},
    )
    assert other.status_code == 404
    finished = await client.post(f"/v1/catalog/imports/{ids[0]}/cancel", headers=auth)
    assert finished.status_code == 409 and "already ended" in finished.json()["detail"]
    for path in (f"/v1/catalog/imports/{ids[0]}/cancel", "/v1/catalog/imports/99999999/cancel"):
        response = await client.post(path, headers={"Authorization": f"Bearer {other_key}"})
        assert response.status_code == 404, response.text
    body = await gql(IMPORTS, {"h": merchant["handle"], "first": 2}, token=owner["token"])
    connection = body["data"]["merchant"]["catalogImports"]
    assert len(connection["nodes"]) == 2 and connection["pageInfo"]["hasNextPage"]
    assert all(n["status"] == "succeeded" and n["counts"]["created"] == 1 for n in connection["nodes"])
    hidden = await gql(IMPORTS, {"h": merchant["handle"]}, token=other_key)
    assert hidden["data"]["merchant"]["catalogImports"] is None
    cancel = await gql(CANCEL, {"id": connection["nodes"][0]["id"]}, token=owner["token"])
    assert cancel["data"]["cancelCatalogImport"]["userErrors"][0]["code"] == "CONFLICT"


async def test_the_owner_can_tell_untracked_stock_from_hidden_stock(
    client: AsyncTestClient[Any], gql: GraphQL
) -> None:
    owner, merchant, key = await merchant_key(gql)
    job = await post_import(client, key, line("counted", 4) + line("uncounted", None), format="jsonl")
    assert (await wait_for(client, key, job["id"]))["status"] == "succeeded"
    query = """query($h: String!) { merchant(handle: $h) { products(first: 5) { nodes {
      skus { nodes { sku quantityAvailable inventoryTracked } } } } } }"""
    seen = {}
    for who, token in (("owner", owner["token"]), ("key", key), ("anonymous", None)):
        body = await gql(query, {"h": merchant["handle"]}, token=token)
        seen[who] = {
            s["sku"]: (s["quantityAvailable"], s["inventoryTracked"])
            for p in body["data"]["merchant"]["products"]["nodes"]
            for s in p["skus"]["nodes"]
        }
    assert seen["owner"] == seen["key"] == {"counted": (4, True), "uncounted": (None, False)}
    assert seen["anonymous"] == {"counted": (None, None), "uncounted": (None, None)}
