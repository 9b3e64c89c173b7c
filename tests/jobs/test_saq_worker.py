"""The production runner: an import enqueued on SAQ (Redis) is run by a `shoppable worker` process's Worker."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from saq import Job as SaqJob
from saq import Status, Worker

from shoppable.domain.catalog import importing
from shoppable.domain.catalog.importing import ImportMode, ImportStatus
from shoppable.jobs.catalog_import import job_key
from shoppable.jobs.queue import SaqQueue
from shoppable.jobs.worker import SaqHeartbeat, worker_settings
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.imports import SqlImportJobRepository

# Generous: a loaded machine on its first run (cold imports, .pyc compilation) is slow, not broken.
TIMEOUT_SECONDS = 120


async def wait_for(condition: Callable[[], Awaitable[Any]], what: str, worker: asyncio.Task[None]) -> Any:
    """Poll `condition` until it returns something truthy; fail if the worker died or time ran out."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        if result := await condition():
            return result
        if worker.done():
            pytest.fail(f"the SAQ worker stopped while waiting for {what}: {worker!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {TIMEOUT_SECONDS} s")
        await asyncio.sleep(0.05)


async def test_an_import_runs_on_a_saq_worker(database: Database, settings: Settings, redis_url: str) -> None:
    saq_settings = settings.model_copy(
        update={"redis_url": redis_url, "saq_queue": f"test-{uuid.uuid4().hex}"}
    )
    settings.import_dir.mkdir(parents=True, exist_ok=True)
    path = settings.import_dir / "feed.jsonl"
    line = {
        "handle": "via-saq",
        "title": "Queued",
        "skus": [{"sku": "Q-1", "price": "9.00 EUR", "quantity": 4}],
    }
    await asyncio.to_thread(path.write_text, json.dumps(line) + "\n")
    uow = database.unit_of_work(write=True)
    async with uow:
        identity = SqlIdentityRepository(uow)
        owner = await identity.add_user("saq@example.com", "x", "Owner", is_admin=False)
        merchant = await identity.add_merchant("saq-shop", "Shop", "EUR", 3, owner.id)
        job = await SqlImportJobRepository(uow).create(
            merchant.id, "jsonl", ImportMode.DELTA, False, str(path), 1
        )
        await uow.commit()

    config = worker_settings(saq_settings)
    config["cron_jobs"] = []  # only the queued job
    worker = Worker(**config, dequeue_timeout=1)
    # SAQ sweeps its active list when a worker starts. A job dequeued (moved to the active list) but not
    # yet marked active at that moment is swept as stuck: aborted, and its key blocked from being
    # enqueued again for 5 s (SAQ's abort marker is not per queue, and import ids restart at 1 in every
    # test). So the job is enqueued only once the worker's first sweep is done; the next is 60 s later.
    swept = asyncio.Event()
    sweep = worker.queue.sweep

    async def sweep_and_signal(*args: Any, **kwargs: Any) -> list[str]:
        try:
            return await sweep(*args, **kwargs)
        finally:
            swept.set()

    worker.queue.sweep = sweep_and_signal  # type: ignore[method-assign]
    producer = SaqQueue(redis_url, saq_settings.saq_queue)
    running = asyncio.create_task(worker.start())
    try:
        await wait_for(lambda: _is_set(swept), "first sweep by the worker", running)
        key = job_key(job.id)
        await producer.enqueue("catalog_import", job_key=key, import_id=job.id)
        assert await producer.queue.job(key) is not None, f"SAQ did not accept job {key!r}"

        async def finished_import() -> Any:
            uow = database.unit_of_work()
            async with uow:
                current = await SqlImportJobRepository(uow).get(job.id)
            return current if current is not None and current.status.finished else None

        finished = await wait_for(finished_import, f"finished import {job.id}", running)
    finally:
        await worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.close()
    assert finished.status is ImportStatus.SUCCEEDED, finished
    assert finished.counts.created == 1


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


def test_every_periodic_job_is_a_cron_job_with_a_valid_schedule(settings: Settings) -> None:
    from croniter import croniter

    from shoppable.jobs.registry import PERIODIC

    config = worker_settings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"}))
    schedules = {job.function.__name__: job.cron for job in config["cron_jobs"]}
    assert set(schedules) == set(PERIODIC) | {"webhooks_deliver"}  # webhooks: a job a minute, with kwargs
    assert all(isinstance(cron, str) and croniter.is_valid(cron) for cron in schedules.values()), schedules


async def test_a_long_import_beats_its_heartbeat_and_is_not_swept(
    database: Database, settings: Settings, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SAQ aborts a job not heard from for `heartbeat` seconds. This import takes three heartbeats:
    # one product per batch, each batch half a second. The heartbeat is long enough that a loaded
    # machine's stall before the first batch (5.9 s was seen with 2 s, on four test processes) is not
    # mistaken for a stuck job.
    heartbeat = 8
    products = 3 * heartbeat * 2
    monkeypatch.setattr(importing, "BATCH_PRODUCTS", 1)
    apply_batch = importing._apply_batch

    async def slow_batch(*args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0.5)
        await apply_batch(*args, **kwargs)

    monkeypatch.setattr(importing, "_apply_batch", slow_batch)
    saq_settings = settings.model_copy(
        update={
            "redis_url": redis_url,
            "saq_queue": f"test-{uuid.uuid4().hex}",
            "job_heartbeat_seconds": heartbeat,
        }
    )
    settings.import_dir.mkdir(parents=True, exist_ok=True)
    path = settings.import_dir / "slow.jsonl"
    lines = [
        {"handle": f"slow-{i}", "title": "Slow", "skus": [{"sku": f"SLOW-{i}", "price": "1.00 EUR"}]}
        for i in range(products)
    ]
    await asyncio.to_thread(path.write_text, "".join(json.dumps(line) + "\n" for line in lines))
    uow = database.unit_of_work(write=True)
    async with uow:
        identity = SqlIdentityRepository(uow)
        owner = await identity.add_user("slow@example.com", "x", "Owner", is_admin=False)
        merchant = await identity.add_merchant("slow-shop", "Shop", "EUR", 3, owner.id)
        assert merchant is not None
        job = await SqlImportJobRepository(uow).create(
            merchant.id, "jsonl", ImportMode.DELTA, False, str(path), 1
        )
        await uow.commit()

    config = worker_settings(saq_settings)
    config["cron_jobs"] = []
    worker = Worker(**config, dequeue_timeout=1)
    swept = asyncio.Event()  # see the first test for why the job waits for the worker's first sweep
    sweep = worker.queue.sweep

    async def sweep_and_signal(*args: Any, **kwargs: Any) -> list[str]:
        try:
            return await sweep(*args, **kwargs)
        finally:
            swept.set()

    worker.queue.sweep = sweep_and_signal  # type: ignore[method-assign]
    producer = SaqQueue(redis_url, saq_settings.saq_queue, heartbeat_seconds=heartbeat)
    running = asyncio.create_task(worker.start())
    key = job_key(job.id)
    try:
        await wait_for(lambda: _is_set(swept), "first sweep by the worker", running)
        await producer.enqueue("catalog_import", job_key=key, import_id=job.id)

        async def finished_or_swept() -> Any:
            # Once the job runs, sweep as often as SAQ's sweeper could (its lock key is dropped so that
            # it runs now). Not before: a job dequeued but not yet marked active would be swept.
            queued = await producer.queue.job(key)
            if queued is not None and queued.status is Status.ACTIVE:
                await producer.queue.redis.delete(producer.queue._sweep)
                await producer.queue.sweep()
                queued = await producer.queue.job(key)
            if queued is not None and queued.status in {Status.ABORTING, Status.ABORTED, Status.FAILED}:
                return queued
            uow = database.unit_of_work()
            async with uow:
                current = await SqlImportJobRepository(uow).get(job.id)
            return current if current is not None and current.status.finished else None

        outcome = await wait_for(finished_or_swept, f"finished import {job.id}", running)
    finally:
        await worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.close()
    assert not isinstance(outcome, SaqJob), f"SAQ swept the running import: {outcome.status} {outcome.error}"
    assert outcome.status is ImportStatus.SUCCEEDED, outcome
    assert outcome.counts.created == products
    assert outcome.finished_at - outcome.started_at > timedelta(seconds=heartbeat + 1)  # outlived a heartbeat


def test_the_heartbeat_is_throttled() -> None:
    beats: list[float] = []

    class FakeJob:
        heartbeat = 30

        async def update(self) -> None:
            beats.append(clock.now)

    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    beat = SaqHeartbeat(FakeJob(), clock)
    for step in range(100):
        clock.now = step
        asyncio.run(beat(None))
    assert beats == [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
