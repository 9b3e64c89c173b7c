"""The served schema matches schema.graphql; abusive queries are refused with readable messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import graphql
import pytest
from litestar.testing import AsyncTestClient

from shoppable.graphql.core.lookahead import fields_looked_for
from shoppable.graphql.schema import build_schema
from shoppable.settings import Settings
from tests.conftest import GraphQL

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_file_is_in_sync() -> None:
    live = build_schema(Settings(debug=True)).as_str().strip() + "\n"
    assert SCHEMA_FILE.read_text() == live, "schema.graphql is stale: run `shoppable schema > schema.graphql`"


async def test_depth_limit(gql: GraphQL) -> None:
    deep = "{ products { edges { node { skus { edges { node { product { skus { edges { node { product { skus { edges { node { id } } } } } } } } } } } } } } }"
    body = await gql(deep, expect_errors=True)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(gql: GraphQL) -> None:
    aliases = " ".join(f"a{i}: viewer {{ email }}" for i in range(40))
    body = await gql("{ " + aliases + " }", expect_errors=True)
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_cost_limit(gql: GraphQL) -> None:
    costly = "{ products(first: 100) { edges { node { skus(first: 100) { edges { node { product { skus(first: 100) { edges { node { id } } } } } } } } } } }"
    body = await gql(costly, expect_errors=True)
    assert body["errors"][0]["message"].startswith("Query cost")


async def test_internal_errors_are_masked(gql: GraphQL) -> None:
    body = await gql("{ __typename }")
    assert body["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        # A password is hashed, a handle and a search are sent to the database, a bad DateTime is
        # echoed in the error: each raised UnicodeEncodeError (500 or "Unexpected error.").
        (
            'mutation($p: String!) { logIn(input: {email: "a@example.com", password: $p}) { token } }',
            {"p": "\ud800"},
        ),
        ("query($h: String!) { creator(handle: $h) { id } }", {"h": "a\udfffb"}),
        ("query($q: String!) { creators(query: $q) { edges { cursor } } }", {"q": "\ud800"}),
        ("query($b: [String!]) { products(filter: {brands: $b}) { edges { cursor } } }", {"b": ["\udc00"]}),
        (
            'mutation($t: DateTime!) { trackEvents(input: {events: [{eventId: "e1", type: IMPRESSION,'
            " occurredAt: $t}]}) { accepted } }",
            {"t": "\ud800"},
        ),
    ],
)
async def test_lone_surrogates_are_refused_as_bad_json(
    client: AsyncTestClient[Any], query: str, variables: dict[str, Any]
) -> None:
    """`"\\ud800"` is valid JSON syntax but no Unicode text: the body is refused with a 400, whether the
    surrogate comes as an escape or as its (invalid) UTF-8 bytes."""
    as_escape = json.dumps({"query": query, "variables": variables}, ensure_ascii=True).encode()
    as_bytes = json.dumps({"query": query, "variables": variables}, ensure_ascii=False).encode(
        "utf-8", "surrogatepass"
    )
    for body in (as_escape, as_bytes):
        response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert "Unexpected error" not in response.text
    paired = json.dumps(
        {"query": "query($h: String!) { creator(handle: $h) { id } }", "variables": {"h": "\U0001f600"}}
    )
    response = await client.post(
        "/graphql", content=paired.encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200 and response.json() == {"data": {"creator": None}}, response.text


async def test_a_body_nested_too_deeply_is_refused_as_bad_json(client: AsyncTestClient[Any]) -> None:
    """The JSON decoder's RecursionError used to escape as a 500."""
    for body in (b"[" * 5000 + b"]" * 5000, b'{"query": "{ __typename }", "variables": ' + b"[" * 100_000):
        response = await client.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text


def test_every_field_a_prefetch_looks_for_exists_in_the_schema() -> None:
    build_schema(Settings(debug=True))  # imports every type, and so every prefetch declaration
    schema = graphql.build_schema(SCHEMA_FILE.read_text())
    looked_for = fields_looked_for()
    assert {type_name for type_name, _ in looked_for} >= {"Product", "Post", "Creator", "Media"}
    missing = sorted(
        f"{type_name}.{field}"
        for type_name, field in looked_for
        if field not in getattr(schema.type_map.get(type_name), "fields", {})
    )
    assert not missing, f"prefetches look for fields the schema does not have: {missing}"
