"""Feed pages of 10 and 50 items run the same number of SQL statements."""

from __future__ import annotations

from typing import Any

from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.feed_world import World

FEED = """query($first: Int) { feed(first: $first) { edges { cursor source reasons { code text } node {
  __typename
  ... on Post { id caption likeCount viewerHasLiked creator { handle followerCount }
                media { url width } productTags { x y product { title priceRange { minPrice { amount } } } } }
  ... on Product { id title availability merchant { name } images { url }
                   priceRange { minPrice { amount } } skus { edges { node { sku price { amount } } } } }
} } pageInfo { hasNextPage endCursor } } }"""


async def test_feed_statements_do_not_grow_with_page_size(
    gql: GraphQL, database: Database, count_statements: Any
) -> None:
    world = World(database)
    await world.catalog(merchants=8, products_each=12)
    shopper = await world.user(consent=True)
    creators = await world.creators(12)
    for index, creator in enumerate(creators):
        await world.posts(creator, 6, tag=world.product_ids[index * 3 : index * 3 + 3])
        await world.follow(shopper["id"], creator)
    for token in (None, shopper["token"]):
        await gql(FEED, {"first": 5}, token=token)  # warm the shared trending snapshot
        counts = {}
        for first in (10, 50):
            count_statements.count = 0
            body = await gql(FEED, {"first": first}, token=token)
            assert len(body["data"]["feed"]["edges"]) == first
            counts[first] = count_statements.count
        assert counts[10] == counts[50], (token is not None, counts)
