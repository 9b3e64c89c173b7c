"""SQL side of the feed: events, hides, candidate reads, the shared snapshot, and feed sessions."""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from shoppable.domain.catalog.availability import SELLABLE
from shoppable.domain.catalog.drafts import ProductStatus
from shoppable.domain.feed.events import NewEvent
from shoppable.domain.feed.model import (
    Candidate,
    FeedMode,
    FeedSession,
    FeedSource,
    ItemKind,
    Reason,
    ReasonCode,
    ServedItem,
)
from shoppable.domain.feed.ports import (
    HistoryEvent,
    PostInfo,
    ProductInfo,
    SessionConflict,
    Snapshot,
    TrendingPost,
    TrendingProduct,
)
from shoppable.domain.feed.ranking import EVENT_WEIGHTS, decay, post_trend_score
from shoppable.storage.db import Database, SqlTransaction
from shoppable.storage.tables import MerchantRow, ProductRow, SkuRow
from shoppable.storage.tables.content import CreatorRow, FollowRow, LikeRow, PostRow, ProductTagRow, SaveRow
from shoppable.storage.tables.feed import EventRow, FeedHideRow, FeedServedRow, FeedSessionRow
from shoppable.storage.types import utcnow

events = EventRow.__table__
hides = FeedHideRow.__table__
sessions_table = FeedSessionRow.__table__
served_table = FeedServedRow.__table__
posts = PostRow.__table__
creators = CreatorRow.__table__
follows = FollowRow.__table__
likes = LikeRow.__table__
saves = SaveRow.__table__
tags = ProductTagRow.__table__
products = ProductRow.__table__
merchants = MerchantRow.__table__
skus = SkuRow.__table__

PUBLISHED = "PUBLISHED"
_SELLABLE = [a.value for a in SELLABLE]


class SqlEventStore:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def existing_subjects(self, subjects: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        """The subjects a shopper may see: published posts, active products (and their SKUs), creators."""
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
                found |= {(kind, row[0]) for row in await self.uow.execute(query)}
        return found

    async def insert_new(self, new_events: Sequence[NewEvent]) -> int:
        keys = {e.event_id for e in new_events}
        actor = new_events[0].actor_key
        seen = {
            row[0]
            for row in await self.uow.execute(
                select(events.c.event_id).where(events.c.actor_key == actor, events.c.event_id.in_(keys))
            )
        }
        fresh = [e for e in new_events if e.event_id not in seen]
        if fresh:
            now = utcnow()
            await self.uow.execute(
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


class SqlHides:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def hide(self, user_id: int, subject_type: str, subject_id: int) -> None:
        exists = (
            await self.uow.execute(
                select(hides.c.id).where(
                    hides.c.user_id == user_id,
                    hides.c.subject_type == subject_type,
                    hides.c.subject_id == subject_id,
                )
            )
        ).first()
        if exists is None:
            await self.uow.execute(
                insert(hides).values(
                    user_id=user_id, subject_type=subject_type, subject_id=subject_id, created_at=utcnow()
                )
            )

    async def unhide(self, user_id: int, subject_type: str, subject_id: int) -> None:
        await self.uow.execute(
            delete(hides).where(
                hides.c.user_id == user_id,
                hides.c.subject_type == subject_type,
                hides.c.subject_id == subject_id,
            )
        )


class CandidatePlanCache:
    """Ranked candidates per feed session, in this process, for a few minutes (least recently used out)."""

    def __init__(self, max_sessions: int = 10_000, ttl_seconds: float = 300.0) -> None:
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds
        self._plans: OrderedDict[str, tuple[float, list[Candidate], list[Candidate]]] = OrderedDict()

    def get(self, session_id: str) -> tuple[list[Candidate], list[Candidate]] | None:
        found = self._plans.get(session_id)
        if found is None or time.monotonic() - found[0] > self.ttl:
            self._plans.pop(session_id, None)
            return None
        self._plans.move_to_end(session_id)
        return found[1], found[2]

    def put(self, session_id: str, posts: list[Candidate], products: list[Candidate]) -> None:
        self._plans[session_id] = (time.monotonic(), posts, products)
        self._plans.move_to_end(session_id)
        while len(self._plans) > self.max_sessions:
            self._plans.popitem(last=False)


class SnapshotCache:
    """The everyone-feed (trending posts and products, new arrivals), recomputed at most every `ttl` seconds.

    Shared by all requests of a process; one request recomputes while the others keep the previous one.
    It is computed on the asking request's own connection: the requests waiting for the first one may
    each hold a connection, and a second one from a drained pool would never come.
    """

    def __init__(self, database: Database, ttl_seconds: float = 60.0) -> None:
        self.database = database
        self.ttl = ttl_seconds
        self._value: Snapshot | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def get(
        self, compute: Callable[[SqlTransaction], Awaitable[Snapshot]], uow: SqlTransaction | None = None
    ) -> Snapshot:
        fresh = self._value is not None and time.monotonic() - self._at < self.ttl
        if fresh:
            assert self._value is not None
            return self._value
        if self._value is not None and self._lock.locked():
            return self._value
        async with self._lock:
            if self._value is None or time.monotonic() - self._at >= self.ttl:
                if uow is not None:
                    self._value = await compute(uow)
                else:
                    own = self.database.unit_of_work()
                    try:
                        self._value = await compute(own)
                    finally:
                        await own.close()
                self._at = time.monotonic()
        assert self._value is not None
        return self._value


def _post_info(row: Any) -> PostInfo:
    return PostInfo(
        id=row.id,
        creator_id=row.creator_id,
        creator_handle=row.handle,
        published_at=row.published_at,
        like_count=row.like_count,
        save_count=row.save_count,
        disclosure_kind=row.disclosure_kind,
        partner_name=row.partner_name,
    )


def _post_query() -> Any:
    return (
        select(
            posts.c.id,
            posts.c.creator_id,
            creators.c.handle,
            posts.c.published_at,
            posts.c.like_count,
            posts.c.save_count,
            posts.c.disclosure_kind,
            merchants.c.name.label("partner_name"),
        )
        .join(creators, creators.c.id == posts.c.creator_id)
        .outerjoin(merchants, merchants.c.id == posts.c.disclosure_partner_id)
        .where(posts.c.status == PUBLISHED, posts.c.deleted_at.is_(None))
    )


def _product_query() -> Any:
    return select(
        products.c.id,
        products.c.merchant_id,
        merchants.c.name.label("merchant_name"),
        products.c.title,
        products.c.category,
        products.c.created_at,
    ).join(merchants, merchants.c.id == products.c.merchant_id)


def _product_info(row: Any) -> ProductInfo:
    return ProductInfo(row.id, row.merchant_id, row.merchant_name, row.title, row.category, row.created_at)


def _sellable(query: Any) -> Any:
    return query.where(
        products.c.status == ProductStatus.ACTIVE.value, products.c.availability.in_(_SELLABLE)
    )


async def compute_snapshot(uow: SqlTransaction, now: datetime | None = None) -> Snapshot:
    """Trending posts (likes and views this week, faded by age), trending and new products."""
    now = now or utcnow()
    week = now - timedelta(days=7)
    recent = await uow.execute(
        _post_query().order_by(posts.c.published_at.desc(), posts.c.id.desc()).limit(300)
    )
    candidates = {row.id: _post_info(row) for row in recent}
    liked = dict(
        (
            await uow.execute(
                select(likes.c.post_id, func.count())
                .where(likes.c.created_at >= week)
                .group_by(likes.c.post_id)
                .order_by(func.count().desc())
                .limit(300)
            )
        ).all()
    )
    missing = [pid for pid in liked if pid not in candidates]
    if missing:
        for row in await uow.execute(_post_query().where(posts.c.id.in_(missing))):
            candidates[row.id] = _post_info(row)
    activity: dict[tuple[str, int], float] = {}
    for subject_type, subject_id, kind, occurred, count in await uow.execute(
        select(
            events.c.subject_type,
            events.c.subject_id,
            events.c.type,
            func.max(events.c.occurred_at),
            func.count(),
        )
        .where(events.c.occurred_at >= week, events.c.subject_type.in_(["Post", "Product"]))
        .group_by(events.c.subject_type, events.c.subject_id, events.c.type)
    ):
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=now.tzinfo)
        weight = EVENT_WEIGHTS.get(kind, 0.0) * count * decay((now - occurred).total_seconds() / 3600)
        activity[(subject_type, subject_id)] = activity.get((subject_type, subject_id), 0.0) + weight
    trending_posts = sorted(
        (
            TrendingPost(
                info,
                post_trend_score(
                    liked.get(info.id, 0),
                    info.save_count,
                    activity.get(("Post", info.id), 0.0),
                    (now - info.published_at).total_seconds() / 3600,
                ),
                liked.get(info.id, 0),
            )
            for info in candidates.values()
        ),
        key=lambda t: (-t.score, -t.post.id),
    )
    product_scores = sorted(
        ((pid, score) for (kind, pid), score in activity.items() if kind == "Product" and score > 0),
        key=lambda item: -item[1],
    )[:300]
    infos: dict[int, ProductInfo] = {}
    if product_scores:
        rows = await uow.execute(
            _sellable(_product_query()).where(products.c.id.in_([p for p, _ in product_scores]))
        )
        infos = {row.id: _product_info(row) for row in rows}
    trending_products = [TrendingProduct(infos[pid], score) for pid, score in product_scores if pid in infos]
    newest = await uow.execute(_sellable(_product_query()).order_by(products.c.id.desc()).limit(100))
    return Snapshot(trending_posts, trending_products, [_product_info(r) for r in newest], now)


class SqlFeedReader:
    def __init__(self, uow: SqlTransaction, cache: SnapshotCache) -> None:
        self.uow = uow
        self.cache = cache

    async def snapshot(self) -> Snapshot:
        return await self.cache.get(compute_snapshot, self.uow)

    async def followed_creator_ids(self, user_id: int) -> list[int]:
        return [
            r[0]
            for r in await self.uow.execute(select(follows.c.creator_id).where(follows.c.user_id == user_id))
        ]

    async def recent_posts_of(self, creator_ids: Sequence[int], limit: int) -> list[PostInfo]:
        rows = await self.uow.execute(
            _post_query()
            .where(posts.c.creator_id.in_(list(creator_ids)))
            .order_by(posts.c.published_at.desc(), posts.c.id.desc())
            .limit(limit)
        )
        return [_post_info(r) for r in rows]

    async def engaged_posts(self, user_id: int, limit: int) -> list[tuple[PostInfo, str]]:
        liked = select(likes.c.post_id, likes.c.created_at, literal("LIKE").label("how")).where(
            likes.c.user_id == user_id
        )
        saved = select(saves.c.post_id, saves.c.created_at, literal("SAVE").label("how")).where(
            saves.c.user_id == user_id
        )
        engaged = liked.union_all(saved).subquery()
        rows = await self.uow.execute(
            _post_query()
            .add_columns(engaged.c.how)
            .join(engaged, engaged.c.post_id == posts.c.id)
            .order_by(engaged.c.created_at.desc())
            .limit(limit)
        )
        return [(_post_info(r), r.how) for r in rows]

    async def tagged_products(self, post_ids: Sequence[int]) -> dict[int, list[int]]:
        if not post_ids:
            return {}
        found: dict[int, list[int]] = {}
        for post_id, product_id in await self.uow.execute(
            select(tags.c.post_id, tags.c.product_id)
            .where(tags.c.post_id.in_(list(post_ids)))
            .order_by(tags.c.post_id, tags.c.position)
        ):
            if product_id not in found.setdefault(post_id, []):
                found[post_id].append(product_id)
        return found

    async def product_history(self, user_id: int, since: datetime, limit: int) -> list[HistoryEvent]:
        rows = await self.uow.execute(
            select(events.c.subject_id, events.c.type, events.c.occurred_at)
            .where(
                events.c.user_id == user_id,
                events.c.subject_type == "Product",
                events.c.occurred_at >= since,
                events.c.type.in_([t for t, w in EVENT_WEIGHTS.items() if w > 0]),
            )
            .order_by(events.c.occurred_at.desc())
            .limit(limit)
        )
        return [HistoryEvent(r.subject_id, EVENT_WEIGHTS[r.type], r.occurred_at) for r in rows]

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]:
        bought = select(events.c.subject_type, events.c.subject_id).where(
            events.c.user_id == user_id, events.c.type == "PURCHASE", events.c.occurred_at >= since
        )
        found: set[int] = set()
        sku_ids = []
        for kind, pk in await self.uow.execute(bought):
            if kind == "Product":
                found.add(pk)
            elif kind == "Sku":
                sku_ids.append(pk)
        if sku_ids:
            found |= {
                r[0] for r in await self.uow.execute(select(skus.c.product_id).where(skus.c.id.in_(sku_ids)))
            }
        return found

    async def hidden(self, user_id: int) -> set[tuple[str, int]]:
        rows = await self.uow.execute(
            select(hides.c.subject_type, hides.c.subject_id).where(hides.c.user_id == user_id)
        )
        return {(kind, pk) for kind, pk in rows}

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        rows = await self.uow.execute(_sellable(_product_query()).where(products.c.id.in_(ids)))
        return {row.id: _product_info(row) for row in rows}


def _reasons_json(reasons: Sequence[Reason]) -> str:
    return json.dumps([[r.code.value, r.text] for r in reasons], separators=(",", ":"))


def _served_item(row: Any) -> ServedItem:
    return ServedItem(
        position=row.position,
        kind=ItemKind(row.kind),
        item_id=row.item_id,
        author_id=row.author_id or 0,
        source=FeedSource(row.source),
        reasons=tuple(Reason(ReasonCode(code), text) for code, text in json.loads(row.reasons)),
    )


def _session(row: Any) -> FeedSession:
    return FeedSession(
        row.id, row.actor_key, FeedMode(row.mode), row.personalized, row.served, row.expires_at
    )


class SqlFeedSessions:
    def __init__(self, uow: SqlTransaction) -> None:
        self.uow = uow

    async def get(self, session_id: str) -> FeedSession | None:
        row = (
            await self.uow.execute(select(sessions_table).where(sessions_table.c.id == session_id))
        ).first()
        return _session(row) if row else None

    async def served_from(self, session_id: str, position: int, limit: int) -> list[ServedItem]:
        rows = await self.uow.execute(
            select(served_table)
            .where(served_table.c.session_id == session_id, served_table.c.position >= position)
            .order_by(served_table.c.position)
            .limit(limit)
        )
        return [_served_item(r) for r in rows]

    async def served_keys(self, session_id: str) -> set[tuple[ItemKind, int]]:
        rows = await self.uow.execute(
            select(served_table.c.kind, served_table.c.item_id).where(served_table.c.session_id == session_id)
        )
        return {(ItemKind(kind), pk) for kind, pk in rows}

    async def tail(self, session_id: str, count: int) -> list[ServedItem]:
        rows = await self.uow.execute(
            select(served_table)
            .where(served_table.c.session_id == session_id)
            .order_by(served_table.c.position.desc())
            .limit(count)
        )
        return [_served_item(r) for r in reversed(rows.all())]

    async def append(self, session: FeedSession, items: Sequence[ServedItem]) -> None:
        """Create the session when new, and add its items; fails if another request took those positions."""
        served = (items[-1].position + 1) if items else session.served
        try:
            if session.served == 0 and not await self._exists(session.id):
                await self.uow.execute(
                    insert(sessions_table).values(
                        id=session.id,
                        actor_key=session.actor_key,
                        mode=session.mode.value,
                        personalized=session.personalized,
                        served=served,
                        created_at=utcnow(),
                        expires_at=session.expires_at,
                    )
                )
            else:
                result = await self.uow.execute(
                    update(sessions_table)
                    .where(sessions_table.c.id == session.id, sessions_table.c.served == session.served)
                    .values(served=served)
                )
                if result.rowcount != 1:
                    raise SessionConflict(session.id)
            if items:
                await self.uow.execute(
                    insert(served_table),
                    [
                        {
                            "session_id": session.id,
                            "position": i.position,
                            "kind": i.kind.value,
                            "item_id": i.item_id,
                            "author_id": i.author_id,
                            "source": i.source.value,
                            "reasons": _reasons_json(i.reasons),
                            "score": 0.0,
                        }
                        for i in items
                    ],
                )
        except IntegrityError as exc:
            raise SessionConflict(session.id) from exc

    async def _exists(self, session_id: str) -> bool:
        return (
            await self.uow.execute(select(sessions_table.c.id).where(sessions_table.c.id == session_id))
        ).first() is not None

    async def delete_expired(self, now: datetime) -> int:
        expired = select(sessions_table.c.id).where(sessions_table.c.expires_at <= now)
        await self.uow.execute(delete(served_table).where(served_table.c.session_id.in_(expired)))
        result = await self.uow.execute(delete(sessions_table).where(sessions_table.c.expires_at <= now))
        return result.rowcount or 0
