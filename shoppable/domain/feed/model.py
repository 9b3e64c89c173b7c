"""What the feed is made of: modes, sources, reasons, candidates, served items and viewers' events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shoppable.domain.identity.actor import Actor


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
    """Why an item is in the feed. Codes marked * use the viewer's own activity (personalized only).

    Declared most specific first: an item's reasons are listed in this order, so the first one is the
    one that placed it (`reasons.ordered`); disclosures, which are labels rather than causes, come last.
    """

    FOLLOWS_CREATOR = "FOLLOWS_CREATOR"  # * "Because you follow @ana"
    TAGGED_IN_SAVED_POST = "TAGGED_IN_SAVED_POST"  # * "Tagged in a post you saved"
    TAGGED_IN_LIKED_POST = "TAGGED_IN_LIKED_POST"  # * "Tagged in a post you liked"
    SIMILAR_TO_VIEWED = "SIMILAR_TO_VIEWED"  # * "Because you viewed Merino Crew"
    ENGAGED_WITH_CREATOR = "ENGAGED_WITH_CREATOR"  # * "You liked posts by @ana" / "You saved a post by @ana"
    PICKED_FOR_YOU = "PICKED_FOR_YOU"  # * "Picked from products you viewed"
    TRENDING_POST = "TRENDING_POST"  # "Trending: 42 likes this week"
    POPULAR_IN_CATEGORY = "POPULAR_IN_CATEGORY"  # "Popular in Shoes this week"
    NEW_ARRIVAL = "NEW_ARRIVAL"  # "New from Northwind"
    LATEST_POST = "LATEST_POST"  # "New from @ana"
    SEEN_IN_POST = "SEEN_IN_POST"  # "Seen in a post by @ana"
    EXPLORE = "EXPLORE"  # "Explore: not many shoppers have seen this yet"
    FROM_THE_ARCHIVE = "FROM_THE_ARCHIVE"  # "From @ana's archive" / "From Northwind's catalog"
    PAID_PARTNERSHIP = "PAID_PARTNERSHIP"  # "Paid partnership with Northwind"
    AFFILIATE = "AFFILIATE"  # "Affiliate link: Northwind"
    GIFTED = "GIFTED"  # "Gifted by Northwind"


PERSONAL_REASONS = frozenset(
    {
        ReasonCode.FOLLOWS_CREATOR,
        ReasonCode.TAGGED_IN_SAVED_POST,
        ReasonCode.TAGGED_IN_LIKED_POST,
        ReasonCode.SIMILAR_TO_VIEWED,
        ReasonCode.ENGAGED_WITH_CREATOR,
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
    team: str | None = None
    """Set only in an interleaving experiment: which ranker ("A" or "B") placed the item."""


@dataclass(frozen=True)
class ServedItem:
    position: int
    kind: ItemKind
    item_id: int
    author_id: int
    source: FeedSource
    reasons: tuple[Reason, ...]
    team: str | None = None
    """The candidate's team when it was first served (not stored with the session: an interleaving
    experiment records it, `domain/experiments/service.py`)."""


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


class EventType(StrEnum):
    IMPRESSION = "IMPRESSION"
    VIEW = "VIEW"
    CLICK = "CLICK"
    LIKE = "LIKE"
    SAVE = "SAVE"
    FOLLOW = "FOLLOW"
    SHARE = "SHARE"
    ADD_TO_CART = "ADD_TO_CART"
    PURCHASE = "PURCHASE"


UNFOLLOWED = "UNFOLLOWED"
"""The event type the server records when a viewer unfollows a creator (the follow row itself is
deleted): the experiments' unfollow guardrail counts it. Never sent by clients, weighs nothing."""

ORDERED = "ORDERED"
"""The event type the server records for each order line: a purchase that happened (never sent by
clients, whose PURCHASE events are claims)."""


class Channel(StrEnum):
    APP = "APP"
    WEB = "WEB"
    WATCH = "WATCH"
    OTHER = "OTHER"


@dataclass(frozen=True)
class NewEvent:
    """A validated event, ready to be stored once per (actor key, event id)."""

    event_id: str
    actor_key: str
    user_id: int | None
    device_id: str | None
    type: EventType
    subject_type: str | None
    subject_id: int | None
    channel: Channel
    position: int | None
    occurred_at: datetime


def actor_key(actor: Actor) -> str:
    """Whose feed sessions and events these are: the user, else the device, else nobody in particular."""
    if actor.user_id is not None:
        return f"u:{actor.user_id}"
    if actor.device_id:
        return f"d:{actor.device_id}"
    return "anonymous"


class Malformed:
    """Stands for an id the caller sent that could not be read; reported as INVALID at its field."""

    def __repr__(self) -> str:
        return "MALFORMED"


MALFORMED = Malformed()
