"""The delivery runner against in-memory repositories and a scripted sender: outcomes, leases, crashes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from shoppable.domain.errors import DomainError
from shoppable.domain.identity.actor import Actor
from shoppable.domain.pagination import PageRequest
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.delivery import DeliveryRunner
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import DeliveryStatus
from shoppable.domain.webhooks.schedule import MAX_ATTEMPTS, Answer
from tests.domain.in_memory import InMemoryUnitOfWork

OWNER = Actor(user_id=1, merchant_ids=frozenset({1}))
STRANGER = Actor(user_id=2, merchant_ids=frozenset({2}))


@dataclass
class ScriptedSender:
    answers: Callable[[int], Answer] = lambda _n: Answer(200, 3)
    sent: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        self.sent.append((url, headers, body))
        return self.answers(len(self.sent))


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(seconds=1))

    def __call__(self) -> datetime:
        return self.now


async def world(sender: ScriptedSender) -> tuple[InMemoryUnitOfWork, DeliveryRunner, Clock, int]:
    uow = InMemoryUnitOfWork()
    await uow.identity.add_merchant("shop", "Shop", "EUR", 5, 1)
    created = await service.create_endpoint(
        uow, OWNER, service.NewEndpoint(1, "https://hooks.example.com/x", [WebhookEvent.PRODUCT_UPDATED]),
        allow_private=False,
    )  # fmt: skip
    clock = Clock()
    runner = DeliveryRunner(lambda: uow, sender, clock, rng=lambda: 0.5, lease_seconds=60)
    return uow, runner, clock, created.endpoint.id


async def record(uow: InMemoryUnitOfWork, data: dict | None = None) -> None:
    await service.record_webhook_event(uow, 1, WebhookEvent.PRODUCT_UPDATED, data or {"id": 1})
    await uow.commit()


async def test_an_event_is_delivered_once_and_logged() -> None:
    sender = ScriptedSender()
    uow, runner, _clock, _endpoint = await world(sender)
    await record(uow)
    assert await runner.deliver_due() == 1
    assert await runner.deliver_due() == 0
    assert len(sender.sent) == 1
    [delivery] = [d.delivery for d in (await uow.webhooks.deliveries_page(1, PageRequest())).items]
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.attempt_count == 1


async def test_rolled_back_change_sends_nothing() -> None:
    sender = ScriptedSender()
    uow, runner, _clock, _endpoint = await world(sender)
    await service.record_webhook_event(uow, 1, WebhookEvent.PRODUCT_UPDATED, {"id": 1})
    await uow.rollback()
    assert await runner.deliver_due() == 0 and sender.sent == []


async def test_unsubscribed_events_and_other_merchants_are_not_delivered() -> None:
    sender = ScriptedSender()
    uow, runner, _clock, _endpoint = await world(sender)
    await service.record_webhook_event(uow, 1, WebhookEvent.INVENTORY_LOW, {"id": 1})
    await service.record_webhook_event(uow, 2, WebhookEvent.PRODUCT_UPDATED, {"id": 1})
    await uow.commit()
    assert await runner.deliver_due() == 0


async def test_failures_follow_the_schedule_then_disable_the_endpoint_with_a_reason() -> None:
    sender = ScriptedSender(lambda _n: Answer(500, 5))
    uow, runner, clock, endpoint_id = await world(sender)
    await record(uow)
    delays = []
    for _ in range(MAX_ATTEMPTS):
        assert await runner.deliver_due() == 1
        delivery = next(iter(uow.webhooks.deliveries.values()))
        if delivery.next_attempt_at is not None:
            delays.append(delivery.next_attempt_at - clock.now)
            assert await runner.deliver_due() == 0  # not due before its time
            clock.now = delivery.next_attempt_at
    assert delays[:3] == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)]
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempt_count == MAX_ATTEMPTS
    endpoint = await uow.webhooks.get_endpoint(endpoint_id)
    assert endpoint is not None and not endpoint.enabled
    assert endpoint.disabled_reason and "HTTP 500" in endpoint.disabled_reason
    assert len(sender.sent) == MAX_ATTEMPTS


async def test_a_success_in_between_keeps_the_endpoint_enabled() -> None:
    sender = ScriptedSender(lambda _n: Answer(503, 5))
    uow, runner, clock, endpoint_id = await world(sender)
    await record(uow)
    await runner.deliver_due()
    await uow.webhooks.endpoint_succeeded(
        endpoint_id, clock.now + timedelta(seconds=1)
    )  # another event got through
    for _ in range(MAX_ATTEMPTS):
        clock.now += timedelta(days=1)
        await runner.deliver_due()
    endpoint = await uow.webhooks.get_endpoint(endpoint_id)
    assert endpoint is not None and endpoint.enabled


async def test_gone_disables_at_once_and_retry_after_is_honoured() -> None:
    sender = ScriptedSender(lambda n: Answer(429, 5, retry_after="600") if n == 1 else Answer(410, 5))
    uow, runner, clock, endpoint_id = await world(sender)
    await record(uow)
    await runner.deliver_due()
    delivery = next(iter(uow.webhooks.deliveries.values()))
    assert delivery.next_attempt_at == clock.now + timedelta(seconds=600)
    clock.now += timedelta(seconds=600)
    await runner.deliver_due()
    endpoint = await uow.webhooks.get_endpoint(endpoint_id)
    assert endpoint is not None and not endpoint.enabled and "410" in (endpoint.disabled_reason or "")
    await record(uow)
    assert await runner.deliver_due() == 0  # a disabled endpoint gets nothing


async def test_a_worker_killed_mid_attempt_is_retried_after_its_lease_and_logged() -> None:
    sender = ScriptedSender()
    uow, runner, clock, _endpoint = await world(sender)
    await record(uow)
    [claim] = await runner.claim(10)  # claimed and committed, then the worker "dies"
    assert await runner.deliver_due() == 0  # leased: nobody else sends it meanwhile
    clock.now += timedelta(seconds=61)
    assert await runner.deliver_due() == 1
    delivery = uow.webhooks.deliveries[claim.delivery_id]
    assert delivery.status is DeliveryStatus.SUCCEEDED and delivery.attempt_count == 2
    logged = await uow.webhooks.logged_delivery(delivery.id)
    assert logged is not None
    log = logged.attempts
    assert [a.number for a in log] == [1, 2] and "stopped" in (log[0].error or "")
    # The late answer of the dead worker's claim is not recorded over the new one.
    await runner.record(claim, Answer(500, 1))
    assert uow.webhooks.deliveries[claim.delivery_id].status is DeliveryStatus.SUCCEEDED


class WorkerDied(Exception):
    pass


@dataclass
class DyingSender:
    """Sends, then its worker is killed before the answer is recorded."""

    sent: int = 0

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Answer:
        self.sent += 1
        raise WorkerDied


async def test_crash_loops_send_at_most_max_attempts_times() -> None:
    uow, runner, clock, _endpoint = await world(ScriptedSender())
    dying = DyingSender()
    doomed = DeliveryRunner(lambda: uow, dying, clock, rng=lambda: 0.5, lease_seconds=60)
    await record(uow)
    for _ in range(100):
        for claim in await doomed.claim(10):
            with contextlib.suppress(WorkerDied):
                await doomed.attempt(claim)
        clock.now += timedelta(minutes=2)
    assert dying.sent == MAX_ATTEMPTS
    # A healthy worker does not send it an eleventh time: it records why it gave up.
    healthy = ScriptedSender()
    runner = DeliveryRunner(lambda: uow, healthy, clock, rng=lambda: 0.5, lease_seconds=60)
    await runner.deliver_due()
    [delivery] = uow.webhooks.deliveries.values()
    assert healthy.sent == [] and delivery.status is DeliveryStatus.FAILED
    assert "attempts were used" in (delivery.last_error or "")


async def test_management_is_for_the_merchant_only_and_secret_rotation_signs_twice() -> None:
    sender = ScriptedSender()
    uow, runner, _clock, endpoint_id = await world(sender)
    assert await service.list_endpoints(uow, STRANGER, 1) is None
    assert await service.visible_endpoint(uow, STRANGER, endpoint_id) is None
    for operation in (service.rotate_secret, service.delete_endpoint, service.send_test_event):
        try:
            await operation(uow, STRANGER, endpoint_id)
        except DomainError as exc:
            assert exc.errors[0].code == "NOT_FOUND"
        else:
            raise AssertionError(f"{operation.__name__} let a stranger in")
    rotated = await service.rotate_secret(uow, OWNER, endpoint_id)
    await service.send_test_event(uow, OWNER, endpoint_id)
    await runner.deliver_due()
    assert sender.sent[-1][1]["webhook-signature"].count("v1,") == 2
    assert rotated.secret.startswith("whsec_")
