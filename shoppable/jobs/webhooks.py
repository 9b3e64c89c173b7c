"""Webhook delivery: a dispatcher loop that runs in the web process (embedded default) or, with
REDIS_URL, as an SAQ cron job in `shoppable worker` processes. Any number of them may run at once:
deliveries are claimed one worker at a time (see `shoppable.domain.webhooks.delivery`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from shoppable.domain.webhooks.delivery import DeliveryRunner
from shoppable.storage.db import Database

if TYPE_CHECKING:
    from shoppable.services import Services

log = logging.getLogger("shoppable.webhooks")

PASS_LIMIT = 500
LOG_RETENTION = timedelta(days=30)
"""Deliveries that ended longer ago than this leave the delivery log (pending ones never do)."""
CLEANUP_BATCH = 5000


def delivery_runner(services: Services, database: Database | None = None) -> DeliveryRunner:
    settings = services.settings
    db = database or services.database
    return DeliveryRunner(
        unit_of_work=lambda: db.unit_of_work(write=True),
        sender=services.webhook_sender,
        clock=services.clock,
        lease_seconds=settings.webhook_lease_seconds,
        concurrency=settings.webhook_concurrency,
    )


class WebhookDispatcher:
    """Delivers what is due, then sleeps until the next delivery is due, a commit queues a new one,
    or `poll_seconds` pass (commits in other processes are seen by polling)."""

    def __init__(self, services: Services, *, own_connections: bool = False) -> None:
        """`own_connections`: a pool of its own (the web process's dispatcher), so deliveries never
        take the connections requests need, nor show in a request's statement count."""
        self.services = services
        self.database = Database(services.settings.database_url) if own_connections else services.database
        self.runner = delivery_runner(services, self.database)
        self.poll_seconds = services.settings.webhook_poll_seconds
        self._wake = asyncio.Event()
        services.database.outbox_listeners.append(self._wake.set)

    async def run(self, *, seconds: float | None = None) -> None:
        try:
            await self._run(seconds)
        finally:
            if self.database is not self.services.database:
                await self.database.dispose()

    async def _run(self, seconds: float | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while deadline is None or loop.time() < deadline:
            self._wake.clear()
            try:
                attempted = await self.runner.deliver_due(PASS_LIMIT)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery pass failed")
                attempted = 0
            if attempted >= PASS_LIMIT:
                continue  # more may be due right now
            wait = await self._seconds_until_due()
            if deadline is not None:
                wait = min(wait, max(0.0, deadline - loop.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _seconds_until_due(self) -> float:
        uow = self.database.unit_of_work()
        try:
            due = await uow.webhooks.next_due_at()
        except Exception:
            log.exception("could not read when the next webhook is due")
            return self.poll_seconds
        finally:
            await uow.close()
        if due is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (due - self.services.clock()).total_seconds()))

    def close(self) -> None:
        if self._wake.set in self.services.database.outbox_listeners:
            self.services.database.outbox_listeners.remove(self._wake.set)


async def webhooks_deliver(services: Services, seconds: float = 0) -> int | None:
    """One delivery pass; with `seconds`, keep delivering that long (the SAQ cron job's form, so that
    one job a minute covers the minute)."""
    if seconds <= 0:
        return await delivery_runner(services).deliver_due(PASS_LIMIT)
    dispatcher = WebhookDispatcher(services)
    try:
        await dispatcher.run(seconds=seconds)
    finally:
        dispatcher.close()
    return None


async def webhook_log_cleanup(services: Services) -> int:
    """The periodic job: forget deliveries (and their attempts and events) that ended 30 days ago."""
    cutoff = services.clock() - LOG_RETENTION
    removed = 0
    while True:
        uow = services.database.unit_of_work(write=True)
        try:
            await uow.begin_write()
            batch = await uow.webhooks.delete_finished_before(cutoff, CLEANUP_BATCH)
            await uow.commit()
        finally:
            await uow.close()
        removed += batch
        if batch < CLEANUP_BATCH:
            return removed
