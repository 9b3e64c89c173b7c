"""Plain-language reasons, naming the concrete cause. Texts live here so every client shows the same words."""

from __future__ import annotations

from shoppable.domain.content import disclosure as disclosure_rules
from shoppable.domain.content.records import DisclosureKind
from shoppable.domain.feed.model import Reason, ReasonCode

__all__ = ["ReasonCode"]

_DISCLOSURES = {
    "PAID_PARTNERSHIP": ReasonCode.PAID_PARTNERSHIP,
    "AFFILIATE": ReasonCode.AFFILIATE,
    "GIFTED": ReasonCode.GIFTED,
}


def follows(handle: str) -> Reason:
    return Reason(ReasonCode.FOLLOWS_CREATOR, f"Because you follow @{handle}")


def engaged_with(handle: str) -> Reason:
    return Reason(ReasonCode.ENGAGED_WITH_CREATOR, f"You liked posts by @{handle}")


def tagged_in(how: str) -> Reason:
    if how == "SAVE":
        return Reason(ReasonCode.TAGGED_IN_SAVED_POST, "Tagged in a post you saved")
    return Reason(ReasonCode.TAGGED_IN_LIKED_POST, "Tagged in a post you liked")


def similar_to(title: str) -> Reason:
    return Reason(ReasonCode.SIMILAR_TO_VIEWED, f"Because you viewed {title}")


def picked_for_you() -> Reason:
    return Reason(ReasonCode.PICKED_FOR_YOU, "Picked from what you viewed, liked and saved")


def trending(likes_this_week: int, handle: str) -> Reason:
    if likes_this_week > 0:
        plural = "like" if likes_this_week == 1 else "likes"
        return Reason(ReasonCode.TRENDING_POST, f"Trending: {likes_this_week} {plural} this week")
    return Reason(ReasonCode.LATEST_POST, f"New from @{handle}")


def popular_in(category: str | None) -> Reason:
    where = f" in {category}" if category else ""
    return Reason(ReasonCode.POPULAR_IN_CATEGORY, f"Popular{where} this week")


def new_from(merchant_name: str) -> Reason:
    return Reason(ReasonCode.NEW_ARRIVAL, f"New from {merchant_name}")


def disclosure(kind: str | None, partner: str | None) -> Reason | None:
    """The post's own disclosure label: `partner` is the merchant's name once it confirmed, else None."""
    if kind is None or kind not in _DISCLOSURES:
        return None
    return Reason(_DISCLOSURES[kind], disclosure_rules.label(DisclosureKind(kind), partner))
