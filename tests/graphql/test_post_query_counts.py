"""No N+1 on post pages: statements per page do not grow with the number of posts."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from tests.conftest import GraphQL
from tests.factories import (
    become_creator,
    create_merchant,
    create_post,
    product_input,
    publish_post,
    sign_up,
    upload_media,
    upsert,
)

POST_PAGE_FIELDS = """
id caption hashtags status publishedAt likeCount saveCount viewerHasLiked viewerHasSaved
creator { id handle displayName followerCount viewerFollows avatar { url } }
mentions { handle }
media { id kind url contentType width height renditions { url width } }
productTags { mediaIndex x y
  product { id title availability merchant { name } priceRange { minPrice { amount currencyCode } } }
  sku { id sku price { amount currencyCode } availability } }
disclosure { label partner { name } }
moderation { statement }
"""
FEATURED_PAGE = f"""query($id: ID!, $first: Int) {{ product(id: $id) {{
  featuredIn(first: $first) {{ edges {{ node {{ {POST_PAGE_FIELDS} }} }} pageInfo {{ hasNextPage }} }} }} }}"""
NODES = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Post {{ {POST_PAGE_FIELDS} }} }} }}"


async def seed_posts(gql: GraphQL, client: AsyncTestClient[Any], count: int) -> dict[str, Any]:
    """`count` published posts by three creators, each tagging the hero product and two others (with SKUs)."""
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], handle="northwind")
    products = (
        await upsert(gql, owner["token"], merchant["id"], [product_input(f"p{i}", skus=2) for i in range(6)])
    )["products"]
    creators = []
    for index in range(3):
        user = await sign_up(gql)
        await become_creator(gql, user["token"], f"creator{index}", avatarMediaId=None)
        creators.append((user, await upload_media(gql, client, user["token"])))
    viewer = await sign_up(gql)
    post_ids = []
    for number in range(count):
        user, media = creators[number % 3]
        tagged = [products[0], products[1 + number % 5], products[1 + (number + 1) % 5]]
        created = await create_post(
            gql,
            user["token"],
            caption=f"Look {number} #look @creator{(number + 1) % 3}",
            mediaIds=[media["id"]],
            productTags=[
                {
                    "productId": p["id"],
                    "skuId": p["skus"]["edges"][number % 2]["node"]["id"],
                    "mediaIndex": 0,
                    "x": 0.1 + 0.2 * i,
                    "y": 0.5,
                }
                for i, p in enumerate(tagged)
            ],
            disclosure={"kind": "AFFILIATE", "partnerId": merchant["id"]},
        )
        assert created["userErrors"] == [], created
        post_ids.append((await publish_post(gql, user["token"], created["post"]["id"]))["id"])
    return {"hero": products[0]["id"], "post_ids": post_ids, "viewer": viewer}


async def test_post_page_statement_count_is_constant(
    gql: GraphQL, client: AsyncTestClient[Any], count_statements: Any
) -> None:
    seeded = await seed_posts(gql, client, 50)
    counts = {}
    for first in (10, 50):
        count_statements.count = 0
        body = await gql(
            FEATURED_PAGE, {"id": seeded["hero"], "first": first}, token=seeded["viewer"]["token"]
        )
        edges = body["data"]["product"]["featuredIn"]["edges"]
        assert len(edges) == first
        assert all(len(e["node"]["productTags"]) == 3 and e["node"]["productTags"][0]["sku"] for e in edges)
        assert {e["node"]["creator"]["handle"] for e in edges} == {"creator0", "creator1", "creator2"}
        counts[first] = count_statements.count
    assert counts[10] == counts[50], counts
    assert counts[50] <= 18, counts  # auth, product, page, then one statement per relation

    node_counts = {}
    for size in (5, 50):
        count_statements.count = 0
        body = await gql(NODES, {"ids": seeded["post_ids"][:size]}, token=seeded["viewer"]["token"])
        assert [n["id"] for n in body["data"]["nodes"]] == seeded["post_ids"][:size]
        node_counts[size] = count_statements.count
    assert node_counts[5] == node_counts[50], node_counts
    # Lists answer from a page-level prefetch, `nodes` through the DataLoaders: the same posts read the same.
    by_id = {n["id"]: n for n in body["data"]["nodes"]}
    assert all(by_id[e["node"]["id"]] == e["node"] for e in edges)
