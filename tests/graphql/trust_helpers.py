"""Calls with the headers the trust tests need (device id, Sec-GPC, channel)."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

PASSWORD = "correct horse battery"
AUTH_FIELDS = "token refreshToken expiresAt user { id } session { id channel deviceLabel current } userErrors { field code message }"
SIGN_UP = f"mutation($i: SignUpInput!) {{ signUp(input: $i) {{ {AUTH_FIELDS} }} }}"
LOG_IN = f"mutation($i: LogInInput!) {{ logIn(input: $i) {{ {AUTH_FIELDS} }} }}"
REFRESH = f"mutation($i: RefreshTokenInput!) {{ refreshToken(input: $i) {{ {AUTH_FIELDS} }} }}"


async def call(
    client: AsyncTestClient[Any],
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    if status == 200:
        assert "errors" not in body, body["errors"]
    return body


async def status_of(client: AsyncTestClient[Any], token: str) -> int:
    response = await client.post(
        "/graphql", json={"query": "{ viewer { email } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def signed_up(
    client: AsyncTestClient[Any], email: str, headers: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = await call(
        client,
        SIGN_UP,
        {"i": {"email": email, "password": PASSWORD, "displayName": "Ana Lopez", **extra}},
        headers=headers,
    )
    payload = body["data"]["signUp"]
    assert payload["userErrors"] == [], payload
    return payload


async def logged_in(
    client: AsyncTestClient[Any], email: str, headers: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = await call(client, LOG_IN, {"i": {"email": email, "password": PASSWORD, **extra}}, headers=headers)
    payload = body["data"]["logIn"]
    assert payload["userErrors"] == [], payload
    return payload
