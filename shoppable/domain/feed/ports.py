"""What the feed needs from outside the domain: one repository (reads, sessions, events, hides) on the
unit of work, implemented in storage, and a few in-process services (caches, the current model, clock).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from shoppable.domain.feed.model import Candidate, FeedSession, NewEvent, ServedItem
from shoppable.domain.ports import Transaction


@dataclass(frozen=True)
class PostInfo:
    id: int
    creator_id: int
    creator_handle: str
    published_at: datetime
    like_count: int
    save_count: int
    disclosure_kind: str | None
    partner_name: str | None


@dataclass(frozen=True)
class ProductInfo:
    id: int
    merchant_id: int
    merchant_name: str
    title: str
    category: str | None
    created_at: datetime
    tagged_by: str | None = None
    """The handle of the creator of the latest published post that tags it (filled by `unserved_products`)."""


@dataclass(frozen=True)
class TrendingPost:
    post: PostInfo
    score: float
    likes_this_week: int


@dataclass(frozen=True)
class TrendingProduct:
    product: ProductInfo
    score: float


@dataclass(frozen=True)
class Snapshot:
    """Everyone's candidates: the same for every viewer, so computed once and shared for a minute."""

    trending_posts: list[TrendingPost]
    trending_products: list[TrendingProduct]
    new_products: list[ProductInfo]
    computed_at: datetime


@dataclass(frozen=True)
class HistoryEvent:
    product_id: int
    weight: float
    occurred_at: datetime
    type: str = "VIEW"


@dataclass(frozen=True)
class ViewerSignals:
    """What a personal plan starts from, read at once (`CandidateReads.viewer_signals`)."""

    followed_posts: list[PostInfo]
    """Published posts of the creators the viewer follows, newest first."""
    engaged: list[tuple[PostInfo, str]]
    """As `engaged_posts`: posts the viewer liked or saved, most recent first, with LIKE or SAVE."""
    tagged: dict[int, list[int]]
    """As `tagged_products` of the engaged posts."""
    history: list[HistoryEvent]
    """As `product_history`."""
    hidden: set[tuple[str, int]] = field(default_factory=set)
    purchased: set[int] = field(default_factory=set)
    """As `exclusions(user, None, bought_since)`, when `bought_since` was given; else empty."""


@dataclass(frozen=True)
class SessionState:
    """What a later page reads first, at once (`FeedSessions.session_state`)."""

    found: tuple[FeedSession, list[ServedItem]] | None
    hidden: set[tuple[str, int]]
    purchased: set[int]
    sellable: dict[int, ProductInfo]
    """Those of the products asked about that can be bought now."""


@dataclass(frozen=True)
class EngagementCount:
    """How many distinct senders sent events of one type about a post or product since some time,
    each counted once per UTC day, and when the latest was; signed-in users and anonymous devices
    are counted apart (`signed_in`), because a device id is whatever the client makes up."""

    subject_type: str
    subject_id: int
    event_type: str
    latest_at: datetime
    count: int  # distinct (sender, day) pairs, not events
    signed_in: bool = True


@dataclass(frozen=True)
class TrainingEvent:
    """One event of a user who agreed to personalization, as the ranker's training reads it."""

    id: int
    user_id: int
    type: str
    subject_type: str
    subject_id: int
    occurred_at: datetime


@dataclass(frozen=True)
class CatalogItem:
    """An active product, with what the ranker knows of it."""

    product_id: int
    merchant_id: int
    category: str | None
    price_minor: int | None  # of its last SKU by position
    created_at: datetime


@dataclass(frozen=True)
class Plan:
    """A session's ranked candidates (`key` says for which consent state), stored with the session so
    that any server process can continue it without ranking again."""

    key: str
    posts: list[Candidate]
    products: list[Candidate]
    planned_at: datetime


class SessionConflict(Exception):
    """Another request extended the same feed session at the same time."""


class CandidateReads(Protocol):
    """What candidate sources and filters read about the viewer and the catalog."""

    async def followed_creator_ids(self, user_id: int) -> list[int]: ...

    async def recent_posts_of(self, creator_ids: Sequence[int], limit: int) -> list[PostInfo]: ...

    async def recent_followed_posts(self, user_id: int, limit: int) -> list[PostInfo]:
        """`recent_posts_of` the creators the user follows, in one statement."""
        ...

    async def engaged_posts(
        self, user_id: int, limit: int, since: datetime | None = None
    ) -> list[tuple[PostInfo, str]]:
        """Posts the user liked or saved (since `since`), most recent first, with LIKE or SAVE."""
        ...

    async def tagged_products(self, post_ids: Sequence[int]) -> dict[int, list[int]]: ...

    async def product_history(self, user_id: int, since: datetime, limit: int) -> list[HistoryEvent]: ...

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
        """`recent_posts_of` the followed creators, `engaged_posts` with their `tagged_products`,
        `product_history` and, with `bought_since`, the user's `exclusions`, in one statement: planning
        a personal feed needs all of them."""
        ...

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]:
        """Products the user bought since `since`, from orders (cancelled ones excepted). A client-sent
        PURCHASE event is a claim anyone can make, so it never counts as a purchase."""
        ...

    async def hidden(self, user_id: int | None, device_id: str | None = None) -> set[tuple[str, int]]:
        """What a signed-in user (or, with `user_id` None, an anonymous device) hid."""
        ...

    async def exclusions(
        self, user_id: int | None, device_id: str | None, bought_since: datetime
    ) -> tuple[set[tuple[str, int]], set[int]]:
        """`hidden(user_id, device_id)` and, for a signed-in user, `purchased_product_ids(user_id,
        bought_since)`, in one statement: a feed page needs both, and each statement is a round trip."""
        ...

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]: ...

    async def unserved_posts(self, session_id: str, user_id: int | None, limit: int) -> list[PostInfo]:
        """Published posts the session has not served and the user did not hide (nor their creator),
        newest first: the archive the feed widens to once the ranked candidates run out."""
        ...

    async def unserved_products(self, session_id: str, user_id: int | None, limit: int) -> list[ProductInfo]:
        """Sellable products the session has not served and the user did not hide (nor their merchant),
        newest first, each with `tagged_by` set when a published post tags it: the long tail."""
        ...


class TrendingReads(Protocol):
    """Raw counts and rows the trending snapshot is scored from (see `trending.compute_snapshot`)."""

    async def latest_posts(self, limit: int) -> list[PostInfo]:
        """Published posts, newest first."""
        ...

    async def posts(self, post_ids: Sequence[int]) -> list[PostInfo]:
        """Those of the posts that are published (any order)."""
        ...

    async def like_counts_since(self, since: datetime, limit: int) -> dict[int, int]:
        """Likes per post since `since`, the `limit` most liked posts."""
        ...

    async def engagement_since(self, since: datetime) -> list[EngagementCount]:
        """Events about posts and products since `since`: per subject, event type and kind of sender
        (signed-in or device), the number of distinct (sender, UTC day) pairs."""
        ...

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]: ...

    async def newest_sellable_products(self, limit: int) -> list[ProductInfo]: ...


class FeedSessions(Protocol):
    async def session(self, session_id: str, replay_from: int) -> tuple[FeedSession, list[ServedItem]] | None:
        """The session and everything it served, by position, in one read; the reasons only of the items
        from position `replay_from` on (those a page may replay), the others' are left empty."""
        ...

    async def session_state(
        self,
        session_id: str,
        replay_from: int,
        user_id: int | None,
        device_id: str | None,
        bought_since: datetime,
        sellable_among: Sequence[int] = (),
    ) -> SessionState:
        """`session(session_id, replay_from)`, `exclusions(user_id, device_id, bought_since)` and
        `sellable_products(sellable_among)` in one statement: a later page needs all three."""
        ...

    async def append(
        self, session: FeedSession, items: Sequence[ServedItem], plan: Plan | None = None
    ) -> None:
        """Store a new session or extend one (with a new `plan` when given); raises SessionConflict if
        another request extended it first."""
        ...

    async def saved_plan(self, session_id: str) -> Plan | None: ...

    async def delete_expired_sessions(self, now: datetime) -> int: ...


class EventStore(Protocol):
    async def existing_subjects(self, subjects: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
        """The subjects a shopper may see: published posts, active products (and their SKUs), creators,
        merchants."""
        ...

    async def stored_event_ids(self, actor_key: str, event_ids: Sequence[str]) -> set[str]:
        """Which of these client event ids the sender has stored already."""
        ...

    async def events_received_since(self, actor_key: str, since: datetime) -> int:
        """How many events of the sender were received (server time) since `since`."""
        ...

    async def delete_events_before(self, before: datetime, limit: int) -> int:
        """Delete up to `limit` events that occurred before `before`; returns how many."""
        ...

    async def insert_new(self, events: Sequence[NewEvent]) -> int:
        """Store the events whose (actor, event id) is new, also when a parallel call stores the same ones
        (no error, each kept once); returns how many this call stored."""
        ...


class Hides(Protocol):
    async def hide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None:
        """A user's hide, or (with `user_id` None) an anonymous device's, kept until it signs in."""
        ...

    async def unhide(
        self, user_id: int | None, subject_type: str, subject_id: int, device_id: str | None = None
    ) -> None: ...


class TrainingReads(Protocol):
    """What the ranker is trained on."""

    async def training_events(
        self, since: datetime, types: Sequence[str], after_id: int, limit: int
    ) -> list[TrainingEvent]:
        """Events of consenting users of the given types, in id order after `after_id`."""
        ...

    async def sku_product_ids(self) -> dict[int, int]: ...

    async def tagged_product_ids(self) -> dict[int, list[int]]:
        """Every post's tagged products (post id -> product ids)."""
        ...

    async def catalog_items(self) -> list[CatalogItem]: ...


class FeedRepository(CandidateReads, TrendingReads, FeedSessions, EventStore, Hides, TrainingReads, Protocol):
    """Everything the feed reads and writes in the database: `uow.feed`."""


class FeedUnitOfWork(Transaction, Protocol):
    """The part of `shoppable.domain.uow.UnitOfWork` the feed uses (domain tests fake just this)."""

    @property
    def feed(self) -> FeedRepository: ...


class Ranker(Protocol):
    """The trained recommendation model (see domain.recs.artifact.TrainedModel)."""

    trained_at: float
    """Epoch seconds of the data it was fitted on."""

    def recommend(
        self,
        user_id: str | None,
        k: int = 20,
        *,
        recent_item_ids: Sequence[str] = (),
        recent_weights: Sequence[float] | None = None,
        exclude_item_ids: Iterable[str] = (),
    ) -> list[str]: ...


class CandidatePlans(Protocol):
    """A session's ranked candidates, kept for its next pages (a cache: losing it only costs time)."""

    def get(self, key: str) -> tuple[list[Candidate], list[Candidate]] | None: ...

    def put(self, key: str, posts: list[Candidate], products: list[Candidate]) -> None: ...


class Snapshots(Protocol):
    """The shared everyone-feed: `compute` is called when the cached one is missing or stale."""

    async def get(self, compute: Callable[[], Awaitable[Snapshot]]) -> Snapshot: ...


class Rankers(Protocol):
    async def current(self) -> Ranker | None:
        """The latest trained model, or None before the first training."""
        ...


class FeedSettings(Protocol):
    @property
    def feed_slot_pattern(self) -> str: ...

    @property
    def feed_session_ttl_seconds(self) -> int: ...

    @property
    def feed_purchase_window_days(self) -> int: ...


class FeedServices(Protocol):
    """The non-database ports the feed uses; `shoppable.services.Services` provides them."""

    @property
    def settings(self) -> FeedSettings: ...

    @property
    def snapshots(self) -> Snapshots: ...

    @property
    def plans(self) -> CandidatePlans: ...

    @property
    def models(self) -> Rankers: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...
