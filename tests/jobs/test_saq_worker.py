"""The production runner: an import enqueued on SAQ (Redis) is run by a `shoppable worker` process's Worker."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest
from saq import Worker

from shoppable.domain.catalog.importing import ImportMode, ImportStatus
from shoppable.jobs.catalog_import import job_key
from shoppable.jobs.queue import SaqQueue
from shoppable.jobs.worker import worker_settings
from shoppable.settings import Settings
from shoppable.storage.db import Database
from shoppable.storage.identity import SqlIdentityRepository
from shoppable.storage.imports import SqlImportJobRepository

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_an_import_runs_on_a_saq_worker(database: Database, settings: Settings) -> None:
    saq_settings = settings.model_copy(
        update={"redis_url": REDIS_URL, "saq_queue": f"test-{uuid.uuid4().hex}"}
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

    producer = SaqQueue(REDIS_URL, saq_settings.saq_queue)
    try:
        await producer.enqueue("catalog_import", job_key=job_key(job.id), import_id=job.id)
    except OSError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    config = worker_settings(saq_settings)
    config["cron_jobs"] = []  # only the queued job
    worker = Worker(**config, dequeue_timeout=1)
    running = asyncio.create_task(worker.start())
    try:
        finished = None
        for _ in range(300):
            uow = database.unit_of_work()
            async with uow:
                finished = await SqlImportJobRepository(uow).get(job.id)
            if finished is not None and finished.status.finished:
                break
            await asyncio.sleep(0.1)
    finally:
        await worker.stop()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.close()
    assert finished is not None and finished.status is ImportStatus.SUCCEEDED, finished
    assert finished.counts.created == 1
