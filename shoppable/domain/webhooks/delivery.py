"""The delivery pass: take due deliveries, sign, send, record, schedule the next attempt.

At least once, and never a storm: a delivery is claimed (its attempt counted, its lease set) and
committed *before* the request goes out, and the answer is recorded afterwards. A worker killed
between the two leaves the delivery due again when the lease runs out, with that attempt counted,
so a crash loop still follows the retry schedule and stops after MAX_ATTEMPTS.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from standardwebhooks.webhooks import Webhook

from shoppable.domain.uow import UnitOfWork
from shoppable.domain.webhooks.ports import WebhookSender
from shoppable.domain.webhooks.records import ClaimedDelivery, DeliveryStatus
from shoppable.domain.webhooks.schedule import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    Answer,
    parse_retry_after,
    retry_delay,
)

log = logging.getLogger("shoppable.webhooks")

USER_AGENT = "Shoppable-Webhooks/1.0"
SPENT_BY_INTERRUPTIONS = f"Not sent: all {MAX_ATTEMPTS} attempts were used, the last ones interrupted."


def signed_headers(webhook_id: str, timestamp: datetime, body: str, secrets: Sequence[str]) -> dict[str, str]:
    """Standard Webhooks 1.0 headers: one `v1,` signature per valid secret (two during a rotation)."""
    signatures = " ".join(Webhook(secret).sign(webhook_id, timestamp, body) for secret in secrets)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


@dataclass(frozen=True)
class DeliveryRunner:
    """One delivery pass's collaborators: fresh units of work, the sender, the clock, the jitter."""

    unit_of_work: Callable[[], UnitOfWork]
    sender: WebhookSender
    clock: Callable[[], datetime]
    rng: Callable[[], float] = random.random
    lease_seconds: float = LEASE_SECONDS
    concurrency: int = 16

    async def deliver_due(self, limit: int = 100) -> int:
        """Attempt due deliveries, `concurrency` at a time (so every claim is answered well within its
        lease), until none is due or `limit` were attempted; returns how many were attempted. The
        answers of one batch are recorded in one transaction."""
        attempted = 0
        while attempted < limit:
            claims = await self.claim(min(self.concurrency, limit - attempted))
            if not claims:
                break
            answers = await asyncio.gather(*(self.send(c) for c in claims))
            await self.record_all(list(zip(claims, answers, strict=True)))
            attempted += len(claims)
        return attempted

    async def claim(self, limit: int) -> list[ClaimedDelivery]:
        now = self.clock()
        uow = self.unit_of_work()
        try:
            await uow.begin_write()
            claims = await uow.webhooks.claim_due(now, now + timedelta(seconds=self.lease_seconds), limit)
            await uow.commit()
        finally:
            await uow.close()
        return claims

    async def attempt(self, claim: ClaimedDelivery) -> None:
        await self.record(claim, await self.send(claim))

    async def send(self, claim: ClaimedDelivery) -> Answer:
        if claim.attempt_number > MAX_ATTEMPTS:
            # Its workers kept dying mid-attempt: the attempts are spent, so it is not sent again.
            return Answer(None, 0, error=SPENT_BY_INTERRUPTIONS)
        started = self.clock()
        headers = signed_headers(claim.webhook_id, started, claim.body, claim.secrets)
        return await self.sender.send(claim.url, headers, claim.body.encode())

    async def record(self, claim: ClaimedDelivery, answer: Answer) -> None:
        await self.record_all([(claim, answer)])

    async def record_all(self, answered: list[tuple[ClaimedDelivery, Answer]]) -> None:
        now = self.clock()
        uow = self.unit_of_work()
        try:
            await uow.begin_write()
            for claim, answer in answered:
                await self._record_one(uow, claim, answer, now)
            await uow.commit()
        finally:
            await uow.close()

    async def _record_one(
        self, uow: UnitOfWork, claim: ClaimedDelivery, answer: Answer, now: datetime
    ) -> None:
        status, next_at, disable_reason = self.outcome(claim, answer, now)
        if not await uow.webhooks.record_attempt(claim, answer, now, status, next_at):
            log.warning("delivery %s: lease ran out before the answer was recorded", claim.delivery_id)
            return
        if claim.interrupted_attempt is not None:
            await uow.webhooks.record_interrupted(claim, now)
        if answer.delivered:
            await uow.webhooks.endpoint_succeeded(claim.endpoint_id, now)
        elif disable_reason is not None:
            endpoint = await uow.webhooks.get_endpoint(claim.endpoint_id)
            succeeded_since = (
                endpoint is not None
                and endpoint.last_success_at is not None
                and endpoint.last_success_at > claim.created_at
            )
            if endpoint is not None and endpoint.enabled and (answer.gone or not succeeded_since):
                await uow.webhooks.disable_endpoint(claim.endpoint_id, disable_reason, now)

    def outcome(
        self, claim: ClaimedDelivery, answer: Answer, now: datetime
    ) -> tuple[DeliveryStatus, datetime | None, str | None]:
        """The delivery's new status, when to try next, and why to disable the endpoint (or None)."""
        if answer.delivered:
            return DeliveryStatus.SUCCEEDED, None, None
        if answer.error == SPENT_BY_INTERRUPTIONS:
            return DeliveryStatus.FAILED, None, None  # our workers' trouble, not the endpoint's
        when = now.strftime("%Y-%m-%d %H:%M UTC")
        if answer.gone:
            return DeliveryStatus.FAILED, None, f"The endpoint answered 410 Gone on {when}."
        delay = retry_delay(claim.attempt_number, self.rng, parse_retry_after(answer.retry_after, now))
        if delay is None:
            return (
                DeliveryStatus.FAILED,
                None,
                f"Every one of {MAX_ATTEMPTS} attempts over 3 days to deliver {claim.webhook_id} failed, "
                f"the last on {when} ({answer.describe()}), with no successful delivery since.",
            )
        return DeliveryStatus.PENDING, now + delay, None
