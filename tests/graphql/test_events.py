"""trackEvents validation: per-event errors with index paths, duplicates, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from shoppable.domain.feed.events import MAX_EVENTS, MAX_EVENTS_PER_WINDOW, RATE_MESSAGE
from shoppable.graphql.core.ids import encode_id
from shoppable.storage.db import Database
from shoppable.storage.feed.queries import events
from tests.conftest import GraphQL
from tests.feed_world import World

TRACK = """mutation($i: TrackEventsInput!) {
  trackEvents(input: $i) { accepted duplicates userErrors { field code message } }
}"""


def event(n: int, **extra: object) -> dict:
    return {"eventId": f"ev-{n}", "type": "VIEW", "occurredAt": datetime.now(UTC).isoformat(), **extra}


async def test_validation_per_event(gql: GraphQL, database: Database) -> None:
    world = World(database)
    await world.catalog(merchants=1, products_each=2)
    shopper = await world.user()
    product = encode_id("Product", world.product_ids[0])
    now = datetime.now(UTC)
    events = [
        event(0, subjectId=product),
        event(1, subjectId=product, occurredAt=(now + timedelta(minutes=10)).isoformat()),
        event(2, subjectId=product, occurredAt=(now - timedelta(days=8)).isoformat()),
        event(3, subjectId=encode_id("Product", 999_999)),
        event(4, subjectId="%%%"),
        event(5, type="LIKE", subjectId=product),
        event(0, subjectId=product),  # same id again in one call
        event(6, eventId="bad id with spaces", subjectId=product),
        event(7, type="PURCHASE", subjectId=product, channel="APP", position=3),
    ]
    body = await gql(TRACK, {"i": {"events": events}}, token=shopper["token"])
    payload = body["data"]["trackEvents"]
    assert payload["accepted"] == 2 and payload["duplicates"] == 1
    assert [(e["field"][1], e["field"][2], e["code"]) for e in payload["userErrors"]] == [
        ("1", "occurredAt", "INVALID"),
        ("2", "occurredAt", "INVALID"),
        ("3", "subjectId", "NOT_FOUND"),
        ("4", "subjectId", "INVALID"),
        ("5", "subjectId", "INVALID"),
        ("7", "eventId", "INVALID"),
    ]
    again = await gql(TRACK, {"i": {"events": [events[0], events[8]]}}, token=shopper["token"])
    assert again["data"]["trackEvents"]["duplicates"] == 2


async def test_limits_and_unknown_types(gql: GraphQL, database: Database) -> None:
    world = World(database)
    shopper = await world.user()
    too_many = await gql(TRACK, {"i": {"events": [event(i) for i in range(501)]}}, token=shopper["token"])
    assert too_many["data"]["trackEvents"]["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    unknown = await gql(
        TRACK, {"i": {"events": [event(1, type="TELEPORT")]}}, token=shopper["token"], expect_errors=True
    )
    assert "TELEPORT" in unknown["errors"][0]["message"]
    hidden_subject = await gql(
        TRACK, {"i": {"events": [event(2, subjectId=encode_id("Post", 12345))]}}, token=shopper["token"]
    )
    assert hidden_subject["data"]["trackEvents"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_device_over_its_event_quota_is_refused_per_event(client: Any) -> None:
    async def send(first: int, count: int) -> dict[str, Any]:
        body = {"query": TRACK, "variables": {"i": {"events": [event(first + n) for n in range(count)]}}}
        response = await client.post("/graphql", json=body, headers={"X-Device-Id": "chatty"})
        return response.json()["data"]["trackEvents"]

    assert (await send(0, MAX_EVENTS)) == {"accepted": MAX_EVENTS, "duplicates": 0, "userErrors": []}
    over = await send(MAX_EVENTS, MAX_EVENTS)
    room = MAX_EVENTS_PER_WINDOW - MAX_EVENTS
    assert over["accepted"] == room and over["duplicates"] == 0
    assert {(e["code"], e["message"]) for e in over["userErrors"]} == {("LIMIT_EXCEEDED", RATE_MESSAGE)}
    assert [int(e["field"][1]) for e in over["userErrors"]] == list(range(room, MAX_EVENTS))
    retry = await send(0, MAX_EVENTS)  # a retry of stored events: duplicates, not over the quota
    assert retry == {"accepted": 0, "duplicates": MAX_EVENTS, "userErrors": []}


async def test_events_of_a_user_without_analytics_consent_are_not_kept(
    gql: GraphQL, database: Database
) -> None:
    world = World(database)
    shopper = await world.user(consent=True, analytics=False)  # personalization alone is not analytics
    consent = "mutation($a: Boolean!) { updateConsent(input: {analytics: $a}) { consent { analytics } } }"

    async def track(n: int) -> dict[str, Any]:
        body = await gql(TRACK, {"i": {"events": [event(n)]}}, token=shopper["token"])
        return body["data"]["trackEvents"]

    assert await track(1) == {"accepted": 0, "duplicates": 0, "userErrors": []}
    await gql(consent, {"a": True}, token=shopper["token"])
    assert (await track(2))["accepted"] == 1
    async with database.unit_of_work() as uow:
        rows = (await uow.execute(select(events.c.event_id, events.c.user_id))).all()
    assert [(row.event_id, row.user_id) for row in rows] == [("ev-2", shopper["id"])]
    # Turning analytics off deletes what was stored while it was on, and stores nothing more.
    await gql(consent, {"a": False}, token=shopper["token"])
    assert (await track(3))["accepted"] == 0
    async with database.unit_of_work() as uow:
        rows = (await uow.execute(select(events.c.event_id, events.c.user_id))).all()
    assert rows == []
