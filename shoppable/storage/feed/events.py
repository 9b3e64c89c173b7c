"""What viewers tell the feed: behavioural events (stored once per client id) and hides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, select
from sqlalchemy.engine import CursorResult

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.model import NewEvent
from shoppable.domain.feed.visibility import PUBLISHED
from shoppable.storage.feed.queries import (
    RepositoryPart,
    creators,
    events,
    hides,
    merchants,
    posts,
    products,
    skus,
)
from shoppable.storage.sql import insert_if_absent
from shoppable.storage.types import utcnow


class SqlEvents(RepositoryPart):
    async def existing_subjects(self, subjects: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        wanted: dict[str, set[int]] = {}
        for kind, pk in subjects:
            wanted.setdefault(kind, set()).add(pk)
        found: set[tuple[str, int]] = set()
        queries = {
            "Post": select(posts.c.id).where(
                posts.c.status == PUBLISHED,
                posts.c.deleted_at.is_(None),
                posts.c.id.in_(wanted.get("Post", ())),
            ),
            "Product": select(products.c.id).where(
                products.c.status == ProductStatus.ACTIVE.value, products.c.id.in_(wanted.get("Product", ()))
            ),
            "Sku": select(skus.c.id)
            .join(products, products.c.id == skus.c.product_id)
            .where(products.c.status == ProductStatus.ACTIVE.value, skus.c.id.in_(wanted.get("Sku", ()))),
            "Creator": select(creators.c.id).where(creators.c.id.in_(wanted.get("Creator", ()))),
            "Merchant": select(merchants.c.id).where(merchants.c.id.in_(wanted.get("Merchant", ()))),
        }
        for kind, query in queries.items():
            if wanted.get(kind):
                found |= {(kind, row.id) for row in await self.tx.execute(query)}
        return found

    async def stored_event_ids(self, actor_key: str, event_ids: Sequence[str]) -> set[str]:
        query = select(events.c.event_id).where(
            events.c.actor_key == actor_key, events.c.event_id.in_(list(event_ids))
        )
        return {row.event_id for row in await self.tx.execute(query)}

    async def events_received_since(self, actor_key: str, since: datetime) -> int:
        query = select(func.count()).where(events.c.actor_key == actor_key, events.c.received_at >= since)
        return int((await self.tx.execute(query)).scalar_one())

    async def delete_events_before(self, before: datetime, limit: int) -> int:
        oldest = select(events.c.id).where(events.c.occurred_at < before).limit(limit)
        result = await self.tx.execute(delete(events).where(events.c.id.in_(oldest.scalar_subquery())))
        return cast(CursorResult[Any], result).rowcount or 0

    async def insert_new(self, new_events: Sequence[NewEvent]) -> int:
        """One INSERT ... ON CONFLICT DO NOTHING: a parallel retry of the same batch skips what the other
        stored instead of failing on `uq_events_actor_event`; what was inserted is what RETURNING names."""
        now = utcnow()
        inserted = await self.tx.execute(
            insert_if_absent(self.tx, events).returning(events.c.event_id),
            [
                {
                    "event_id": e.event_id,
                    "actor_key": e.actor_key,
                    "user_id": e.user_id,
                    "device_id": e.device_id,
                    "type": e.type.value,
                    "subject_type": e.subject_type,
                    "subject_id": e.subject_id,
                    "channel": e.channel.value,
                    "position": e.position,
                    "occurred_at": e.occurred_at,
                    "received_at": now,
                }
                for e in new_events
            ],
        )
        return len(inserted.all())


class SqlHides(RepositoryPart):
    async def hide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None:
        # ON CONFLICT DO NOTHING: two parallel hides of one subject both succeed, one row is kept.
        await self.tx.execute(
            insert_if_absent(self.tx, hides).values(
                user_id=user_id,
                device_id=None if user_id is not None else device_id,
                subject_type=subject_type,
                subject_id=subject_id,
                created_at=utcnow(),
            )
        )

    async def unhide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None:
        owner = hides.c.user_id == user_id if user_id is not None else hides.c.device_id == device_id
        await self.tx.execute(
            delete(hides).where(
                owner,
                hides.c.subject_type == subject_type,
                hides.c.subject_id == subject_id,
            )
        )
