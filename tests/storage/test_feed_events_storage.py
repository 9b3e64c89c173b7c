"""The feed's event storage on SQLite and PostgreSQL: what trending counts (distinct senders per day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shoppable.domain.feed.model import Channel, EventType, NewEvent
from shoppable.storage.db import Database
from tests.feed_world import World

NOON = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)


def _event(n: int, user_id: int | None, product: int, at: datetime, device: str = "") -> NewEvent:
    return NewEvent(
        event_id=f"e{n}",
        actor_key=f"u:{user_id}" if user_id is not None else f"d:{device}",
        user_id=user_id,
        device_id=None if user_id is not None else device,
        type=EventType.VIEW,
        subject_type="Product",
        subject_id=product,
        channel=Channel.APP,
        position=None,
        occurred_at=at,
    )


async def test_engagement_counts_each_sender_once_per_item_and_day(database: Database) -> None:
    world = World(database)
    ana, ben = (await world.user())["id"], (await world.user())["id"]
    batches = [
        # ana views product 1 ten times today and once yesterday (2 sender-days); ben once (1)
        [_event(n, ana, 1, NOON + timedelta(minutes=n)) for n in range(10)],
        [_event(10, ana, 1, NOON - timedelta(hours=13))],
        [_event(11, ben, 1, NOON + timedelta(hours=11, minutes=59))],
        # devices: three distinct ones on product 1, one device 20 times on product 2
        *([_event(20, None, 1, NOON, device=f"bot{n}")] for n in range(3)),
        [_event(30 + n, None, 2, NOON + timedelta(seconds=n), device="loud") for n in range(20)],
    ]
    async with database.unit_of_work(write=True) as uow:
        for batch in batches:
            await uow.feed.insert_new(batch)
        await uow.commit()
    async with database.unit_of_work() as uow:
        counts = await uow.feed.engagement_since(NOON - timedelta(days=2))
    assert {(c.subject_id, c.event_type, c.signed_in): c.count for c in counts} == {
        (1, "VIEW", True): 3,
        (1, "VIEW", False): 3,
        (2, "VIEW", False): 1,
    }
    latest = {(c.subject_id, c.signed_in): c.latest_at for c in counts}
    assert latest[(1, True)] == NOON + timedelta(hours=11, minutes=59)
    assert latest[(2, False)] == NOON + timedelta(seconds=19)
