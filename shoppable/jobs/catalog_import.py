"""The catalog import job, and recovery of imports a restart interrupted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shoppable.domain.catalog.formats import FeedError, parse_feed
from shoppable.domain.catalog.importing import (
    CANCELLED_MESSAGE,
    ImportJob,
    ImportStatus,
    claim,
    finish_import,
    run_import,
)
from shoppable.jobs.vision import request_image_sync

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.jobs")

STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3


def job_key(import_id: int) -> str:
    return f"catalog-import:{import_id}"


async def enqueue_import(services: Services, import_id: int) -> None:
    """Queue an import to run; one queued twice still runs once (it starts with an atomic claim)."""
    await services.jobs.enqueue("catalog_import", job_key=job_key(import_id), import_id=import_id)


async def catalog_import(
    services: Services,
    *,
    import_id: int,
    on_progress: Callable[[ImportJob], Awaitable[None] | None] | None = None,
) -> ImportJob | None:
    """Run one import. An uploaded file is removed once the job has ended, whatever the outcome
    (files named on the command line are left alone); a job another runner has keeps its file."""
    outcome = await _run(services, import_id, on_progress)
    if outcome is not None and outcome.status.finished:
        await request_image_sync(services)
        path = Path(outcome.file_path)
        if await asyncio.to_thread(_is_upload, path, services.settings.import_dir):
            await asyncio.to_thread(path.unlink, missing_ok=True)
    return outcome


async def _run(
    services: Services, import_id: int, on_progress: Callable[[ImportJob], Awaitable[None] | None] | None
) -> ImportJob | None:
    uow = services.database.unit_of_work(write=True)
    async with uow:
        jobs = uow.imports
        job = await jobs.get(import_id)
        if job is None or job.status.finished:
            return job
        if not await claim(uow, job):
            return job  # another runner has it (and its file)
        merchant = await uow.identity.get_merchant(job.merchant_id)
        assert merchant is not None  # imports reference their merchant
        path = Path(job.file_path)
        try:
            stream = await asyncio.to_thread(path.open, "rb")
        except OSError:
            log.exception("import %s: file %s unreadable", import_id, path)
            await finish_import(
                uow, job.id, ImportStatus.FAILED, job.counts, job.error_count, "The uploaded file is gone."
            )
            await uow.commit()
            return await jobs.get(job.id)
        with stream:
            try:
                items = parse_feed(stream, job.format, currency=merchant.currency)
            except FeedError as exc:
                await finish_import(uow, job.id, ImportStatus.FAILED, job.counts, job.error_count, str(exc))
                await uow.commit()
                return await jobs.get(job.id)
            try:
                finished = await run_import(
                    uow,
                    merchant,
                    job,
                    items,
                    position=stream.tell,
                    max_archive_share=services.settings.import_archive_max_share,
                    clock=services.clock,
                    on_progress=on_progress,
                )
            except Exception:
                log.exception("import %s stopped by an unexpected error", import_id)
                await uow.rollback()  # release the transaction (and SQLite's write lock) first
                return await _fail_after_error(services, job)
    log.info("import %s finished: %s %s", import_id, finished.status, finished.counts)
    return finished


async def _fail_after_error(services: Services, job: ImportJob) -> ImportJob | None:
    """Record the failure on a fresh connection (the job's own transaction may be broken)."""
    uow = services.database.unit_of_work(write=True)
    async with uow:
        jobs = uow.imports
        current = await jobs.get(job.id) or job
        message = "The import stopped on an internal error (logged); products read before it were applied."
        await finish_import(uow, job.id, ImportStatus.FAILED, current.counts, current.error_count, message)
        await uow.commit()
        return await jobs.get(job.id)


def _is_upload(path: Path, import_dir: Path) -> bool:
    return path.resolve().is_relative_to(import_dir.resolve())


async def resume_interrupted_imports(services: Services) -> int:
    """Take up imports that a crash or restart interrupted; they re-read their file from the start.

    Runs at start-up and every minute. A running import whose heartbeat (written with every batch)
    is older than `STALE_AFTER` belonged to a process that died: it goes back to the queue. Queued
    imports older than a minute are queued again (the queue or the worker may have lost them); a
    job queued twice still runs once, since running starts with an atomic claim. Re-applying a
    file is safe because imports are idempotent.
    """
    now = services.clock()
    uow = services.database.unit_of_work(write=True)
    resumed = 0
    async with uow:
        jobs = uow.imports
        to_queue = []
        for job in await jobs.unfinished():
            if job.status is ImportStatus.QUEUED:
                if now - job.created_at >= timedelta(minutes=1):
                    to_queue.append(job.id)
                continue
            if now - (job.heartbeat_at or job.created_at) < STALE_AFTER:
                continue  # running, alive
            if job.cancel_requested_at is not None:
                await finish_import(
                    uow, job.id, ImportStatus.CANCELLED, job.counts, job.error_count, CANCELLED_MESSAGE
                )
                continue
            if job.attempts >= MAX_ATTEMPTS:
                await finish_import(
                    uow,
                    job.id,
                    ImportStatus.FAILED,
                    job.counts,
                    job.error_count,
                    f"Interrupted {job.attempts} times; gave up.",
                )
                continue
            if not await asyncio.to_thread(Path(job.file_path).exists):
                await finish_import(
                    uow,
                    job.id,
                    ImportStatus.FAILED,
                    job.counts,
                    job.error_count,
                    "Interrupted; the uploaded file is gone.",
                )
                continue
            await jobs.restart(job.id)
            to_queue.append(job.id)
            resumed += 1
        await uow.commit()
    for import_id in to_queue:
        await enqueue_import(services, import_id)
    if resumed:
        log.warning("resumed %d interrupted catalog import(s)", resumed)
    return resumed


async def resume_imports(services: Services) -> int:
    """The periodic job."""
    return await resume_interrupted_imports(services)
