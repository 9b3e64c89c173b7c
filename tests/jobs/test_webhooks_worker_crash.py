"""kill -9 of a delivery worker in the middle of deliveries, then a restart: every event arrives, none is
sent more than twice (once by the dead worker, once by its successor), all on both databases. Also the
production form: deliveries made by an SAQ worker's cron job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from saq import Worker
from sqlalchemy import select

from shoppable.domain.identity.actor import OPERATOR
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.jobs.worker import worker_settings
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.webhooks import attempts, deliveries
from tests.webhook_receiver import Receiver, Reply

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 40
CONCURRENCY = 4
PATIENCE = 120


async def merchant_with_endpoint(database: Database, url: str, events: int) -> str:
    """A merchant listening at `url`, with `events` product events already committed to the outbox."""
    uow = database.unit_of_work(write=True)
    async with uow:
        identity = SqlIdentityRepository(uow)
        owner = await identity.add_user(f"{uuid.uuid4().hex}@example.com", "x", "Owner", is_admin=False)
        merchant = await identity.add_merchant(f"shop-{uuid.uuid4().hex[:8]}", "Shop", "EUR", 3, owner.id)
        assert merchant is not None
        await uow.commit()
        created = await service.create_endpoint(
            uow,
            OPERATOR,
            service.NewEndpoint(merchant.id, url, [WebhookEvent.PRODUCT_UPDATED]),
            allow_private=True,
        )
        written = await service.record_webhook_events(
            uow,
            merchant.id,
            WebhookEvent.PRODUCT_UPDATED,
            [{"id": i, "handle": f"p{i}"} for i in range(events)],
        )
        assert written == events
        await uow.commit()
    return created.secret


def start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ALLOW_PRIVATE_NETWORK_FETCH": "1",
        "WEBHOOK_LEASE_SECONDS": "3",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_CONCURRENCY": str(CONCURRENCY),
        "WEBHOOK_POLL_SECONDS": "0.1",
        "PYTHONPATH": str(ROOT),
        "REDIS_URL": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "shoppable.cli", "webhooks", "deliver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def statuses(database: Database) -> Counter[str]:
    async with database.engine.connect() as conn:
        return Counter(r.status for r in await conn.execute(select(deliveries.c.status)))


async def test_killing_the_worker_mid_delivery_loses_nothing_and_repeats_little(
    database: Database, database_url: str
) -> None:
    with Receiver(lambda _r: Reply(200, delay=0.3)) as receiver:
        secret = await merchant_with_endpoint(database, receiver.url, EVENTS)
        worker = start_worker(database_url)
        try:
            deadline = time.monotonic() + PATIENCE
            while len(receiver.snapshot()) < 10:  # mid-way, with requests in flight
                assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
                assert time.monotonic() < deadline, "the worker sent nothing"
                await asyncio.sleep(0.02)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            before_restart = len(receiver.snapshot())
            assert before_restart < EVENTS
            worker = start_worker(database_url)
            while (await statuses(database))["SUCCEEDED"] < EVENTS:
                assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
                assert time.monotonic() < deadline, await statuses(database)
                await asyncio.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        received = receiver.snapshot()
    per_id = Counter(r.webhook_id for r in received)
    assert len(per_id) == EVENTS  # nothing lost
    assert max(per_id.values()) <= 2  # at most the dead worker's attempt and one more
    assert sum(1 for n in per_id.values() if n == 2) <= CONCURRENCY  # only what was in flight at the kill
    assert all(r.verify(secret)["type"] == "product.updated" for r in received)
    async with database.engine.connect() as conn:
        interrupted = (
            await conn.execute(
                select(attempts.c.delivery_id).where(attempts.c.error.like("%worker stopped%"))
            )
        ).all()
    assert 0 < len(interrupted) <= CONCURRENCY  # the log says which attempts were cut short


async def test_an_saq_worker_delivers_webhooks(
    database: Database, settings: Settings, redis_url: str
) -> None:
    saq_settings = settings.model_copy(
        update={
            "redis_url": redis_url,
            "saq_queue": f"test-{uuid.uuid4().hex}",
            "allow_private_network_fetch": True,
            "webhook_poll_seconds": 0.1,
        }
    )
    with Receiver() as receiver:
        secret = await merchant_with_endpoint(database, receiver.url, 3)
        options: dict[str, Any] = worker_settings(saq_settings)
        [cron] = [c for c in options["cron_jobs"] if c.function.__name__ == "webhooks_deliver"]
        assert cron.cron == "* * * * *" and cron.kwargs == {"seconds": 59.0}
        worker = Worker(**options)
        task = asyncio.create_task(worker.start())
        try:
            # Cron fires on the minute; enqueue the same job now rather than wait for it.
            await options["queue"].enqueue("webhooks_deliver", seconds=5.0, timeout=60)
            deadline = time.monotonic() + PATIENCE
            while (await statuses(database))["SUCCEEDED"] < 3:  # sent, answered, and recorded
                assert not task.done(), task
                assert time.monotonic() < deadline, "the SAQ worker delivered nothing"
                await asyncio.sleep(0.05)
        finally:
            await worker.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await options["queue"].disconnect()
        assert all(r.verify(secret) for r in receiver.snapshot())
    assert (await statuses(database))["SUCCEEDED"] == 3


async def test_the_delivery_log_forgets_what_ended_thirty_days_ago(
    database: Database, settings: Settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from shoppable.jobs.webhooks import webhook_log_cleanup
    from shoppable.services import build_services
    from shoppable.storage.webhooks import events

    await merchant_with_endpoint(database, "http://127.0.0.1:9/never", 4)
    old = datetime.now(UTC) - timedelta(days=31)
    async with database.engine.begin() as conn:
        ids = [r.id for r in await conn.execute(select(deliveries.c.id).order_by(deliveries.c.id))]
        await conn.execute(  # two ended long ago, one ended yesterday, one still pending
            update(deliveries).where(deliveries.c.id.in_(ids[:2])).values(status="SUCCEEDED", finished_at=old)
        )
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.id == ids[2])
            .values(status="FAILED", finished_at=datetime.now(UTC) - timedelta(days=1))
        )
    services = build_services(settings, database)
    try:
        assert await webhook_log_cleanup(services) == 2
    finally:
        await services.jobs.close()
    async with database.engine.connect() as conn:
        left = [r.id for r in await conn.execute(select(deliveries.c.id).order_by(deliveries.c.id))]
        event_count = len((await conn.execute(select(events.c.id))).all())
    assert left == ids[2:] and event_count == 2
