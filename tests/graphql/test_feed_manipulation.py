"""Anonymous devices cannot decide what trends: the 3,000-fake-purchases attack of the hardening issue."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.graphql.core.ids import encode_id, parse_id
from shoppable.storage.db import Database
from tests.conftest import GraphQL
from tests.feed_world import World

TRACK = """mutation($i: TrackEventsInput!) {
  trackEvents(input: $i) { accepted userErrors { field code } }
}"""
FEED = """query { feed(first: 30, mode: NON_PERSONALIZED) {
  edges { reasons { code } node { __typename ... on Product { id } } } } }"""
ATTACKERS = 3_000
BOT_THREADS = 8


def _event(event_id: str, type: str, product: int) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "type": type,
        "subjectId": encode_id("Product", product),
        "occurredAt": datetime.now(UTC).isoformat(),
    }


async def test_anonymous_purchases_from_random_devices_do_not_make_a_product_trend(
    client: AsyncTestClient[Any], gql: GraphQL, database: Database
) -> None:
    # given a catalog where two signed-in shoppers showed genuine interest in one product
    world = World(database)
    await world.catalog(merchants=4, products_each=8)
    liked, obscure = world.product_ids[5], world.product_ids[20]
    for n in range(2):
        shopper = await world.user()
        body = await gql(TRACK, {"i": {"events": [_event(f"v{n}", "VIEW", liked)]}}, token=shopper["token"])
        assert body["data"]["trackEvents"] == {"accepted": 1, "userErrors": []}

    # when 3,000 anonymous "devices" each report a PURCHASE of an obscure product
    def attack(bots: int) -> None:
        for _ in range(bots):
            request = client.build_request(
                "POST",
                "/graphql",
                json={"query": TRACK, "variables": {"i": {"events": [_event("buy", "PURCHASE", obscure)]}}},
                headers={"X-Device-Id": f"bot-{uuid.uuid4().hex}"},
            )
            response = client._transport.handle_request(request)  # type: ignore[attr-defined]  # private
            response.read()
            assert response.status_code == 200 and '"accepted":1' in response.text, response.text

    # Threads send them in parallel (the test client's transport blocks the test's event loop).
    await asyncio.gather(*(asyncio.to_thread(attack, ATTACKERS // BOT_THREADS) for _ in range(BOT_THREADS)))

    # then an anonymous viewer's feed does not show it as popular, and leads with the genuine interest
    response = await client.post("/graphql", json={"query": FEED}, headers={"X-Device-Id": "viewer"})
    products = [
        (parse_id(edge["node"]["id"])[1], {reason["code"] for reason in edge["reasons"]})
        for edge in response.json()["data"]["feed"]["edges"]
        if edge["node"]["__typename"] == "Product"
    ]
    assert products, "the feed shows product cards"
    assert products[0][0] == liked and "POPULAR_IN_CATEGORY" in products[0][1]
    popular = {product for product, codes in products if "POPULAR_IN_CATEGORY" in codes}
    assert obscure not in popular
