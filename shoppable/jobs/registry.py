"""Every background job by name, and the queue the settings call for."""

from __future__ import annotations

from shoppable.jobs.catalog_import import catalog_import
from shoppable.jobs.context import JobContext
from shoppable.jobs.queue import InProcessQueue, JobFunction, JobQueue, SaqQueue

JOBS: dict[str, JobFunction] = {"catalog_import": catalog_import}

# Periodic jobs: name -> cron schedule (SAQ); the in-process runner uses the same intervals.
PERIODIC: dict[str, str] = {}


def make_queue(context: JobContext) -> JobQueue:
    """SAQ on Redis when REDIS_URL is set (run `shoppable worker`), else in-process asyncio tasks."""
    if context.settings.redis_url:
        return SaqQueue(context.settings.redis_url)
    return InProcessQueue(context, JOBS)
