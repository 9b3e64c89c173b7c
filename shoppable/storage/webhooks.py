"""SQL side of webhooks: endpoints, the outbox, deliveries (claimed with SKIP LOCKED) and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, insert, literal, null, select, union_all, update
from sqlalchemy import cast as sql_cast

from shoppable.domain.pagination import Page, PageRequest, page_from_rows
from shoppable.domain.webhooks.events import WebhookEvent
from shoppable.domain.webhooks.records import (
    ClaimedDelivery,
    DeliveryStatus,
    LoggedDelivery,
    NewEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from shoppable.domain.webhooks.schedule import Answer
from shoppable.storage.db import SqlTransaction
from shoppable.storage.sql import chunks, table_of
from shoppable.storage.tables import (
    WebhookAttemptRow,
    WebhookDeliveryRow,
    WebhookEndpointRow,
    WebhookEventRow,
)

endpoints = table_of(WebhookEndpointRow)
events = table_of(WebhookEventRow)
deliveries = table_of(WebhookDeliveryRow)
attempts = table_of(WebhookAttemptRow)

MAX_ERROR_CHARS = 500
MAX_EXCERPT_CHARS = 1000


def _endpoint(row: Any) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=row.id,
        merchant_id=row.merchant_id,
        url=row.url,
        events=tuple(WebhookEvent(e) for e in row.events if e in WebhookEvent.__members__),
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        disabled_at=row.disabled_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        secret_rotated_at=row.secret_rotated_at,
        previous_secret_expires_at=row.previous_secret_expires_at,
        last_success_at=row.last_success_at,
    )


_DELIVERY_COLUMNS = (
    deliveries.c.id,
    deliveries.c.endpoint_id,
    deliveries.c.merchant_id,
    deliveries.c.event_id,
    deliveries.c.status,
    deliveries.c.attempt_count,
    deliveries.c.next_attempt_at,
    deliveries.c.last_status_code,
    deliveries.c.last_error,
    deliveries.c.created_at,
    deliveries.c.finished_at,
    deliveries.c.manual,
    events.c.webhook_id,
    events.c.event_type,
    events.c.payload,
)


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        endpoint_id=row.endpoint_id,
        merchant_id=row.merchant_id,
        event_id=row.event_id,
        webhook_id=row.webhook_id,
        event_type=row.event_type,
        payload=row.payload,
        status=DeliveryStatus(row.status),
        attempt_count=row.attempt_count,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        finished_at=row.finished_at,
        manual=row.manual,
    )


_ATTEMPT_COLUMNS = (
    attempts.c.id.label("attempt_id"),
    attempts.c.number.label("attempt_number"),
    attempts.c.started_at.label("attempt_started_at"),
    attempts.c.status_code.label("attempt_status_code"),
    attempts.c.latency_ms.label("attempt_latency_ms"),
    attempts.c.error.label("attempt_error"),
    attempts.c.response_excerpt.label("attempt_response_excerpt"),
)
"""Labelled apart from the delivery's own columns, which share their names."""


def _attempt(row: Any) -> WebhookAttempt:
    return WebhookAttempt(
        id=row.attempt_id,
        delivery_id=row.id,
        number=row.attempt_number,
        started_at=row.attempt_started_at,
        status_code=row.attempt_status_code,
        latency_ms=row.attempt_latency_ms,
        error=row.attempt_error,
        response_excerpt=row.attempt_response_excerpt,
    )


def _clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SqlWebhookRepository:
    def __init__(self, tx: SqlTransaction) -> None:
        self.tx = tx
        self.wrote_deliveries = False
        """Set when this transaction queued deliveries: the unit of work wakes the worker on commit."""

    # -- endpoints ----------------------------------------------------------------------------------

    async def add_endpoint(
        self, merchant_id: int, url: str, events_: Sequence[WebhookEvent], secret: str, now: datetime
    ) -> WebhookEndpoint:
        result = await self.tx.execute(
            insert(endpoints)
            .values(
                merchant_id=merchant_id,
                url=url,
                events=[e.value for e in events_],
                enabled=True,
                secret=secret,
                created_at=now,
                updated_at=now,
            )
            .returning(*endpoints.c)
        )
        return _endpoint(result.one())

    async def get_endpoint(self, endpoint_id: int) -> WebhookEndpoint | None:
        row = (await self.tx.execute(select(endpoints).where(endpoints.c.id == endpoint_id))).first()
        return _endpoint(row) if row else None

    async def endpoints_of(self, merchant_id: int) -> list[WebhookEndpoint]:
        rows = await self.tx.execute(
            select(endpoints).where(endpoints.c.merchant_id == merchant_id).order_by(endpoints.c.id)
        )
        return [_endpoint(r) for r in rows]

    async def update_endpoint(
        self,
        endpoint_id: int,
        now: datetime,
        *,
        url: str | None = None,
        events: Sequence[WebhookEvent] | None = None,
        enabled: bool | None = None,
    ) -> None:
        values: dict[str, Any] = {"updated_at": now}
        if url is not None:
            values["url"] = url
        if events is not None:
            values["events"] = [e.value for e in events]
        if enabled is not None:
            values["enabled"] = enabled
            if enabled:
                values["disabled_reason"] = None
                values["disabled_at"] = None
            else:
                values["disabled_at"] = now
                values["disabled_reason"] = "Disabled by the merchant."
        await self.tx.execute(update(endpoints).where(endpoints.c.id == endpoint_id).values(**values))

    async def rotate_secret(
        self, endpoint_id: int, secret: str, previous_expires_at: datetime, now: datetime
    ) -> None:
        await self.tx.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(
                previous_secret=endpoints.c.secret,
                previous_secret_expires_at=previous_expires_at,
                secret=secret,
                secret_rotated_at=now,
                updated_at=now,
            )
        )

    async def delete_endpoint(self, endpoint_id: int) -> None:
        ids = select(deliveries.c.id).where(deliveries.c.endpoint_id == endpoint_id)
        if self.tx.dialect == "postgresql":
            # A worker recording an attempt right now holds its delivery row (the attempt's foreign
            # key): wait for it, so the attempts deleted next include the one it just wrote.
            await self.tx.execute(ids.with_for_update())
        await self.tx.execute(delete(attempts).where(attempts.c.delivery_id.in_(ids)))
        await self.tx.execute(delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id))
        await self.tx.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))

    async def endpoint_succeeded(self, endpoint_id: int, now: datetime) -> None:
        await self.tx.execute(
            update(endpoints).where(endpoints.c.id == endpoint_id).values(last_success_at=now)
        )

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> None:
        await self.tx.execute(
            update(endpoints)
            .where(endpoints.c.id == endpoint_id)
            .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
        )

    # -- the outbox ---------------------------------------------------------------------------------

    async def has_subscribers(self, merchant_id: int, event: WebhookEvent) -> bool:
        rows = await self.tx.execute(
            select(endpoints.c.events).where(
                endpoints.c.merchant_id == merchant_id, endpoints.c.enabled.is_(True)
            )
        )
        return any(event.value in row.events for row in rows)

    async def add_events(
        self,
        merchant_id: int,
        subscription: WebhookEvent | None,
        new_events: Sequence[NewEvent],
        now: datetime,
        *,
        endpoint_id: int | None = None,
    ) -> int:
        query = select(endpoints.c.id, endpoints.c.events).where(
            endpoints.c.merchant_id == merchant_id, endpoints.c.enabled.is_(True)
        )
        if endpoint_id is not None:
            query = query.where(endpoints.c.id == endpoint_id)
        targets = [
            row.id
            for row in await self.tx.execute(query)
            if subscription is None or subscription.value in row.events
        ]
        if not targets or not new_events:
            return 0
        written = 0
        for batch in chunks(list(new_events), 500):
            result = await self.tx.execute(
                insert(events)
                .values(
                    [
                        {
                            "merchant_id": merchant_id,
                            "webhook_id": e.webhook_id,
                            "event_type": e.wire_type,
                            "payload": e.body,
                            "created_at": now,
                        }
                        for e in batch
                    ]
                )
                .returning(events.c.id)
            )
            event_ids = [r.id for r in result]
            rows = [
                {
                    "event_id": event_id,
                    "endpoint_id": target,
                    "merchant_id": merchant_id,
                    "status": DeliveryStatus.PENDING.value,
                    "attempt_count": 0,
                    "next_attempt_at": now,
                    "manual": False,
                    "created_at": now,
                }
                for event_id in event_ids
                for target in targets
            ]
            await self.tx.execute(insert(deliveries), rows)
            written += len(rows)
        self.wrote_deliveries = True
        return written

    # -- the delivery log ---------------------------------------------------------------------------

    def _deliveries_query(self) -> Any:
        return select(*_DELIVERY_COLUMNS).join(events, events.c.id == deliveries.c.event_id)

    async def get_delivery(self, delivery_id: int) -> WebhookDelivery | None:
        row = (await self.tx.execute(self._deliveries_query().where(deliveries.c.id == delivery_id))).first()
        return _delivery(row) if row else None

    async def _log(self, chosen: Any) -> list[LoggedDelivery]:
        """The chosen deliveries with their attempts, in one statement: one snapshot on PostgreSQL's
        read committed as on SQLite, so a delivery's status agrees with the attempts listed under it.

        A row per delivery, then a row per attempt (UNION ALL), rather than attempts joined to their
        deliveries: each payload is read once, not once per attempt (up to MAX_ATTEMPTS times)."""
        page = chosen.cte("page")
        # Typed NULLs: the first SELECT's column types decide how the union's values are read back.
        no_attempt = [sql_cast(null(), c.type).label(c.name) for c in _ATTEMPT_COLUMNS]
        no_delivery = [sql_cast(null(), c.type).label(c.name) for c in page.c if c.name != "id"]
        union = union_all(
            select(literal(0).label("part"), *page.c, *no_attempt),
            select(literal(1).label("part"), page.c.id, *no_delivery, *_ATTEMPT_COLUMNS).join_from(
                page, attempts, attempts.c.delivery_id == page.c.id
            ),
        )
        rows = await self.tx.execute(
            union.order_by(
                union.selected_columns.id.desc(),
                union.selected_columns.part,
                union.selected_columns.attempt_number,
                union.selected_columns.attempt_id,
            )
        )
        found: dict[int, tuple[WebhookDelivery, list[WebhookAttempt]]] = {}
        for r in rows:
            if r.part == 0:
                found[r.id] = (_delivery(r), [])
            else:
                found[r.id][1].append(_attempt(r))
        return [LoggedDelivery(delivery, tuple(tried)) for delivery, tried in found.values()]

    async def logged_delivery(self, delivery_id: int) -> LoggedDelivery | None:
        found = await self._log(self._deliveries_query().where(deliveries.c.id == delivery_id))
        return found[0] if found else None

    async def deliveries_page(
        self,
        merchant_id: int,
        page: PageRequest,
        *,
        endpoint_id: int | None = None,
        status: DeliveryStatus | None = None,
    ) -> Page[LoggedDelivery]:
        query = self._deliveries_query().where(deliveries.c.merchant_id == merchant_id)
        if endpoint_id is not None:
            query = query.where(deliveries.c.endpoint_id == endpoint_id)
        if status is not None:
            query = query.where(deliveries.c.status == status.value)
        if page.after is not None:
            query = query.where(deliveries.c.id < int(page.after[0]))
        logged = await self._log(query.order_by(deliveries.c.id.desc()).limit(page.first + 1))
        return page_from_rows(logged, page, lambda d: (d.delivery.id,))

    async def redeliver(self, delivery: WebhookDelivery, now: datetime) -> int:
        result = await self.tx.execute(
            insert(deliveries)
            .values(
                event_id=delivery.event_id,
                endpoint_id=delivery.endpoint_id,
                merchant_id=delivery.merchant_id,
                status=DeliveryStatus.PENDING.value,
                attempt_count=0,
                next_attempt_at=now,
                manual=True,
                created_at=now,
            )
            .returning(deliveries.c.id)
        )
        self.wrote_deliveries = True
        return int(result.scalar_one())

    # -- the worker's side --------------------------------------------------------------------------

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[ClaimedDelivery]:
        due = (
            select(deliveries.c.id)
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .where(
                deliveries.c.status == DeliveryStatus.PENDING.value,
                deliveries.c.next_attempt_at <= now,
                endpoints.c.enabled.is_(True),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(of=deliveries, skip_locked=True)
        )
        ids = [r.id for r in await self.tx.execute(due)]
        if not ids:
            return []
        previous = {
            r.id: (r.claimed_at, r.attempt_count)
            for r in await self.tx.execute(
                select(deliveries.c.id, deliveries.c.claimed_at, deliveries.c.attempt_count).where(
                    deliveries.c.id.in_(ids)
                )
            )
        }
        await self.tx.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids))
            .values(attempt_count=deliveries.c.attempt_count + 1, claimed_at=now, next_attempt_at=lease_until)
        )
        rows = await self.tx.execute(
            select(
                deliveries.c.id,
                deliveries.c.endpoint_id,
                deliveries.c.created_at,
                deliveries.c.attempt_count,
                events.c.webhook_id,
                events.c.payload,
                endpoints.c.url,
                endpoints.c.secret,
                endpoints.c.previous_secret,
                endpoints.c.previous_secret_expires_at,
            )
            .join(events, events.c.id == deliveries.c.event_id)
            .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
            .where(deliveries.c.id.in_(ids))
            .order_by(deliveries.c.id)
        )
        claims: list[ClaimedDelivery] = []
        for r in rows:
            secrets = [r.secret]
            if r.previous_secret and r.previous_secret_expires_at and r.previous_secret_expires_at > now:
                secrets.append(r.previous_secret)
            claimed_before, count_before = previous[r.id]
            claims.append(
                ClaimedDelivery(
                    delivery_id=r.id,
                    endpoint_id=r.endpoint_id,
                    created_at=r.created_at,
                    attempt_number=r.attempt_count,
                    claimed_at=now,
                    webhook_id=r.webhook_id,
                    body=r.payload,
                    url=r.url,
                    secrets=tuple(secrets),
                    interrupted_attempt=count_before if claimed_before is not None else None,
                )
            )
        return claims

    async def record_attempt(
        self,
        claim: ClaimedDelivery,
        answer: Answer,
        now: datetime,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        error = _clip(answer.error, MAX_ERROR_CHARS)
        result = cast(
            CursorResult[Any],
            await self.tx.execute(
                update(deliveries)
                .where(
                    and_(
                        deliveries.c.id == claim.delivery_id,
                        deliveries.c.claimed_at == claim.claimed_at,
                        deliveries.c.status == DeliveryStatus.PENDING.value,
                    )
                )
                .values(
                    status=status.value,
                    next_attempt_at=next_attempt_at,
                    claimed_at=None,
                    last_status_code=answer.status_code,
                    last_error=error,
                    finished_at=now if status is not DeliveryStatus.PENDING else None,
                )
            ),
        )
        if result.rowcount != 1:
            return False
        await self.tx.execute(
            insert(attempts).values(
                delivery_id=claim.delivery_id,
                number=claim.attempt_number,
                started_at=claim.claimed_at,
                status_code=answer.status_code,
                latency_ms=answer.latency_ms,
                error=error,
                response_excerpt=_clip(answer.body_excerpt, MAX_EXCERPT_CHARS),
            )
        )
        return True

    async def record_interrupted(self, claim: ClaimedDelivery, now: datetime) -> None:
        assert claim.interrupted_attempt is not None
        await self.tx.execute(
            insert(attempts).values(
                delivery_id=claim.delivery_id,
                number=claim.interrupted_attempt,
                started_at=now,
                status_code=None,
                latency_ms=None,
                error="The worker stopped during this attempt; whether it arrived is unknown.",
            )
        )

    async def delete_finished_before(self, cutoff: datetime, limit: int) -> int:
        ids = [
            r.id
            for r in await self.tx.execute(
                select(deliveries.c.id)
                .where(deliveries.c.status != DeliveryStatus.PENDING.value, deliveries.c.finished_at < cutoff)
                .order_by(deliveries.c.id)
                .limit(limit)
            )
        ]
        if not ids:
            return 0
        event_ids = select(deliveries.c.event_id).where(deliveries.c.id.in_(ids))
        candidates = [r.event_id for r in await self.tx.execute(event_ids.distinct())]
        await self.tx.execute(delete(attempts).where(attempts.c.delivery_id.in_(ids)))
        await self.tx.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
        still_needed = select(deliveries.c.event_id).where(deliveries.c.event_id.in_(candidates))
        await self.tx.execute(
            delete(events).where(events.c.id.in_(candidates), events.c.id.not_in(still_needed))
        )
        return len(ids)

    async def next_due_at(self) -> datetime | None:
        value = (
            await self.tx.execute(
                select(func.min(deliveries.c.next_attempt_at))
                .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
                .where(deliveries.c.status == DeliveryStatus.PENDING.value, endpoints.c.enabled.is_(True))
            )
        ).scalar()
        return cast(datetime | None, value)
