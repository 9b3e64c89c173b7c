"""Imports interrupted by a crash are taken up again; an import queued twice still runs once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from shoppable.domain.catalog.importing import ImportMode, ImportStatus
from shoppable.jobs.catalog_import import catalog_import, resume_interrupted_imports
from shoppable.jobs.queue import InProcessQueue
from shoppable.services import Services
from shoppable.settings import Settings
from shoppable.storage.catalog import SqlCatalogRepository
from shoppable.storage.db import Database
from shoppable.storage.tables import CatalogImportRow


async def _job(database: Database, settings: Settings, handle: str) -> int:
    settings.import_dir.mkdir(parents=True, exist_ok=True)
    path = settings.import_dir / f"{handle}.jsonl"
    line = {"handle": handle, "title": "Thing", "skus": [{"sku": handle, "price": "5.00 EUR", "quantity": 1}]}
    path.write_text(json.dumps(line) + "\n")
    uow = database.unit_of_work(write=True)
    async with uow:
        owner = await uow.identity.add_user(f"{handle}@example.com", "x", "Owner", is_admin=False)
        merchant = await uow.identity.add_merchant(f"shop-{handle}", "Shop", "EUR", 3, owner.id)
        job = await uow.imports.create(merchant.id, "jsonl", ImportMode.DELTA, False, str(path), 1)
        await uow.commit()
    return job.id


async def _set(database: Database, job_id: int, **values: object) -> None:
    uow = database.unit_of_work(write=True)
    async with uow:
        table = CatalogImportRow.__table__
        await uow.execute(update(table).where(table.c.id == job_id).values(**values))
        await uow.commit()


async def _status(database: Database, job_id: int) -> ImportStatus:
    uow = database.unit_of_work()
    async with uow:
        job = await uow.imports.get(job_id)
    assert job is not None
    return job.status


async def test_stale_running_imports_resume_and_live_ones_are_left(
    database: Database, settings: Settings, services: Services
) -> None:
    now = datetime.now(UTC)
    dead = await _job(database, settings, "dead")
    alive = await _job(database, settings, "alive")
    await _set(database, dead, status="running", heartbeat_at=now - timedelta(minutes=30))
    await _set(database, alive, status="running", heartbeat_at=now)
    assert await resume_interrupted_imports(services) == 1
    assert isinstance(services.jobs, InProcessQueue)
    await services.jobs.drain()
    assert await _status(database, dead) is ImportStatus.SUCCEEDED
    assert await _status(database, alive) is ImportStatus.RUNNING
    remaining = {p.name for p in await asyncio.to_thread(lambda: list(settings.import_dir.iterdir()))}
    assert remaining == {"alive.jsonl"}  # the applied upload is gone; the live job's file stays


async def test_an_import_queued_twice_runs_once(
    database: Database, settings: Settings, services: Services
) -> None:
    job_id = await _job(database, settings, "twice")
    first = await catalog_import(services, import_id=job_id)
    second = await catalog_import(services, import_id=job_id)
    assert first is not None and first.status is ImportStatus.SUCCEEDED
    assert second is not None and second.counts.created == 1  # the finished job, not a second run
    await _set(database, job_id, status="running", heartbeat_at=datetime.now(UTC))
    late = await catalog_import(services, import_id=job_id)
    assert late is not None and late.status is ImportStatus.RUNNING  # not claimed: someone else has it


async def test_an_import_interrupted_again_and_again_is_given_up(
    database: Database, settings: Settings, services: Services
) -> None:
    job_id = await _job(database, settings, "cursed")
    stale = datetime.now(UTC) - timedelta(hours=1)
    await _set(database, job_id, status="running", heartbeat_at=stale, attempts=3)
    assert await resume_interrupted_imports(services) == 0
    assert await _status(database, job_id) is ImportStatus.FAILED


async def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(
    database: Database, settings: Settings, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await _job(database, settings, "broken")

    async def explode(*_args: object, **_kwargs: object) -> list[int]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(SqlCatalogRepository, "write_products", explode)
    finished = await catalog_import(services, import_id=job_id)
    assert finished is not None and finished.status is ImportStatus.FAILED
    assert finished.message is not None and "internal error" in finished.message
    assert "disk on fire" not in finished.message
