"""What the feed is made of: modes, sources, reasons, candidates and served items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FeedMode(StrEnum):
    FOR_YOU = "FOR_YOU"
    FOLLOWING = "FOLLOWING"
    NON_PERSONALIZED = "NON_PERSONALIZED"


class FeedSource(StrEnum):
    PERSONALIZED = "PERSONALIZED"
    NON_PERSONALIZED = "NON_PERSONALIZED"
    FOLLOWING = "FOLLOWING"
    SPONSORED = "SPONSORED"


class ReasonCode(StrEnum):
    """Why an item is in the feed. Codes marked * use the viewer's own activity (personalized only)."""

    FOLLOWS_CREATOR = "FOLLOWS_CREATOR"  # * "Because you follow @ana"
    ENGAGED_WITH_CREATOR = "ENGAGED_WITH_CREATOR"  # * "You liked posts by @ana"
    TAGGED_IN_LIKED_POST = "TAGGED_IN_LIKED_POST"  # * "Tagged in a post you liked"
    TAGGED_IN_SAVED_POST = "TAGGED_IN_SAVED_POST"  # * "Tagged in a post you saved"
    SIMILAR_TO_VIEWED = "SIMILAR_TO_VIEWED"  # * "Because you viewed Merino Crew"
    PICKED_FOR_YOU = "PICKED_FOR_YOU"  # * "Picked from what you viewed, liked and saved"
    TRENDING_POST = "TRENDING_POST"  # "Trending: 42 likes this week"
    POPULAR_IN_CATEGORY = "POPULAR_IN_CATEGORY"  # "Popular in Shoes this week"
    NEW_ARRIVAL = "NEW_ARRIVAL"  # "New from Northwind"
    LATEST_POST = "LATEST_POST"  # "New from @ana"
    PAID_PARTNERSHIP = "PAID_PARTNERSHIP"  # "Paid partnership with Northwind"
    AFFILIATE = "AFFILIATE"  # "Affiliate link: Northwind"
    GIFTED = "GIFTED"  # "Gifted by Northwind"


PERSONAL_REASONS = frozenset(
    {
        ReasonCode.FOLLOWS_CREATOR,
        ReasonCode.ENGAGED_WITH_CREATOR,
        ReasonCode.TAGGED_IN_LIKED_POST,
        ReasonCode.TAGGED_IN_SAVED_POST,
        ReasonCode.SIMILAR_TO_VIEWED,
        ReasonCode.PICKED_FOR_YOU,
    }
)


class ItemKind(StrEnum):
    POST = "post"
    PRODUCT = "product"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    text: str


@dataclass(frozen=True)
class Candidate:
    """An item some source proposes, with its score and why. `author_id`: creator (posts) or merchant (products)."""

    kind: ItemKind
    item_id: int
    author_id: int
    score: float
    source: FeedSource
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ServedItem:
    position: int
    kind: ItemKind
    item_id: int
    author_id: int
    source: FeedSource
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class FeedSession:
    id: str
    actor_key: str
    mode: FeedMode
    personalized: bool
    served: int
    expires_at: datetime


@dataclass(frozen=True)
class FeedPage:
    session: FeedSession
    items: list[ServedItem]
    has_next: bool
    restarted: bool = field(default=False)
