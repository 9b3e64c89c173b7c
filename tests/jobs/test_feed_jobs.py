"""The feed's background work and demo data: expired sessions go, demo shoppers get events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, func, select, update

from shoppable.demo.shoppers import seed_shoppers
from shoppable.domain.feed import retention
from shoppable.domain.feed.model import Channel, EventType, NewEvent
from shoppable.jobs.event_retention import event_retention
from shoppable.jobs.feed_cleanup import feed_cleanup
from shoppable.jobs.registry import JOBS, PERIODIC
from shoppable.services import Services
from shoppable.storage.db import Database
from shoppable.storage.feed.queries import events, served, sessions
from tests.conftest import GraphQL
from tests.feed_world import World


async def _count(database: Database, table: Table) -> int:
    async with database.unit_of_work() as uow:
        return (await uow.execute(select(func.count()).select_from(table))).scalar_one()


async def test_feed_cleanup_removes_expired_sessions_and_what_they_served(
    database: Database, services: Services, gql: GraphQL
) -> None:
    world = World(database)
    await world.catalog(merchants=3, products_each=4)
    for _ in range(2):
        edges = (await gql("query { feed(first: 3) { edges { cursor } } }"))["data"]["feed"]["edges"]
        assert len(edges) == 3
    assert await _count(database, sessions) == 2 and await _count(database, served) == 6
    assert await feed_cleanup(services) == 0
    async with database.unit_of_work(write=True) as uow:
        await uow.execute(update(sessions).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        await uow.commit()
    assert await feed_cleanup(services) == 2
    assert await _count(database, sessions) == 0 and await _count(database, served) == 0


async def test_demo_shoppers_are_seeded_once_with_events(database: Database) -> None:
    world = World(database)
    await world.catalog(merchants=2, products_each=6)
    creators = await world.creators(3)
    for creator in creators:
        await world.posts(creator, 2, tag=world.product_ids[:2])
    stored = await seed_shoppers(database)
    assert stored > 0 and await _count(database, events) == stored
    assert await seed_shoppers(database) == 0  # deterministic event ids: nothing twice


async def test_event_retention_deletes_events_older_than_the_setting_and_keeps_the_rest(
    database: Database, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert services.settings.event_retention_days == retention.DEFAULT_RETENTION_DAYS == 180
    assert "event_retention" in JOBS and "event_retention" in PERIODIC
    shopper = await World(database).user()
    now = datetime.now(UTC)
    ages = [400, 181, 181, 180.5, 179, 1]

    def event(n: int, days: float) -> NewEvent:
        return NewEvent(
            f"e{n}", f"u:{shopper['id']}", shopper["id"], None, EventType.VIEW, "Product", 1, Channel.APP, None,
            now - timedelta(days=days),
        )  # fmt: skip

    async with database.unit_of_work(write=True) as uow:
        await uow.feed.insert_new([event(n, days) for n, days in enumerate(ages)])
        await uow.commit()
    monkeypatch.setattr(retention, "BATCH", 2)  # several batches
    assert await event_retention(services) == 4
    async with database.unit_of_work() as uow:
        kept = (await uow.execute(select(events.c.event_id).order_by(events.c.event_id))).scalars().all()
    assert kept == ["e4", "e5"]
