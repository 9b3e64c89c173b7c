"""`shoppable worker`: SAQ worker processes running the same job functions as the in-process runner."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any

from shoppable.jobs.catalog_import import resume_interrupted_imports
from shoppable.jobs.queue import SaqQueue
from shoppable.jobs.registry import JOBS, PERIODIC
from shoppable.services import build_services
from shoppable.settings import Settings

WEBHOOK_CRON_SECONDS = 59.0


class SaqHeartbeat:
    """A long job's progress callback that keeps its SAQ job alive: `job.update()` (SAQ's heartbeat)
    at most every third of the job's heartbeat, so a job reporting progress is never swept as stuck,
    and one that stops reporting still is."""

    def __init__(self, job: Any, clock: Any = time.monotonic) -> None:
        self.job = job
        self.clock = clock
        self.every = (job.heartbeat or 0) / 3
        self.last = clock()

    async def __call__(self, _progress: object = None) -> None:
        if not self.job.heartbeat:
            return
        current = self.clock()
        if current - self.last >= self.every:
            self.last = current
            await self.job.update()


def _saq_function(name: str, fn: Any) -> Any:
    """Adapt `fn(Services, **kwargs)` to SAQ's `fn(ctx: dict, **kwargs)`; a job function that takes
    `on_progress` gets one that beats the SAQ job's heartbeat."""
    reports_progress = "on_progress" in inspect.signature(fn).parameters

    @functools.wraps(fn)
    async def run(saq_ctx: dict[str, Any], **kwargs: Any) -> Any:
        job = saq_ctx.get("job")
        if reports_progress and job is not None:
            kwargs["on_progress"] = SaqHeartbeat(job)
        result = await fn(saq_ctx["shoppable"], **kwargs)
        return None if result is None else str(result)

    run.__name__ = name
    run.__qualname__ = name
    return run


def worker_settings(settings: Settings) -> dict[str, Any]:
    from saq import CronJob

    assert settings.redis_url
    services = build_services(settings)
    queue = services.jobs
    assert isinstance(queue, SaqQueue)

    async def startup(saq_ctx: dict[str, Any]) -> None:
        saq_ctx["shoppable"] = services
        await resume_interrupted_imports(services)

    async def shutdown(saq_ctx: dict[str, Any]) -> None:
        await services.database.dispose()  # the worker disconnects its queue itself

    return {
        "queue": queue.queue,
        "functions": [_saq_function(name, fn) for name, fn in JOBS.items()],
        "cron_jobs": [
            CronJob(_saq_function(name, JOBS[name]), cron=cron, timeout=3600)
            for name, (cron, _seconds) in PERIODIC.items()
        ]
        + [
            # Webhook delivery: a job a minute that delivers for that minute (cron jobs are unique, so
            # one at a time however many workers run; add workers for imports, not for this).
            CronJob(
                _saq_function("webhooks_deliver", JOBS["webhooks_deliver"]),
                cron="* * * * *",
                timeout=120,
                kwargs={"seconds": WEBHOOK_CRON_SECONDS},
            )
        ],
        "startup": startup,
        "shutdown": shutdown,
        "concurrency": 4,
    }


def run_worker(settings: Settings) -> None:
    from saq import Worker

    worker = Worker(**worker_settings(settings))
    asyncio.run(worker.start())
