"""What viewers tell the feed: behavioural events (stored once per client id) and hides."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select

from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.model import NewEvent
from shoppable.domain.feed.visibility import PUBLISHED
from shoppable.storage.feed.queries import RepositoryPart, creators, events, hides, posts, products, skus
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
        }
        for kind, query in queries.items():
            if wanted.get(kind):
                found |= {(kind, row.id) for row in await self.tx.execute(query)}
        return found

    async def insert_new(self, new_events: Sequence[NewEvent]) -> int:
        keys = {e.event_id for e in new_events}
        actor = new_events[0].actor_key
        seen = {
            row.event_id
            for row in await self.tx.execute(
                select(events.c.event_id).where(events.c.actor_key == actor, events.c.event_id.in_(keys))
            )
        }
        fresh = [e for e in new_events if e.event_id not in seen]
        if fresh:
            now = utcnow()
            await self.tx.execute(
                insert(events),
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
                    for e in fresh
                ],
            )
        return len(fresh)


class SqlHides(RepositoryPart):
    async def hide(self, user_id: int, subject_type: str, subject_id: int) -> None:
        exists = (
            await self.tx.execute(
                select(hides.c.id).where(
                    hides.c.user_id == user_id,
                    hides.c.subject_type == subject_type,
                    hides.c.subject_id == subject_id,
                )
            )
        ).first()
        if exists is None:
            await self.tx.execute(
                insert(hides).values(
                    user_id=user_id, subject_type=subject_type, subject_id=subject_id, created_at=utcnow()
                )
            )

    async def unhide(self, user_id: int, subject_type: str, subject_id: int) -> None:
        await self.tx.execute(
            delete(hides).where(
                hides.c.user_id == user_id,
                hides.c.subject_type == subject_type,
                hides.c.subject_id == subject_id,
            )
        )
