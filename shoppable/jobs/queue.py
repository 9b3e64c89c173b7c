"""One `enqueue(job, **kwargs)` port with two runners behind it.

- `InProcessQueue` (embedded default, no REDIS_URL): jobs run as asyncio tasks of the web process;
  periodic jobs are asyncio loops.
- `SaqQueue` (REDIS_URL set): jobs go to SAQ on Redis and run in `shoppable worker` processes, whose
  periodic jobs are SAQ cron jobs (see `shoppable.jobs.worker`).
The user-visible record of a job (an import's status and counts) is written by the job itself,
so both runners report the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from shoppable.services import Services


log = logging.getLogger("shoppable.jobs")

JobFunction = Callable[..., Awaitable[Any]]

# Generous limits for SAQ, whose defaults (10 s timeout) suit only tiny jobs.
JOB_TIMEOUT_SECONDS = 6 * 3600
JOB_HEARTBEAT_SECONDS = 300


class JobQueue(Protocol):
    async def enqueue(self, job: str, *, job_key: str | None = None, **kwargs: Any) -> None: ...

    async def close(self) -> None: ...


class InProcessQueue:
    def __init__(self, services: Services, functions: dict[str, JobFunction]) -> None:
        self.services = services
        self.functions = functions
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running_keys: set[str] = set()

    async def enqueue(self, job: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        if job not in self.functions:
            raise KeyError(f"unknown job {job!r}")
        if job_key is not None and job_key in self._running_keys:
            return
        task = asyncio.create_task(self._run(job, job_key, kwargs), name=f"job:{job}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: str, job_key: str | None, kwargs: dict[str, Any]) -> None:
        if job_key is not None:
            self._running_keys.add(job_key)
        try:
            await self.functions[job](self.services, **kwargs)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s failed", job)
        finally:
            if job_key is not None:
                self._running_keys.discard(job_key)

    def every(self, seconds: float, job: str, **kwargs: Any) -> None:
        """Run `job` periodically (the in-process stand-in for SAQ cron jobs)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                await self._run(job, f"periodic:{job}", kwargs)

        task = asyncio.create_task(loop(), name=f"periodic:{job}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def background(self, name: str, run: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run a long-lived loop (the webhook dispatcher) until the queue closes; `drain` ignores it."""
        task = asyncio.create_task(run(), name=f"periodic:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the queued (non-periodic) jobs to finish; used by the CLI and tests."""
        while pending := [t for t in self._tasks if not t.get_name().startswith("periodic:")]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class SaqQueue:
    def __init__(
        self, redis_url: str, name: str = "shoppable", *, heartbeat_seconds: int = JOB_HEARTBEAT_SECONDS
    ) -> None:
        from saq import Queue

        self.queue = Queue.from_url(redis_url, name=name)
        self.heartbeat_seconds = heartbeat_seconds

    async def enqueue(self, job: str, *, job_key: str | None = None, **kwargs: Any) -> None:
        # A job not heard from for `heartbeat` seconds is aborted by SAQ's sweeper: jobs that report
        # progress beat through it (see `shoppable.jobs.worker.SaqHeartbeat`).
        options: dict[str, Any] = {
            "timeout": JOB_TIMEOUT_SECONDS,
            "heartbeat": self.heartbeat_seconds,
            "retries": 1,
        }
        if job_key is not None:
            options["key"] = job_key
        await self.queue.enqueue(job, **options, **kwargs)

    async def close(self) -> None:
        await self.queue.disconnect()
