"""`shoppable worker`: SAQ worker processes running the same job functions as the in-process runner."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from shoppable.jobs.catalog_import import resume_interrupted_imports
from shoppable.jobs.queue import SaqQueue
from shoppable.jobs.registry import JOBS, PERIODIC
from shoppable.services import build_services
from shoppable.settings import Settings


def _saq_function(name: str, fn: Any) -> Any:
    """Adapt `fn(Services, **kwargs)` to SAQ's `fn(ctx: dict, **kwargs)`."""

    @functools.wraps(fn)
    async def run(saq_ctx: dict[str, Any], **kwargs: Any) -> Any:
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
        ],
        "startup": startup,
        "shutdown": shutdown,
        "concurrency": 4,
    }


def run_worker(settings: Settings) -> None:
    from saq import Worker

    worker = Worker(**worker_settings(settings))
    asyncio.run(worker.start())
