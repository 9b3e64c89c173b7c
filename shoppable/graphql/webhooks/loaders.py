"""Attempts of a page of deliveries, read in one statement for the whole page."""

from __future__ import annotations

from collections.abc import Sequence

from shoppable.domain.uow import UnitOfWork
from shoppable.domain.webhooks import service
from shoppable.domain.webhooks.records import WebhookAttempt, WebhookDelivery


async def attempts_by_delivery(
    uow: UnitOfWork, deliveries: Sequence[WebhookDelivery]
) -> dict[int, list[WebhookAttempt]]:
    if not deliveries:
        return {}
    return await service.attempts_of(uow, [d.id for d in deliveries])
