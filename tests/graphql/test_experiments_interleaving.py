"""Interleaving experiments through the real HTTP app: two trained rankers' product cards merged per
session by team draft, each card's team recorded, clicks and adds to cart credited to the ranker that
placed the item, and the report's winner; consent respected; the unfollow guardrail and blend weights."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shoppable.domain.recs.item_meta import ItemRecord
from shoppable.domain.recs.training import train_from_arrays
from shoppable.graphql.core.ids import encode_id
from shoppable.storage import recs_artifacts as artifact
from shoppable.storage.db import Database
from shoppable.storage.tables import SkuRow
from shoppable.storage.tables.experiments import ExperimentTeamRow
from tests.feed_world import World
from tests.graphql.test_experiments_api import (
    CREATE,
    START,
    STOP,
    TRACK,
    Api,
    admin,
    exposures,
)

RESULTS = """query($k: String!) { experiment(key: $k) { kind results { srmOk warnings
  variants { key users exposures metrics { name mean } }
  interleaving { sessions winsA winsB ties pValue preferenceA ciLow ciHigh creditA creditB winner } } } }"""
FEED = """query($first: Int, $after: String) { feed(first: $first, after: $after) {
  edges { node { __typename ... on Product { id } ... on Post { id } } } pageInfo { endCursor hasNextPage } } }"""
ADD = """mutation($i: CartAddLinesInput!) { cartAddLines(input: $i) { userErrors { field code } } }"""


@pytest.fixture
async def world(database: Database) -> World:
    world = World(database)
    await world.catalog(merchants=3, products_each=6)
    for creator in await world.creators(4):
        await world.posts(creator, 4)
    return world


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)


def ranker(model_dir: Path, products: list[int], favourites: list[int], tag: int) -> str:
    """A small feed model over the catalog whose popular items are `favourites` (its cold-start list)."""
    ids = [str(p) for p in products]
    users = [f"u{n % 7}" for n in range(60)]
    items = [str(favourites[n % len(favourites)]) for n in range(60)]
    now = time.time() - tag  # distinct version names
    trained = train_from_arrays(
        users, items, [now - 60 * n for n in range(60)], items=[ItemRecord(p) for p in ids], now=now,
        params={"tune": False},
    )  # fmt: skip
    return artifact.save(trained, model_dir).stem


async def teams(database: Database) -> list[Any]:
    uow = database.unit_of_work()
    async with uow:
        table = ExperimentTeamRow.__table__  # type: ignore[attr-defined]
        return list(await uow.execute(select(table).order_by(table.c.id)))


async def walk(api: Api, token: str, pages: int, first: int = 10) -> tuple[list[list[str]], list[str | None]]:
    served, cursors, after = [], [], None
    for _ in range(pages):
        body = await api(FEED, {"first": first, "after": after}, token=token)
        assert "errors" not in body, body
        feed = body["data"]["feed"]
        served.append([e["node"]["id"] for e in feed["edges"]])
        cursors.append(after)
        after = feed["pageInfo"]["endCursor"]
    return served, [*cursors, after]  # each page's `after`, then the last page's end


async def test_interleaved_pages_record_teams_and_credit_clicks_and_adds_to_cart(
    api: Api, world: World, database: Database, settings: Any
) -> None:
    half = len(world.product_ids) // 2
    version_a = ranker(settings.model_dir, world.product_ids, world.product_ids[:half], 1)
    version_b = ranker(settings.model_dir, world.product_ids, world.product_ids[half:], 2)
    token = await admin(api, database)
    arms = [
        {"key": "current", "weight": 1, "config": {"ranker": version_a}},
        {"key": "candidate", "weight": 1, "config": {"ranker": version_b}},
    ]
    created = await api(
        CREATE, {"i": {"key": "rankers", "kind": "INTERLEAVING", "variants": arms}}, token=token
    )
    assert created["data"]["createExperiment"]["userErrors"] == [], created
    started = await api(START, {"k": "rankers"}, token=token)
    assert started["data"]["startExperiment"]["experiment"]["status"] == "RUNNING", started

    without = await world.user(consent=False)
    assert (await api.page(token=without["token"]))["edges"]
    assert await exposures(database) == [] and await teams(database) == []  # consent respected

    viewer = await world.user(consent=True)
    served, cursors = await walk(api, viewer["token"], 3)
    everything = [item for page in served for item in page]
    assert len(everything) == len(set(everything))  # no repeats within the session
    # Replaying the second page (a retry, the same cursor) gives the same items.
    replay = await api(FEED, {"first": 10, "after": cursors[1]}, token=viewer["token"])
    assert [e["node"]["id"] for e in replay["data"]["feed"]["edges"]] == served[1]
    rows = await teams(database)
    served_products = {encode_id("Product", r.item_id) for r in rows}
    assert rows and served_products <= set(everything)
    assert {r.team for r in rows} == {"A", "B"} and {r.kind for r in rows} == {"product"}
    assert len(rows) == len({(r.session_id, r.item_id) for r in rows})  # once per item and session
    assert len({r.session_id for r in rows}) == 1
    # The first card of each team: A's comes from ranker A's favourites, B's from B's.
    first_a = next(r for r in rows if r.team == "A")
    first_b = next(r for r in rows if r.team == "B")
    assert first_a.item_id in world.product_ids[:half] and first_b.item_id in world.product_ids[half:]
    assert [r.variant for r in await exposures(database)] == ["interleaved"]

    # Clicks on two of A's cards, a click on one of B's, an add to cart (the cart API) of one of B's.
    a_items = [r.item_id for r in rows if r.team == "A"][:2]
    b_item = next(r.item_id for r in rows if r.team == "B")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    events = [
        {"eventId": f"c{n}", "type": "CLICK", "subjectId": encode_id("Product", item), "occurredAt": soon}
        for n, item in enumerate([*a_items, b_item, a_items[0]])  # a repeated click counts once
    ]
    tracked = await api(TRACK, {"i": {"events": events}}, token=viewer["token"])
    assert tracked["data"]["trackEvents"]["accepted"] == 4, tracked
    uow = database.unit_of_work()
    async with uow:
        sku_table = SkuRow.__table__  # type: ignore[attr-defined]
        sku = (await uow.execute(select(sku_table.c.id).where(sku_table.c.product_id == b_item))).scalar_one()
    added = await api(
        ADD, {"i": {"lines": [{"skuId": encode_id("Sku", sku), "quantity": 1}]}}, token=viewer["token"]
    )
    assert added["data"]["cartAddLines"]["userErrors"] == [], added

    body = await api(RESULTS, {"k": "rankers"}, token=token)
    results = body["data"]["experiment"]["results"]
    found = results["interleaving"]
    assert (found["creditA"], found["creditB"]) == (2.0, 2.0)  # 2 clicks; 1 click + 1 add to cart
    assert (found["sessions"], found["winsA"], found["winsB"], found["ties"]) == (1, 0, 0, 1)
    assert found["winner"] is None and found["pValue"] == 1.0
    assert results["srmOk"] and [v["key"] for v in results["variants"]] == ["interleaved"]
    assert results["variants"][0]["users"] == 1
    shopper = await api(RESULTS, {"k": "rankers"}, token=viewer["token"])
    assert shopper["data"]["experiment"] is None  # results are for admins only
    # Stopped: the same session continues with the default feed, nothing more is recorded.
    recorded = len(await teams(database))
    await api(STOP, {"k": "rankers"}, token=token)
    after = await api(FEED, {"first": 10, "after": cursors[-1]}, token=viewer["token"])
    assert after["data"]["feed"]["edges"] and len(await teams(database)) == recorded
    assert len(await exposures(database)) == 1


async def test_interleaving_credit_goes_to_the_session_that_served_the_item(
    api: Api, world: World, database: Database, settings: Any
) -> None:
    half = len(world.product_ids) // 2
    version_a = ranker(settings.model_dir, world.product_ids, world.product_ids[:half], 3)
    version_b = ranker(settings.model_dir, world.product_ids, world.product_ids[half:], 4)
    token = await admin(api, database)
    arms = [
        {"key": "aa", "weight": 1, "config": {"ranker": version_a}},
        {"key": "bb", "weight": 1, "config": {"ranker": version_b, "blend": {"trending": 0.5}}},
    ]
    created = await api(CREATE, {"i": {"key": "rk2", "kind": "INTERLEAVING", "variants": arms}}, token=token)
    assert created["data"]["createExperiment"]["userErrors"] == [], created
    await api(START, {"k": "rk2"}, token=token)
    viewers = [await world.user(consent=True) for _ in range(3)]
    for viewer in viewers:
        await walk(api, viewer["token"], 2)
    rows = await teams(database)
    assert len({r.session_id for r in rows}) == 3 and len({r.unit for r in rows}) == 3
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    for n, viewer in enumerate(viewers[:2]):
        own = [r for r in rows if r.unit == f"u:{viewer['id']}"]
        team = "A" if n == 0 else "B"
        item = next(r.item_id for r in own if r.team == team)
        event = {
            "eventId": "x",
            "type": "ADD_TO_CART",
            "subjectId": encode_id("Product", item),
            "occurredAt": soon,
        }
        await api(TRACK, {"i": {"events": [event]}}, token=viewer["token"])
    # An item the third viewer was never served credits nobody.
    never = next(
        p
        for p in world.product_ids
        if p not in {r.item_id for r in rows if r.unit == f"u:{viewers[2]['id']}"}
    )
    event = {"eventId": "y", "type": "CLICK", "subjectId": encode_id("Product", never), "occurredAt": soon}
    await api(TRACK, {"i": {"events": [event]}}, token=viewers[2]["token"])
    found = (await api(RESULTS, {"k": "rk2"}, token=token))["data"]["experiment"]["results"]["interleaving"]
    assert (found["winsA"], found["winsB"], found["ties"], found["creditA"], found["creditB"]) == (
        1,
        1,
        1,
        1.0,
        1.0,
    )


async def test_unfollows_are_a_guardrail_and_blend_variants_are_served(
    api: Api, world: World, database: Database, settings: Any
) -> None:
    version = ranker(settings.model_dir, world.product_ids, world.product_ids[:4], 5)
    token = await admin(api, database)
    arms = [
        {"key": "control", "weight": 1, "config": {"ranker": version}},
        {
            "key": "trendier",
            "weight": 1,
            "config": {"ranker": version, "blend": {"trending": 2.0, "ease": 0}},
        },
    ]
    bad = [
        {"key": "control", "weight": 1, "config": {}},
        {"key": "x1", "weight": 1, "config": {"blend": {"ease": "high"}}},
    ]
    refused = await api(CREATE, {"i": {"key": "blend0", "variants": bad}}, token=token)
    assert {tuple(e["field"]) for e in refused["data"]["createExperiment"]["userErrors"]} == {
        ("variants", "1", "config", "blend"),
        ("variants", "1", "config", "blend", "ease"),
    }
    created = await api(CREATE, {"i": {"key": "blend1", "variants": arms}}, token=token)
    assert created["data"]["createExperiment"]["userErrors"] == [], created
    await api(START, {"k": "blend1"}, token=token)
    viewers = [await world.user(consent=True) for _ in range(6)]
    creator = encode_id("Creator", world.creator_ids[0])
    follow = "mutation($i: FollowInput!) { %s(input: $i) { creator { id } userErrors { code } } }"
    for viewer in viewers:
        assert (await api.page(token=viewer["token"]))["edges"]
    rows = await exposures(database)
    assert len(rows) == len(viewers) and {r.variant for r in rows} == {"control", "trendier"}
    quitter = viewers[0]
    for name in ("follow", "unfollow", "follow", "unfollow"):
        done = await api(follow % name, {"i": {"creatorId": creator}}, token=quitter["token"])
        assert done["data"][name]["userErrors"] == [], done
    arm = next(r.variant for r in rows if r.unit == f"u:{quitter['id']}")
    body = await api(
        """query($k: String!) { experiment(key: $k) { results { variants { key users metrics { name mean } } } } }""",
        {"k": "blend1"},
        token=token,
    )
    by_key = {v["key"]: v for v in body["data"]["experiment"]["results"]["variants"]}
    means = {m["name"]: m["mean"] for m in by_key[arm]["metrics"]}
    assert means["unfollows_per_viewer"] == 2 / by_key[arm]["users"]
    other = next(k for k in by_key if k != arm)
    assert {m["name"]: m["mean"] for m in by_key[other]["metrics"]}["unfollows_per_viewer"] == 0.0


async def test_revenue_is_one_metric_per_currency(gql: Any, client: Any, database: Database) -> None:
    from tests.commerce_world import Caller, make_shop, stock_product
    from tests.factories import create_merchant, sign_up, upsert

    shop = await make_shop(gql, client)  # EUR
    owner = await sign_up(gql)
    merchant = await create_merchant(gql, owner["token"], currency="USD")
    payload = await upsert(gql, owner["token"], merchant["id"], [stock_product("cap", 5, "15.00", "USD")])
    usd_sku = payload["products"][0]["skus"]["edges"][0]["node"]["id"]
    api = Api(client)
    token = await admin(api, database)
    slots = [
        {"key": "posts", "weight": 1, "config": {"slotPattern": "P"}},
        {"key": "cards", "weight": 1, "config": {"slotPattern": "R"}},
    ]
    created = await api(CREATE, {"i": {"key": "money", "variants": slots}}, token=token)
    assert created["data"]["createExperiment"]["userErrors"] == [], created
    await api(START, {"k": "money"}, token=token)
    eur = Caller(client, device="money-eur-device-0123456789")
    usd = Caller(client, device="money-usd-device-0123456789")
    for shopper in (eur, usd):
        await api.page(device=shopper.device)
    await eur.add(shop.skus["jacket-0"])
    assert (await eur.buy())["userErrors"] == []
    await usd.add(usd_sku, 2)
    assert (await usd.buy())["userErrors"] == []
    body = await api(
        """query($k: String!) { experiment(key: $k) { results { variants { key users metrics { name mean } } } } }""",
        {"k": "money"},
        token=token,
    )
    variants = body["data"]["experiment"]["results"]["variants"]
    names = {m["name"] for v in variants for m in v["metrics"]}
    assert {"revenue_per_viewer:EUR", "revenue_per_viewer:USD"} <= names and "revenue_per_viewer" not in names
    totals = {
        name: sum(m["mean"] * v["users"] for v in variants for m in v["metrics"] if m["name"] == name)
        for name in ("revenue_per_viewer:EUR", "revenue_per_viewer:USD")
    }
    assert totals == {"revenue_per_viewer:EUR": 12_000, "revenue_per_viewer:USD": 3_000}  # minor units
