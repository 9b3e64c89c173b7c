"""In-memory fakes of what the feed domain needs: the feed repository, its unit of work and services.

They keep the contracts of `shoppable.domain.feed.ports` (ordering, limits, conflicts), so domain
tests run in microseconds and without a database.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from shoppable.domain.feed.caches import CandidatePlanCache, SnapshotCache
from shoppable.domain.feed.model import (
    Channel,
    EventType,
    FeedSession,
    ItemKind,
    NewEvent,
    ServedItem,
)
from shoppable.domain.feed.ports import (
    CatalogItem,
    EngagementCount,
    FeedRepository,
    HistoryEvent,
    Plan,
    PostInfo,
    ProductInfo,
    Ranker,
    SessionConflict,
    SessionState,
    Snapshot,
    TrainingEvent,
    ViewerSignals,
)
from shoppable.domain.feed.ranking import EVENT_WEIGHTS

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


@dataclass
class FakeFeedRepository:
    """The feed's tables as lists and dicts; writes are visible at once (the fake unit of work does not
    roll back, which the domain never relies on: a conflicting append writes nothing)."""

    posts_by_id: dict[int, PostInfo] = field(default_factory=dict)
    products_by_id: dict[int, ProductInfo] = field(default_factory=dict)
    sold_out: set[int] = field(default_factory=set)
    sku_products: dict[int, int] = field(default_factory=dict)
    creator_ids: set[int] = field(default_factory=set)
    follows: dict[int, list[int]] = field(default_factory=dict)
    engagements: list[tuple[int, int, datetime, str]] = field(default_factory=list)  # user, post, at, how
    tags: dict[int, list[int]] = field(default_factory=dict)
    events: list[NewEvent] = field(default_factory=list)
    consenting: set[int] = field(default_factory=set)
    bought: dict[int, set[int]] = field(default_factory=dict)  # user -> products, as orders will say
    received: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (actor, event id): else NOW
    hides: set[tuple[int | str | None, str, int]] = field(default_factory=set)
    sessions: dict[str, FeedSession] = field(default_factory=dict)
    served: dict[str, list[ServedItem]] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    conflicts_to_raise: int = 0

    # -- building a world -------------------------------------------------------------------------

    def add_post(self, creator_id: int, *, age_hours: float = 1.0, likes: int = 0, saves: int = 0) -> int:
        post_id = next(_ids)
        self.creator_ids.add(creator_id)
        self.posts_by_id[post_id] = PostInfo(
            post_id,
            creator_id,
            f"creator{creator_id}",
            NOW - timedelta(hours=age_hours),
            likes,
            saves,
            None,
            None,
        )
        return post_id

    def add_product(self, merchant_id: int, *, category: str = "Shoes", age_days: float = 1.0) -> int:
        product_id = next(_ids)
        self.products_by_id[product_id] = ProductInfo(
            product_id,
            merchant_id,
            f"Shop {merchant_id}",
            f"Item {product_id}",
            category,
            NOW - timedelta(days=age_days),
        )
        return product_id

    def like(self, user_id: int, post_id: int, *, how: str = "LIKE", at: datetime = NOW) -> None:
        self.engagements.append((user_id, post_id, at, how))

    def record(
        self,
        user_id: int | None,
        type: str,
        subject: tuple[str, int],
        *,
        at: datetime = NOW,
        device: str = "",
    ) -> None:
        """An event of a signed-in user, or of an anonymous device when `user_id` is None."""
        self.events.append(
            NewEvent(
                f"e{next(_ids)}",
                f"u:{user_id}" if user_id is not None else f"d:{device}",
                user_id,
                device or None,
                EventType(type),
                subject[0],
                subject[1],
                Channel.APP,
                None,
                at,
            )
        )

    # -- CandidateReads -----------------------------------------------------------------------------

    async def followed_creator_ids(self, user_id: int) -> list[int]:
        return list(self.follows.get(user_id, []))

    async def recent_posts_of(self, creator_ids: Sequence[int], limit: int) -> list[PostInfo]:
        found = [p for p in self.posts_by_id.values() if p.creator_id in set(creator_ids)]
        return sorted(found, key=lambda p: (p.published_at, p.id), reverse=True)[:limit]

    async def recent_followed_posts(self, user_id: int, limit: int) -> list[PostInfo]:
        return await self.recent_posts_of(await self.followed_creator_ids(user_id), limit)

    async def viewer_signals(
        self,
        user_id: int,
        *,
        followed_limit: int,
        engaged_limit: int,
        engaged_since: datetime | None,
        history_since: datetime,
        history_limit: int,
        bought_since: datetime | None = None,
    ) -> ViewerSignals:
        engaged = await self.engaged_posts(user_id, engaged_limit, engaged_since)
        hidden, bought = (
            await self.exclusions(user_id, None, bought_since) if bought_since is not None else (set(), set())
        )
        return ViewerSignals(
            await self.recent_followed_posts(user_id, followed_limit),
            engaged,
            await self.tagged_products([post.id for post, _ in engaged]),
            await self.product_history(user_id, history_since, history_limit),
            hidden,
            bought,
        )

    async def engaged_posts(
        self, user_id: int, limit: int, since: datetime | None = None
    ) -> list[tuple[PostInfo, str]]:
        mine = sorted(
            (e for e in self.engagements if e[0] == user_id and (since is None or e[2] >= since)),
            key=lambda e: e[2],
            reverse=True,
        )
        return [(self.posts_by_id[post], how) for _, post, _, how in mine if post in self.posts_by_id][:limit]

    async def tagged_products(self, post_ids: Sequence[int]) -> dict[int, list[int]]:
        return {post: list(self.tags[post]) for post in post_ids if post in self.tags}

    async def product_history(self, user_id: int, since: datetime, limit: int) -> list[HistoryEvent]:
        mine = [
            e
            for e in self.events
            if e.user_id == user_id
            and e.subject_type == "Product"
            and e.occurred_at >= since
            and EVENT_WEIGHTS.get(e.type, 0) > 0
        ]
        mine.sort(key=lambda e: e.occurred_at, reverse=True)
        return [
            HistoryEvent(e.subject_id or 0, EVENT_WEIGHTS[e.type], e.occurred_at, e.type.value)
            for e in mine[:limit]
        ]

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]:
        return set(self.bought.get(user_id, set()))  # never from PURCHASE events: those are claims

    async def hidden(self, user_id: int | None, device_id: str | None = None) -> set[tuple[str, int]]:
        owner: int | str | None = user_id if user_id is not None else device_id
        return {(kind, pk) for user, kind, pk in self.hides if user == owner}

    async def exclusions(
        self, user_id: int | None, device_id: str | None, bought_since: datetime
    ) -> tuple[set[tuple[str, int]], set[int]]:
        hidden = await self.hidden(user_id, device_id)
        bought = await self.purchased_product_ids(user_id, bought_since) if user_id is not None else set()
        return hidden, bought

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]:
        return {
            pk: self.products_by_id[pk]
            for pk in set(product_ids)
            if pk in self.products_by_id and pk not in self.sold_out
        }

    async def unserved_posts(self, session_id: str, user_id: int | None, limit: int) -> list[PostInfo]:
        served = {i.item_id for i in self.served.get(session_id, []) if i.kind is ItemKind.POST}
        hidden = await self.hidden(user_id) if user_id is not None else set()
        found = [
            p
            for p in self.posts_by_id.values()
            if p.id not in served and ("Post", p.id) not in hidden and ("Creator", p.creator_id) not in hidden
        ]
        return sorted(found, key=lambda p: (p.published_at, p.id), reverse=True)[:limit]

    async def unserved_products(self, session_id: str, user_id: int | None, limit: int) -> list[ProductInfo]:
        served = {i.item_id for i in self.served.get(session_id, []) if i.kind is ItemKind.PRODUCT}
        hidden = await self.hidden(user_id) if user_id is not None else set()
        found = [
            p
            for p in self.products_by_id.values()
            if p.id not in served
            and p.id not in self.sold_out
            and ("Product", p.id) not in hidden
            and ("Merchant", p.merchant_id) not in hidden
        ]
        taggers = {
            product: self.posts_by_id[post]
            for post, products in sorted(self.tags.items(), key=lambda t: self.posts_by_id[t[0]].published_at)
            if post in self.posts_by_id
            for product in products
        }  # the latest tagging post wins
        return [
            replace(p, tagged_by=taggers[p.id].creator_handle if p.id in taggers else None)
            for p in sorted(found, key=lambda p: -p.id)[:limit]
        ]

    # -- TrendingReads ------------------------------------------------------------------------------

    async def latest_posts(self, limit: int) -> list[PostInfo]:
        return sorted(self.posts_by_id.values(), key=lambda p: (p.published_at, p.id), reverse=True)[:limit]

    async def posts(self, post_ids: Sequence[int]) -> list[PostInfo]:
        return [self.posts_by_id[pk] for pk in post_ids if pk in self.posts_by_id]

    async def like_counts_since(self, since: datetime, limit: int) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _, post, at, how in self.engagements:
            if how == "LIKE" and at >= since:
                counts[post] = counts.get(post, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1])[:limit])

    async def engagement_since(self, since: datetime) -> list[EngagementCount]:
        senders: dict[tuple[str, int, str, bool], set[tuple[str, date]]] = {}
        latest: dict[tuple[str, int, str, bool], datetime] = {}
        for e in self.events:
            if e.occurred_at >= since and e.subject_type in ("Post", "Product") and e.subject_id:
                key = (e.subject_type, e.subject_id, e.type, e.user_id is not None)
                senders.setdefault(key, set()).add((e.actor_key, e.occurred_at.astimezone(UTC).date()))
                latest[key] = max(latest.get(key, e.occurred_at), e.occurred_at)
        return [
            EngagementCount(kind, pk, type, latest[key], len(pairs), signed_in=signed_in)
            for key, pairs in senders.items()
            for kind, pk, type, signed_in in [key]
        ]

    async def newest_sellable_products(self, limit: int) -> list[ProductInfo]:
        sellable = [p for pk, p in self.products_by_id.items() if pk not in self.sold_out]
        return sorted(sellable, key=lambda p: -p.id)[:limit]

    # -- FeedSessions -------------------------------------------------------------------------------

    async def session_state(
        self,
        session_id: str,
        replay_from: int,
        user_id: int | None,
        device_id: str | None,
        bought_since: datetime,
        sellable_among: Sequence[int] = (),
    ) -> SessionState:
        hidden, bought = await self.exclusions(user_id, device_id, bought_since)
        found = await self.session(session_id, replay_from)
        return SessionState(found, hidden, bought, await self.sellable_products(sellable_among))

    async def session(self, session_id: str, replay_from: int) -> tuple[FeedSession, list[ServedItem]] | None:
        found = self.sessions.get(session_id)
        if found is None:
            return None
        return found, [
            i if i.position >= replay_from else replace(i, reasons=())
            for i in self.served.get(session_id, [])
        ]

    async def append(
        self, session: FeedSession, items: Sequence[ServedItem], plan: Plan | None = None
    ) -> None:
        stored = self.sessions.get(session.id)
        if self.conflicts_to_raise or (stored is not None and stored.served != session.served):
            self.conflicts_to_raise = max(0, self.conflicts_to_raise - 1)
            raise SessionConflict(session.id)
        served = items[-1].position + 1 if items else session.served
        self.sessions[session.id] = replace(session, served=served)
        self.served.setdefault(session.id, []).extend(items)
        if plan is not None:
            self.plans[session.id] = plan

    async def saved_plan(self, session_id: str) -> Plan | None:
        return self.plans.get(session_id)

    async def delete_expired_sessions(self, now: datetime) -> int:
        expired = [sid for sid, s in self.sessions.items() if s.expires_at <= now]
        for sid in expired:
            del self.sessions[sid]
            self.served.pop(sid, None)
        return len(expired)

    # -- EventStore and Hides -----------------------------------------------------------------------

    async def existing_subjects(self, subjects: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        known = {
            "Post": set(self.posts_by_id),
            "Product": set(self.products_by_id),
            "Sku": set(self.sku_products),
            "Creator": self.creator_ids,
            "Merchant": {p.merchant_id for p in self.products_by_id.values()},
        }
        return {(kind, pk) for kind, pk in subjects if pk in known.get(kind, set())}

    async def stored_event_ids(self, actor_key: str, event_ids: Sequence[str]) -> set[str]:
        return {e.event_id for e in self.events if e.actor_key == actor_key and e.event_id in event_ids}

    async def events_received_since(self, actor_key: str, since: datetime) -> int:
        return sum(
            1
            for e in self.events
            if e.actor_key == actor_key and self.received.get((e.actor_key, e.event_id), NOW) >= since
        )

    async def delete_events_before(self, before: datetime, limit: int) -> int:
        old = [e for e in self.events if e.occurred_at < before][:limit]
        self.events = [e for e in self.events if e not in old]
        return len(old)

    async def insert_new(self, events: Sequence[NewEvent]) -> int:
        seen = {(e.actor_key, e.event_id) for e in self.events}
        fresh = [e for e in events if (e.actor_key, e.event_id) not in seen]
        self.events.extend(fresh)
        return len(fresh)

    async def hide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None:
        self.hides.add((user_id if user_id is not None else device_id, subject_type, subject_id))

    async def unhide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None:
        self.hides.discard((user_id if user_id is not None else device_id, subject_type, subject_id))

    # -- TrainingReads ------------------------------------------------------------------------------

    async def training_events(
        self, since: datetime, types: Sequence[str], after_id: int, limit: int
    ) -> list[TrainingEvent]:
        found = [
            TrainingEvent(n, e.user_id, e.type, e.subject_type or "", e.subject_id or 0, e.occurred_at)
            for n, e in enumerate(self.events, start=1)
            if n > after_id and e.user_id in self.consenting and e.occurred_at >= since and e.type in types
        ]
        return found[:limit]

    async def sku_product_ids(self) -> dict[int, int]:
        return dict(self.sku_products)

    async def tagged_product_ids(self) -> dict[int, list[int]]:
        return {post: list(products) for post, products in self.tags.items()}

    async def catalog_items(self) -> list[CatalogItem]:
        return [
            CatalogItem(p.id, p.merchant_id, p.category, 1000 + p.id, p.created_at)
            for p in self.products_by_id.values()
        ]


@dataclass
class FakeUnitOfWork:
    feed: FakeFeedRepository = field(default_factory=FakeFeedRepository)
    commits: int = 0
    rollbacks: int = 0
    writing: bool = False

    async def begin_write(self) -> None:
        self.writing = True

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        self.rollbacks += 1


@dataclass(frozen=True)
class FakeSettings:
    feed_slot_pattern: str = "PPRPPPR"
    feed_session_ttl_seconds: int = 3600
    feed_purchase_window_days: int = 90


@dataclass
class FakeModels:
    ranker: Ranker | None = None

    async def current(self) -> Ranker | None:
        return self.ranker


@dataclass
class CountingSnapshots:
    """Never caches: counts how often the snapshot was asked for."""

    computed: int = 0

    async def get(self, compute: Callable[[], Awaitable[Snapshot]]) -> Snapshot:
        self.computed += 1
        return await compute()


@dataclass
class FakeServices:
    settings: FakeSettings = field(default_factory=FakeSettings)
    snapshots: SnapshotCache | CountingSnapshots = field(default_factory=CountingSnapshots)
    plans: CandidatePlanCache = field(default_factory=CandidatePlanCache)
    models: FakeModels = field(default_factory=FakeModels)
    clock: Callable[[], datetime] = lambda: NOW


@dataclass
class StaticRanker:
    """Recommends the given product ids in order, minus the excluded ones."""

    item_ids: list[int]

    def recommend(
        self,
        user_id: str | None,
        k: int = 20,
        *,
        recent_item_ids: Sequence[str] = (),
        recent_weights: Sequence[float] | None = None,
        exclude_item_ids: Iterable[str] = (),
    ) -> list[str]:
        excluded = set(exclude_item_ids)
        return [str(i) for i in self.item_ids if str(i) not in excluded][:k]


def _protocol_checks(repository: FakeFeedRepository) -> FeedRepository:
    return repository  # mypy: the fake satisfies the domain's protocol
