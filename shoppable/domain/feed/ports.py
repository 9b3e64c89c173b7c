"""What the feed reads (candidates, filters) and where it keeps sessions; implemented in storage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from shoppable.domain.feed.model import Candidate, FeedMode, FeedSession, ItemKind, ServedItem


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


class FeedReader(Protocol):
    async def snapshot(self) -> Snapshot: ...

    async def followed_creator_ids(self, user_id: int) -> list[int]: ...

    async def recent_posts_of(self, creator_ids: Sequence[int], limit: int) -> list[PostInfo]: ...

    async def engaged_posts(self, user_id: int, limit: int) -> list[tuple[PostInfo, str]]: ...

    async def tagged_products(self, post_ids: Sequence[int]) -> dict[int, list[int]]: ...

    async def product_history(self, user_id: int, since: datetime, limit: int) -> list[HistoryEvent]: ...

    async def purchased_product_ids(self, user_id: int, since: datetime) -> set[int]: ...

    async def hidden(self, user_id: int) -> set[tuple[str, int]]: ...

    async def sellable_products(self, product_ids: Iterable[int]) -> dict[int, ProductInfo]: ...


class Ranker(Protocol):
    """The trained recommendation model (see domain.recs.artifact.TrainedModel)."""

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


class SessionConflict(Exception):
    """Another request extended the same feed session at the same time."""


class FeedSessions(Protocol):
    async def get(self, session_id: str) -> FeedSession | None: ...

    async def create(
        self, actor_key: str, mode: FeedMode, personalized: bool, ttl_seconds: int
    ) -> FeedSession: ...

    async def served_from(self, session_id: str, position: int, limit: int) -> list[ServedItem]: ...

    async def served_keys(self, session_id: str) -> set[tuple[ItemKind, int]]: ...

    async def tail(self, session_id: str, count: int) -> list[ServedItem]: ...

    async def append(self, session: FeedSession, items: Sequence[ServedItem]) -> None: ...
