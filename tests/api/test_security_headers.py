"""Every response carries security headers; introspection is off unless DEBUG (or the setting) turns it on."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.api.app import create_app
from shoppable.settings import Settings

INTROSPECTION = "{ __schema { queryType { name } } }"


async def test_api_answers_carry_a_strict_policy(client: AsyncTestClient[Any]) -> None:
    for response in (
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.get("/health"),
        await client.get("/v1/catalog/imports/1"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")


async def test_introspection_is_off_in_production(client: AsyncTestClient[Any]) -> None:
    body = (await client.post("/graphql", json={"query": INTROSPECTION})).json()
    assert body["data"] is None and "introspection" in body["errors"][0]["message"].lower()


async def test_introspection_follows_the_setting(settings: Settings) -> None:
    enabled = settings.model_copy(update={"graphql_introspection": True})
    async with AsyncTestClient(app=create_app(enabled)) as client:
        body = (await client.post("/graphql", json={"query": INTROSPECTION})).json()
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_media_is_sandboxed(client: AsyncTestClient[Any]) -> None:
    response = await client.get("/media/nothing-here.webp")
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
