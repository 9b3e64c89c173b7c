"""Parallel retries of trackEvents and hideFromFeed: every retry answers, each row is stored once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import Table, func, select

from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from shoppable.storage.feed.queries import events, hides
from tests.feed_world import World

TRACK = """mutation($i: TrackEventsInput!) {
  trackEvents(input: $i) { accepted duplicates userErrors { field code } }
}"""
HIDE = "mutation($i: HideFromFeedInput!) { hideFromFeed(input: $i) { hidden userErrors { code } } }"
RETRIES = 8
ROUNDS = 4  # the race is a matter of timing: several rounds make losing it on the old code certain


def _post(client: AsyncTestClient[Any], query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    # The test client's transport is synchronous underneath (each request blocks the test's event
    # loop); threads give truly concurrent requests, as in tests/api/test_stock_updates.py.
    request = client.build_request(
        "POST",
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    response = client._transport.handle_request(request)  # type: ignore[attr-defined]  # private, untyped
    response.read()
    assert response.status_code == 200, response.text
    body: dict[str, Any] = json.loads(response.text)
    assert "errors" not in body, body
    return body


async def _at_once(
    client: AsyncTestClient[Any], query: str, variables: dict[str, Any], token: str
) -> list[Any]:
    return await asyncio.gather(
        *(asyncio.to_thread(_post, client, query, variables, token) for _ in range(RETRIES))
    )


async def _count(database: Database, table: Table) -> int:
    async with database.unit_of_work() as uow:
        return (await uow.execute(select(func.count()).select_from(table))).scalar_one()


async def test_parallel_retries_of_one_event_batch_store_it_once(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=3)
    shopper = await world.user()
    now = datetime.now(UTC).isoformat()
    for round in range(ROUNDS):
        batch = [
            {
                "eventId": f"r{round}-{n}",
                "type": "VIEW",
                "subjectId": encode_id("Product", pk),
                "occurredAt": now,
            }
            for n, pk in enumerate(world.product_ids)
        ]
        answers = await _at_once(client, TRACK, {"i": {"events": batch}}, shopper["token"])
        payloads = [answer["data"]["trackEvents"] for answer in answers]
        assert all(p["userErrors"] == [] for p in payloads), payloads
        assert sum(p["accepted"] for p in payloads) == len(batch)
        assert all(p["accepted"] + p["duplicates"] == len(batch) for p in payloads)
    assert await _count(database, events) == ROUNDS * len(world.product_ids)


async def test_parallel_hides_of_one_subject_store_it_once(
    client: AsyncTestClient[Any], database: Database
) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=ROUNDS)
    shopper = await world.user()
    for product in world.product_ids:
        subject = {"i": {"subjectId": encode_id("Product", product)}}
        answers = await _at_once(client, HIDE, subject, shopper["token"])
        assert [a["data"]["hideFromFeed"] for a in answers] == [{"hidden": True, "userErrors": []}] * RETRIES
    assert await _count(database, hides) == ROUNDS
