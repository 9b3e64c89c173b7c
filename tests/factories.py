"""Small builders for tests: accounts, merchants, API keys and products through the public API."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)

SIGN_UP = """
mutation($input: SignUpInput!) { signUp(input: $input) { token user { id displayName } userErrors { field code message } } }
"""
CREATE_MERCHANT = """
mutation($input: CreateMerchantInput!) {
  createMerchant(input: $input) { merchant { id handle name } userErrors { field code message } }
}
"""
CREATE_KEY = """
mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { id prefix } userErrors { field code message } }
}
"""
UPSERT = """
mutation($input: UpsertProductsInput!) {
  upsertProducts(input: $input) {
    products { id handle title status skus { edges { node { id sku price { amount currencyCode } } } } }
    userErrors { field code message }
  }
}
"""


async def sign_up(
    gql: Any, email: str | None = None, password: str = "correct horse battery"
) -> dict[str, Any]:
    email = email or f"user{next(_counter)}@example.com"
    body = await gql(
        SIGN_UP, {"input": {"email": email, "password": password, "displayName": email.split("@")[0]}}
    )
    payload = body["data"]["signUp"]
    assert payload["userErrors"] == [], payload
    return {"token": payload["token"], "id": payload["user"]["id"], "email": email, "password": password}


async def create_merchant(gql: Any, token: str, handle: str | None = None, **extra: Any) -> dict[str, Any]:
    handle = handle or f"shop-{next(_counter)}"
    body = await gql(
        CREATE_MERCHANT, {"input": {"handle": handle, "name": handle.title(), **extra}}, token=token
    )
    payload = body["data"]["createMerchant"]
    assert payload["userErrors"] == [], payload
    return payload["merchant"]


async def create_api_key(gql: Any, token: str, merchant_id: str) -> str:
    body = await gql(CREATE_KEY, {"input": {"merchantId": merchant_id}}, token=token)
    payload = body["data"]["createApiKey"]
    assert payload["userErrors"] == [], payload
    return payload["key"]


def product_input(
    handle: str, *, skus: int = 2, status: str = "ACTIVE", currency: str = "EUR", **extra: Any
) -> dict:
    return {
        "handle": handle,
        "title": extra.pop("title", f"Product {handle}"),
        "brand": extra.pop("brand", "Acme"),
        "status": status,
        "images": [f"https://img.example/{handle}/{i}.jpg" for i in range(2)],
        "skus": [
            {
                "sku": f"{handle}-{i}",
                "price": {"amount": f"{10 + i}.50", "currencyCode": currency},
                "quantity": 10 * i,
                "options": [{"name": "Size", "value": f"S{i}"}],
            }
            for i in range(skus)
        ],
        **extra,
    }


async def upsert(gql: Any, token: str, merchant_id: str, products: list[dict]) -> dict[str, Any]:
    body = await gql(UPSERT, {"input": {"merchantId": merchant_id, "products": products}}, token=token)
    return body["data"]["upsertProducts"]


async def merchant_with_products(gql: Any, count: int, *, skus: int = 2) -> dict[str, Any]:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    for start in range(0, count, 100):
        batch = [product_input(f"p-{i}", skus=skus) for i in range(start, min(count, start + 100))]
        payload = await upsert(gql, owner["token"], merchant["id"], batch)
        assert payload["userErrors"] == [], payload["userErrors"]
    return {"owner": owner, "merchant": merchant}
