"""The webhook delivery log on SQLite and PostgreSQL: each delivery comes with its attempts from one
statement, so the status shown agrees with the attempts listed under it. Read apart (deliveries, then
attempts), an attempt committed between the two reads showed up under a delivery that was still
PENDING (seen on PostgreSQL's read committed in a fresh-clone run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from shoppable.domain.pagination import PageRequest
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import DeliveryStatus, LoggedDelivery, NewEvent
from shoppable.domain.webhooks.schedule import Answer
from shoppable.storage.db import Database
from tests.feed_world import World

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


async def _deliveries(database: Database) -> tuple[int, list[int]]:
    """Four deliveries, oldest first: 500 then 200 (succeeded); 200; 503 (pending); never tried."""
    world = World(database)
    await world.catalog(merchants=1, products_each=1)
    merchant_id = world.merchants[0].id

    async def add(n: int) -> None:
        event_ = NewEvent("product.updated", "{}", f"msg_{n}")
        await uow.webhooks.add_events(merchant_id, WebhookEvent.PRODUCT_UPDATED, [event_], NOW)

    async with database.unit_of_work(write=True) as uow:
        await uow.webhooks.add_endpoint(
            merchant_id, "https://example.com/h", [WebhookEvent.PRODUCT_UPDATED], "whsec_x", NOW
        )
        for n in range(3):
            await add(n)
        claims = await uow.webhooks.claim_due(NOW, NOW + timedelta(minutes=1), 10)
        first, second, third = sorted(claims, key=lambda c: c.delivery_id)
        later = NOW + timedelta(hours=1)
        await uow.webhooks.record_attempt(first, Answer(500, 5), NOW, DeliveryStatus.PENDING, NOW)
        await uow.webhooks.record_attempt(second, Answer(200, 3), NOW, DeliveryStatus.SUCCEEDED, None)
        await uow.webhooks.record_attempt(third, Answer(503, 7), NOW, DeliveryStatus.PENDING, later)
        [again] = await uow.webhooks.claim_due(NOW, NOW + timedelta(minutes=1), 10)
        await uow.webhooks.record_attempt(again, Answer(200, 4), NOW, DeliveryStatus.SUCCEEDED, None)
        await add(3)
        await uow.commit()
    ids = [first.delivery_id, second.delivery_id, third.delivery_id]
    return merchant_id, ids


def _codes(logged: list[LoggedDelivery]) -> list[tuple[str, list[int | None]]]:
    return [(d.delivery.status.value, [a.status_code for a in d.attempts]) for d in logged]


async def test_each_page_of_the_log_is_one_statement_with_every_attempt(database: Database) -> None:
    merchant_id, (first, second, third) = await _deliveries(database)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's explicit BEGIN (storage/db.py)
            statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with database.unit_of_work() as uow:
            head = await uow.webhooks.deliveries_page(merchant_id, PageRequest(first=2))
            assert len(statements) == 1
            rest = await uow.webhooks.deliveries_page(merchant_id, PageRequest(2, head.keys[-1]))
            assert len(statements) == 2
            one = await uow.webhooks.logged_delivery(first)
            assert len(statements) == 3
            assert await uow.webhooks.logged_delivery(10**9) is None
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    assert head.has_next and not rest.has_next
    assert [d.delivery.id for d in rest.items] == [second, first]
    assert _codes(head.items) == [("PENDING", []), ("PENDING", [503])]
    assert _codes(rest.items) == [("SUCCEEDED", [200]), ("SUCCEEDED", [500, 200])]
    assert one is not None and _codes([one]) == [("SUCCEEDED", [500, 200])]
    assert [a.number for a in one.attempts] == [1, 2]
    assert all(a.delivery_id == d.delivery.id for d in head.items + rest.items for a in d.attempts)
    assert head.items[1].delivery.id == third and head.items[1].attempts[0].latency_ms == 7
