"""Demo orders: bought from the demo creators' posts, in every commission state, seeded only once."""

from __future__ import annotations

from typing import Any

from litestar.testing import AsyncTestClient

from shoppable.demo.catalog import DEMO_OWNER_EMAIL, DEMO_PASSWORD, seed_catalog
from shoppable.demo.content import DEMO_CREATORS, seed_content
from shoppable.demo.orders import DEMO_ORDERS, seed_orders
from shoppable.demo.shoppers import seed_shoppers
from shoppable.services import build_services
from shoppable.settings import Settings
from shoppable.storage.db import Database
from tests.conftest import GraphQL

LOG_IN = "mutation($i: LogInInput!) { logIn(input: $i) { token userErrors { code } } }"
EARNINGS = """query($h: String!) { creator(handle: $h) { earnings {
  pending { amount currencyCode } locked { amount currencyCode } paid { amount currencyCode }
  reversed { amount currencyCode }
  commissions(first: 20) { edges { node { status order { id number } post { id } } } } } } }"""


async def log_in(gql: GraphQL, email: str) -> str:
    payload = (await gql(LOG_IN, {"i": {"email": email, "password": DEMO_PASSWORD}}))["data"]["logIn"]
    assert payload["userErrors"] == [], payload
    token: str = payload["token"]
    return token


async def test_demo_orders_show_every_commission_state_once(
    gql: GraphQL, client: AsyncTestClient[Any], database: Database, settings: Settings
) -> None:
    services = build_services(settings, Database(database.url))
    try:
        await seed_catalog(services)
        await seed_content(services)
        await seed_shoppers(services.database)
        report = await seed_orders(services)
    finally:
        # Stops the seeding's own background jobs (catalog image sync after the imports) before the
        # app is called: left running they would compete with it for SQLite's write lock.
        await services.close()
    assert len(report) == len(DEMO_ORDERS) and not any("skipped" in line for line in report), report

    creators = {c.handle: c for c in DEMO_CREATORS}
    earnings = {}
    for handle, creator in creators.items():
        token = await log_in(gql, creator.email)
        earnings[handle] = (await gql(EARNINGS, {"h": handle}, token=token))["data"]["creator"]["earnings"]
    statuses = {
        handle: sorted(e["node"]["status"] for e in found["commissions"]["edges"])
        for handle, found in earnings.items()
    }
    assert statuses == {
        "mila.outdoors": ["LOCKED", "PENDING"],  # one bought 45 days ago: its return window closed
        "sana.style": ["PENDING", "REVERSED"],  # one of two units refunded
        "jonas.home": ["PENDING"],
        "leo.trail": ["REVERSED"],  # the order was cancelled
    }
    assert earnings["mila.outdoors"]["locked"] and earnings["mila.outdoors"]["paid"] == []
    assert earnings["sana.style"]["pending"] == earnings["sana.style"]["reversed"]  # half and half
    # Nobody else sees them.
    shopper = await log_in(gql, "shopper@shoppable.dev")
    assert (await gql(EARNINGS, {"h": "mila.outdoors"}, token=shopper))["data"]["creator"]["earnings"] is None

    owner = await log_in(gql, DEMO_OWNER_EMAIL)
    seen = []
    for handle in ("northwind", "lumen", "atelier"):
        response = await client.get(
            "/v1/orders", params={"merchant": handle}, headers={"Authorization": f"Bearer {owner}"}
        )
        assert response.status_code == 200, response.text
        seen += response.json()["orders"]
    assert len(seen) == len(DEMO_ORDERS)
    assert {o["status"] for o in seen} == {"OPEN", "COMPLETED", "CANCELLED"}
    assert {o["financialStatus"] for o in seen} == {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}
    assert all(line["attribution"] for o in seen for line in o["lines"])

    reseeding = build_services(settings, Database(database.url))
    try:
        again = await seed_orders(reseeding)
    finally:
        await reseeding.close()
    assert again == report
    for handle, creator in creators.items():
        token = await log_in(gql, creator.email)
        assert (await gql(EARNINGS, {"h": handle}, token=token))["data"]["creator"]["earnings"] == earnings[
            handle
        ]
