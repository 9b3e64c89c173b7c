"""Webhooks through the outbox: events per second to a local receiver, and the delay from the commit
of the change to the event's arrival (p50/p99).

The receiver is a separate uvicorn process that answers 200 and writes `webhook-id arrival-time` per
request; the delivery side is the real in-process dispatcher (`WebhookDispatcher`, as the web process
runs it) with the real pinned HTTP sender, signing every request.
- Throughput: EVENTS events committed in transactions of 100, timed from the first commit to the
  last arrival.
- Latency: SAMPLES events, one per transaction every 20 ms (a shop's steady trickle), each timed from
  the end of its commit to its arrival.

    python bench/webhooks.py [--database-url postgresql+asyncpg://...] [--events 2000] [--samples 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import BENCH_SECRET, command_line, free_port, percentile, scratch_database
from shoppable.domain.identity.actor import OPERATOR
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.jobs.webhooks import WebhookDispatcher
from shoppable.services import build_services
from shoppable.settings import Settings
from shoppable.storage.identity import SqlIdentityRepository

ARRIVALS_ENV = "BENCH_WEBHOOK_ARRIVALS"


def receiver_app() -> Callable[..., Awaitable[None]]:
    """ASGI factory for the receiver process: records each webhook-id with its arrival time."""
    log = open(os.environ[ARRIVALS_ENV], "a", buffering=1)  # noqa: SIM115 (lives as long as the process)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        log.write(f"{headers.get(b'webhook-id', b'-').decode()} {time.time()}\n")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def arrivals(path: Path) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in path.read_text().splitlines():
        webhook_id, at = line.split()
        if webhook_id != "-":  # the readiness probe
            found.setdefault(webhook_id, float(at))
    return found


async def wait_for(path: Path, count: int, patience: float = 600) -> None:
    deadline = time.monotonic() + patience
    while len(arrivals(path)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(arrivals(path))} of {count} arrived")
        await asyncio.sleep(0.01)


async def run(database_url: str, receiver_url: str, arrivals_path: Path, events: int, samples: int) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key=BENCH_SECRET,
        allow_private_network_fetch=True,
        log_level="WARNING",
    )
    services = build_services(settings)
    database = services.database
    uow = database.unit_of_work(write=True)
    async with uow:
        identity = SqlIdentityRepository(uow)
        owner = await identity.add_user("bench@example.com", "x", "Bench", is_admin=False)
        merchant = await identity.add_merchant("bench-shop", "Bench", "EUR", 3, owner.id)
        assert merchant is not None
        await uow.commit()
        await service.create_endpoint(
            uow, OPERATOR, service.NewEndpoint(merchant.id, receiver_url, [WebhookEvent.PRODUCT_UPDATED]),
            allow_private=True,
        )  # fmt: skip
    dispatcher = WebhookDispatcher(services)
    task = asyncio.create_task(dispatcher.run())
    try:
        # Throughput.
        started = time.perf_counter()
        for batch in range(0, events, 100):
            uow = database.unit_of_work(write=True)
            async with uow:
                data = [
                    {"id": i, "handle": f"product-{i}", "title": "A product"}
                    for i in range(batch, batch + 100)
                ]
                await service.record_webhook_events(uow, merchant.id, WebhookEvent.PRODUCT_UPDATED, data)
                await uow.commit()
        await wait_for(arrivals_path, events)
        elapsed = time.perf_counter() - started
        print(f"throughput: {events} events in {elapsed:.2f} s = {events / elapsed:.0f} events/s")
        # Latency, commit to arrival.
        committed: dict[str, float] = {}
        for i in range(samples):
            uow = database.unit_of_work(write=True)
            async with uow:
                await service.record_webhook_event(uow, merchant.id, WebhookEvent.PRODUCT_UPDATED, {"id": -i})
                page = await uow.webhooks.deliveries_page(merchant.id, service.PageRequest(first=1))
                await uow.commit()
            committed[page.items[0].webhook_id] = time.time()
            await asyncio.sleep(0.02)
        await wait_for(arrivals_path, events + samples)
        arrived = arrivals(arrivals_path)
        delays = [arrived[webhook_id] - at for webhook_id, at in committed.items()]
        print(
            f"commit to delivery ({samples} events, one per transaction every 20 ms): "
            f"p50 {percentile(delays, 0.5) * 1000:.1f} ms, p99 {percentile(delays, 0.99) * 1000:.1f} ms"
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        dispatcher.close()
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    print(command_line())
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url) as database_url:
        arrivals_path = Path(tmp) / "arrivals.txt"
        arrivals_path.touch()
        port = free_port()
        receiver = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "bench.webhooks:receiver_app", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            env=os.environ | {ARRIVALS_ENV: str(arrivals_path)},
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.post(f"http://127.0.0.1:{port}/", content=b"{}", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            print(f"database: {database_url.split(':')[0]}")
            asyncio.run(
                run(database_url, f"http://127.0.0.1:{port}/hooks", arrivals_path, args.events, args.samples)
            )
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)


if __name__ == "__main__":
    main()
