"""No N+1: statements per page do not grow with the page size."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQL
from tests.factories import merchant_with_products

PAGE = """query($first: Int) { products(first: $first) { edges { node {
  id title merchant { handle name } images { url }
  priceRange { minPrice { amount } }
  skus { edges { node { sku price { amount } quantityAvailable product { handle } } } }
} } } }"""


async def test_products_page_statement_count_is_constant(gql: GraphQL, count_statements: Any) -> None:
    await merchant_with_products(gql, 100, skus=3)
    counts = {}
    for first in (10, 100):
        count_statements.count = 0
        body = await gql(PAGE, {"first": first})
        assert len(body["data"]["products"]["edges"]) == first
        counts[first] = count_statements.count
    assert counts[10] == counts[100], counts
    # BEGIN (SQLite), the search index's page of ids, products with their merchants, and SKUs with
    # images (one UNION ALL, joined to the fetched catalog images the image URLs are served from).
    assert counts[100] <= 4, counts


async def test_nodes_lookup_is_batched(gql: GraphQL, count_statements: Any) -> None:
    await merchant_with_products(gql, 30, skus=1)
    ids = [
        e["node"]["id"]
        for e in (await gql("{ products(first: 30) { edges { node { id } } } }"))["data"]["products"]["edges"]
    ]
    counts = {}
    for size in (3, 30):
        count_statements.count = 0
        body = await gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids[:size]})
        assert len(body["data"]["nodes"]) == size
        counts[size] = count_statements.count
    assert counts[3] == counts[30], counts
