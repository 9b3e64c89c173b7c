"""Feed pages run a fixed number of SQL statements: the same for 5 and for 20 cards, anonymous and
signed in with personalization, on a walk's first page and on the pages after it."""

from __future__ import annotations

from typing import Any

from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.feed_world import World

FEED = """query($first: Int, $after: String) { feed(first: $first, after: $after) {
  edges { cursor source reasons { code text } node {
  __typename
  ... on Post { id caption likeCount viewerHasLiked creator { handle followerCount viewerFollows }
                media { url width } productTags { x y product { title priceRange { minPrice { amount } } } }
                disclosure { label partner { name } } }
  ... on Product { id title availability merchant { name } images { url }
                   priceRange { minPrice { amount } } skus { edges { node { sku price { amount } } } } }
} } pageInfo { hasNextPage endCursor } } }"""

MOST = {
    # (viewer, page) -> the most statements such a page may run on SQLite; PostgreSQL runs one fewer.
    # Counted: what the app's async engine sends. On SQLite that includes two BEGINs a page (the
    # read transaction, and the one reopened for the cards after the write) but not the session's
    # write, which runs whole on the synchronous writer connection (`SqlTransaction.write_at_once`:
    # BEGIN IMMEDIATE, the session row, the served items); on PostgreSQL it includes that write (one
    # statement) but not BEGIN and COMMIT, which asyncpg sends itself. Measured: SQLite 7/7 and 9/8,
    # PostgreSQL 6/6 and 8/7. Of these, the cards are 4 statements: posts (with their creators, tags,
    # disclosed partners and the viewer's likes and follows), products (with their merchants), their
    # SKUs and images (one UNION ALL), and the posts' media with renditions. The rest is the BEGINs,
    # the viewer's user row when signed in, and the feed's own reads (candidates, or the session)
    # (issue 16 asks for 10 in all).
    ("anonymous", "first"): 7,
    ("anonymous", "later"): 7,
    ("personalized", "first"): 9,
    ("personalized", "later"): 8,
}


async def _walk(gql: GraphQL, count_statements: Any, token: str | None, first: int) -> dict[str, int]:
    """Statements of a walk's first page and of its third page (a later one, with served history)."""
    counts = {}
    after = None
    for number in range(3):
        count_statements.count = 0
        body = await gql(FEED, {"first": first, "after": after}, token=token)
        feed = body["data"]["feed"]
        assert len(feed["edges"]) == first
        if number in (0, 2):
            counts["first" if number == 0 else "later"] = count_statements.count
        after = feed["pageInfo"]["endCursor"]
    return counts


async def test_feed_statements_do_not_grow_with_page_size(
    gql: GraphQL, database: Database, count_statements: Any, backend: str
) -> None:
    world = World(database)
    await world.catalog(merchants=8, products_each=12)
    shopper = await world.user(consent=True)
    creators = await world.creators(12)
    for index, creator in enumerate(creators):
        await world.posts(creator, 6, tag=world.product_ids[index * 3 : index * 3 + 3])
        await world.follow(shopper["id"], creator)
    for number, post in enumerate(world.post_ids[::3]):  # partners both among the cards' merchants and not
        await world.set_post(
            post,
            disclosure_kind="PAID_PARTNERSHIP",
            disclosure_partner_id=world.merchants[number % len(world.merchants)].id,
            disclosure_status="CONFIRMED",
        )
    for viewer, token in (("anonymous", None), ("personalized", shopper["token"])):
        await gql(FEED, {"first": 5}, token=token)  # warm the shared trending snapshot
        small = await _walk(gql, count_statements, token, 5)
        large = await _walk(gql, count_statements, token, 20)
        assert small == large, (viewer, small, large)
        for page, statements in small.items():
            most = MOST[viewer, page] - (backend == "postgres")
            assert statements <= most, (viewer, page, statements)


async def test_folded_card_fields_answer_for_their_own_viewer(gql: GraphQL, database: Database) -> None:
    # The posts' tags and the viewer's likes and follows are read in the posts' statement; each
    # viewer still gets their own answers (and an anonymous viewer none), on every page.
    world = World(database)
    await world.catalog(merchants=2, products_each=6)
    creators = await world.creators(4)
    tagged: dict[int, int] = {}
    for index, creator in enumerate(creators):
        for post in await world.posts(creator, 3, tag=world.product_ids[index : index + index % 3]):
            tagged[post] = index % 3
    one, other = await world.user(consent=True), await world.user(consent=True)
    follows = {one["id"]: set(creators[:2]), other["id"]: {creators[3]}}
    likes = {one["id"]: set(world.post_ids[::2]), other["id"]: set(world.post_ids[1:4])}
    for user_id in follows:
        for creator in follows[user_id]:
            await world.follow(user_id, creator)
        for post in likes[user_id]:
            await world.like(user_id, post)
    partners = {post: world.merchants[number % 2] for number, post in enumerate(world.post_ids[1::2])}
    for post, merchant in partners.items():
        await world.set_post(
            post,
            disclosure_kind="AFFILIATE",
            disclosure_partner_id=merchant.id,
            disclosure_status="CONFIRMED",
        )
    handles = {world.creator_handles[c]: c for c in creators}
    for viewer in (one, other, None):
        token, user_id = (viewer["token"], viewer["id"]) if viewer else (None, None)
        seen, after = 0, None
        while True:
            feed = (await gql(FEED, {"first": 5, "after": after}, token=token))["data"]["feed"]
            for edge in feed["edges"]:
                node = edge["node"]
                if node["__typename"] != "Post":
                    continue
                post = next(p for p in world.post_ids if encode_id("Post", p) == node["id"])
                creator = handles[node["creator"]["handle"]]
                assert node["viewerHasLiked"] is (post in likes.get(user_id, set())), (viewer, post)
                assert node["creator"]["viewerFollows"] is (creator in follows.get(user_id, set()))
                assert len(node["productTags"]) == tagged[post]
                partner = node["disclosure"] and node["disclosure"]["partner"]["name"]
                assert partner == (partners[post].name if post in partners else None)
                seen += 1
            if not feed["pageInfo"]["hasNextPage"]:
                break
            after = feed["pageInfo"]["endCursor"]
        assert seen == len(world.post_ids), (viewer, seen)
