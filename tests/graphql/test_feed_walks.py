"""The feed never runs dry: walking it serves every eligible item exactly once before `hasNextPage`
turns false, on the demo data and on a generated catalog with few creators and merchants; and its
reasons are true of what the viewer did (like vs save vs view), most specific first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from shoppable.demo.catalog import DEMO_PASSWORD
from shoppable.demo.seed import seed_all
from shoppable.domain.catalog.availability import SELLABLE
from shoppable.domain.feed.model import PERSONAL_REASONS
from shoppable.graphql.core.ids import encode_id, parse_id
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.feed import queries as tables
from shoppable.storage.tables import SaveRow
from tests.conftest import GraphQL
from tests.feed_world import World

FEED = """query($first: Int, $after: String, $mode: FeedMode) {
  feed(first: $first, after: $after, mode: $mode) {
    edges { source reasons { code text }
      node { __typename ... on Post { id creator { handle } } ... on Product { id title merchant { id } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
HIDE = "mutation($i: HideFromFeedInput!) { hideFromFeed(input: $i) { userErrors { code } } }"
PERSONAL = {c.value for c in PERSONAL_REASONS}


async def walk_to_the_end(gql: GraphQL, *, first: int, token: str | None = None) -> list[dict[str, Any]]:
    """Every page until `hasNextPage` is false (at most 100 pages), checking each page is full but the last."""
    edges: list[dict[str, Any]] = []
    after = None
    for _ in range(100):
        body = await gql(FEED, {"first": first, "after": after}, token=token)
        assert "errors" not in body, body
        connection = body["data"]["feed"]
        edges += connection["edges"]
        if not connection["pageInfo"]["hasNextPage"]:
            return edges
        assert len(connection["edges"]) == first, "only the last page may be short"
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the feed did not end")


def served(edges: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [parse_id(e["node"]["id"]) for e in edges]


async def eligible(database: Database, hidden: set[tuple[str, int]] = frozenset()) -> set[tuple[str, int]]:  # type: ignore[assignment]
    """Published posts and products on sale now, from the tables themselves, minus what was hidden."""
    uow = database.unit_of_work()
    async with uow:
        posts = await uow.execute(
            select(tables.posts.c.id, tables.posts.c.creator_id).where(
                tables.posts.c.status == "PUBLISHED", tables.posts.c.deleted_at.is_(None)
            )
        )
        products = await uow.execute(
            select(tables.products.c.id, tables.products.c.merchant_id).where(
                tables.products.c.status == "ACTIVE",
                tables.products.c.availability.in_([a.value for a in SELLABLE]),
            )
        )
        found = {
            ("Post", r.id)
            for r in posts
            if ("Post", r.id) not in hidden and ("Creator", r.creator_id) not in hidden
        }
        found |= {
            ("Product", r.id)
            for r in products
            if ("Product", r.id) not in hidden and ("Merchant", r.merchant_id) not in hidden
        }
    return found


def assert_exactly_once(edges: list[dict[str, Any]], expected: set[tuple[str, int]]) -> None:
    items = served(edges)
    assert len(items) == len(set(items)), "an item was served twice"
    assert set(items) == expected, (sorted(expected - set(items)), sorted(set(items) - expected))


@pytest.fixture
async def small_world(database: Database) -> World:
    """Few creators and merchants: two merchants (one product sold out), three creators of whom one
    posts most, posts from this week and from a month ago (the archive), products tagged in posts."""
    world = World(database)
    await world.catalog(merchants=2, products_each=9)
    await world.set_stock(world.product_ids[0], 0, "OUT_OF_STOCK")
    prolific, occasional, rare = await world.creators(3)
    await world.posts(prolific, 9, tag=world.product_ids[1:3])
    await world.posts(prolific, 4, age_hours=24 * 30)
    await world.posts(occasional, 3, tag=world.product_ids[9:10], age_hours=5)
    await world.posts(rare, 1, age_hours=24 * 40)
    return world


@pytest.mark.parametrize("first", [5, 7])
async def test_an_anonymous_walk_serves_every_eligible_item_once(
    gql: GraphQL, database: Database, small_world: World, first: int
) -> None:
    edges = await walk_to_the_end(gql, first=first)
    assert_exactly_once(edges, await eligible(database))
    codes = {r["code"] for e in edges for r in e["reasons"]}
    assert "FROM_THE_ARCHIVE" in codes  # the month-old posts, once the fresh ones ran out
    assert not codes & PERSONAL
    assert all(e["reasons"] and all(r["text"] for r in e["reasons"]) for e in edges)


async def test_a_personalized_walk_serves_every_eligible_item_once_minus_what_was_hidden(
    gql: GraphQL, database: Database, small_world: World
) -> None:
    world = small_world
    shopper = await world.user(consent=True)
    _prolific, occasional, rare = world.creator_ids[-3:]
    await world.follow(shopper["id"], occasional)
    await world.like(shopper["id"], world.post_ids[0])
    hidden = {("Product", world.product_ids[4]), ("Creator", rare)}
    for kind, pk in hidden:
        body = await gql(HIDE, {"i": {"subjectId": encode_id(kind, pk)}}, token=shopper["token"])
        assert body["data"]["hideFromFeed"]["userErrors"] == []
    edges = await walk_to_the_end(gql, first=6, token=shopper["token"])
    assert_exactly_once(edges, await eligible(database, hidden))
    assert {"FOLLOWING", "PERSONALIZED"} <= {e["source"] for e in edges}
    # A personal reason, where there is one, comes first.
    for edge in edges:
        codes = [r["code"] for r in edge["reasons"]]
        if set(codes) & PERSONAL:
            assert codes[0] in PERSONAL, codes


async def test_a_catalog_larger_than_the_ranked_candidates_is_served_to_its_long_tail(
    gql: GraphQL, database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=2, products_each=60)  # more than the snapshot's newest 100
    creator = (await world.creators(1))[0]
    await world.posts(creator, 2, tag=world.product_ids[:2])  # the oldest products, tagged in posts
    edges = await walk_to_the_end(gql, first=40)
    assert_exactly_once(edges, await eligible(database))
    reasons = {parse_id(e["node"]["id"]): e["reasons"] for e in edges}
    tagged = reasons[("Product", world.product_ids[0])]
    assert tagged[0] == {
        "code": "SEEN_IN_POST",
        "text": f"Seen in a post by @{world.creator_handles[creator]}",
    }
    assert "EXPLORE" in {r["code"] for why in reasons.values() for r in why}


async def test_a_walk_started_before_new_posts_arrive_still_ends_with_everything_once(
    gql: GraphQL, database: Database, small_world: World
) -> None:
    edges: list[dict[str, Any]] = []
    body = await gql(FEED, {"first": 4})
    edges += body["data"]["feed"]["edges"]
    await small_world.posts(small_world.creator_ids[-1], 2, age_hours=0)  # posted mid-scroll
    after = body["data"]["feed"]["pageInfo"]["endCursor"]
    while True:
        connection = (await gql(FEED, {"first": 4, "after": after}))["data"]["feed"]
        edges += connection["edges"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert_exactly_once(edges, await eligible(database))


async def test_reasons_say_saved_when_the_viewer_saved_and_liked_when_they_liked(
    gql: GraphQL, database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=2, products_each=3)
    saver = await world.user(consent=True)
    liker = await world.user(consent=True)
    saved_creator, liked_creator = await world.creators(2)
    saved_post = (await world.posts(saved_creator, 2, tag=[world.product_ids[0]]))[0]
    liked_post = (await world.posts(liked_creator, 2, tag=[world.product_ids[3]]))[0]
    await world._insert(SaveRow, user_id=saver["id"], post_id=saved_post, created_at=datetime.now(UTC))
    await world.like(liker["id"], liked_post)

    saver_texts = {
        r["text"] for e in await walk_to_the_end(gql, first=10, token=saver["token"]) for r in e["reasons"]
    }
    liker_texts = {
        r["text"] for e in await walk_to_the_end(gql, first=10, token=liker["token"]) for r in e["reasons"]
    }
    saved_handle, liked_handle = world.creator_handles[saved_creator], world.creator_handles[liked_creator]
    assert f"You saved a post by @{saved_handle}" in saver_texts
    assert "Tagged in a post you saved" in saver_texts
    assert not {t for t in saver_texts if "liked" in t}, saver_texts  # the saver liked nothing
    assert f"You liked a post by @{liked_handle}" in liker_texts
    assert "Tagged in a post you liked" in liker_texts
    assert not {t for t in liker_texts if "saved" in t}, liker_texts


async def purchased(database: Database, email: str) -> set[int]:
    """Products in the user's orders that were not cancelled, from the tables themselves."""
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT DISTINCT l.product_id FROM order_lines l JOIN orders o ON o.id = l.order_id "
                "JOIN users u ON u.id = o.user_id WHERE u.email = :email AND o.status != 'CANCELLED'"
            ),
            {"email": email},
        )
        return {r[0] for r in rows}


@pytest.mark.usefixtures("demo_images_once")
async def test_demo_data_walks_serve_every_eligible_item_once(
    gql: GraphQL, database: Database, settings: Settings
) -> None:
    await seed_all(settings)
    anonymous = await walk_to_the_end(gql, first=5)
    everything = await eligible(database)
    assert len(everything) > 20  # more than the single page the old feed stopped after
    assert_exactly_once(anonymous, everything)

    logged_in = await gql(
        "mutation($i: LogInInput!) { logIn(input: $i) { token userErrors { code } } }",
        {"i": {"email": "shopper@shoppable.dev", "password": DEMO_PASSWORD}},
    )
    token = logged_in["data"]["logIn"]["token"]
    personal = await walk_to_the_end(gql, first=5, token=token)
    # The demo shopper bought things (the seeded orders): those stay out of their feed.
    bought = await purchased(database, "shopper@shoppable.dev")
    assert bought
    assert_exactly_once(personal, everything - {("Product", product_id) for product_id in bought})
    assert "PERSONALIZED" in {e["source"] for e in personal}
    for edge in personal:
        codes = [r["code"] for r in edge["reasons"]]
        if set(codes) & PERSONAL:
            assert codes[0] in PERSONAL, codes


async def test_an_archive_post_is_never_called_new(gql: GraphQL, database: Database) -> None:
    world = World(database)
    creator = (await world.creators(1))[0]
    old = (await world.posts(creator, 1, age_hours=24 * 20))[0]
    await world.posts(creator, 1, age_hours=1)
    edges = await walk_to_the_end(gql, first=5)
    by_id = {parse_id(e["node"]["id"])[1]: e for e in edges}
    handle = world.creator_handles[creator]
    assert by_id[old]["reasons"][0] == {"code": "FROM_THE_ARCHIVE", "text": f"From @{handle}'s archive"}
    assert any(r["code"] == "LATEST_POST" for e in edges for r in e["reasons"])
