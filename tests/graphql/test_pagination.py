"""Keyset pagination: every product exactly once, in order, even while rows are inserted."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import GraphQL
from tests.factories import create_merchant, product_input, sign_up, upsert

PAGE = """query($first: Int, $after: String) {
  products(first: $first, after: $after) { edges { node { handle } } pageInfo { hasNextPage endCursor } }
}"""


async def _walk(gql: GraphQL, first: int, on_page=None) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        body = await gql(PAGE, {"first": first, "after": after})
        connection = body["data"]["products"]
        seen.extend(e["node"]["handle"] for e in connection["edges"])
        if on_page is not None:
            await on_page()
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(min_value=0, max_value=35),
    first=st.integers(min_value=1, max_value=12),
    inserts=st.integers(0, 3),
)
async def test_walk_returns_every_product_once_in_order(
    gql: GraphQL, total: int, first: int, inserts: int
) -> None:
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"])
    prefix = merchant["handle"]
    existing = [f"{prefix}-{i}" for i in range(total)]
    for start in range(0, total, 100):
        payload = await upsert(
            gql,
            owner["token"],
            merchant["id"],
            [product_input(h, skus=1) for h in existing[start : start + 100]],
        )
        assert payload["userErrors"] == []
    counter = iter(range(10_000))

    async def insert_more() -> None:
        batch = [product_input(f"{prefix}-new-{next(counter)}", skus=1) for _ in range(inserts)]
        if batch:
            await upsert(gql, owner["token"], merchant["id"], batch)

    walked = [
        h for h in await _walk(gql, first, insert_more) if h.startswith(prefix + "-") and "-new-" not in h
    ]
    # Newest first: the original products appear exactly once, in reverse creation order; rows
    # inserted while walking sort before the cursor and never shift or repeat a page.
    assert walked == list(reversed(existing))
