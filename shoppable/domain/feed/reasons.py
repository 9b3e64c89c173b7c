"""Plain-language reasons, naming the concrete cause. Texts live here so every client shows the same words."""

from __future__ import annotations

from collections.abc import Iterable

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


_VERBS = {  # what the viewer did, in the words of a reason (event types, best known first)
    "LIKE": "liked",
    "SAVE": "saved",
    "VIEW": "viewed",
    "CLICK": "opened",
    "SHARE": "shared",
    "ADD_TO_CART": "added to your cart",
    "PURCHASE": "bought",
}


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _verbs(actions: Iterable[str]) -> list[str]:
    done = set(actions)
    return [verb for action, verb in _VERBS.items() if action in done]


def engaged_with(handle: str, actions: Iterable[str], posts: int) -> Reason:
    """`actions`: what the viewer did to `posts` of the creator's posts (LIKE, SAVE)."""
    what = "a post" if posts == 1 else "posts"
    verbs = _verbs(actions) or ["engaged with"]
    return Reason(ReasonCode.ENGAGED_WITH_CREATOR, f"You {_listed(verbs)} {what} by @{handle}")


def tagged_in(how: str) -> Reason:
    if how == "SAVE":
        return Reason(ReasonCode.TAGGED_IN_SAVED_POST, "Tagged in a post you saved")
    return Reason(ReasonCode.TAGGED_IN_LIKED_POST, "Tagged in a post you liked")


def similar_to(title: str, action: str = "VIEW") -> Reason:
    """A product of the same category as one the viewer acted on (`action`: the event's type)."""
    if action == "ADD_TO_CART":
        text = f"Because you added {title} to your cart"
    elif action in ("PURCHASE", "LIKE", "SAVE", "SHARE"):
        text = f"Because you {_VERBS[action]} {title}"
    else:  # VIEW, CLICK: both mean the viewer looked at it
        text = f"Because you viewed {title}"
    return Reason(ReasonCode.SIMILAR_TO_VIEWED, text)


def picked_for_you(actions: Iterable[str] = ()) -> Reason:
    """The ranker's pick; `actions` are the kinds of activity of the viewer it was picked from."""
    verbs = _verbs(actions)
    text = f"Picked from what you {_listed(verbs)}" if verbs else "Picked for you from your earlier activity"
    return Reason(ReasonCode.PICKED_FOR_YOU, text)


def trending(likes_this_week: int, handle: str, *, recent: bool = True) -> Reason:
    """A post of the trending snapshot: its likes this week, else new (this week) or from the archive."""
    if likes_this_week > 0:
        plural = "like" if likes_this_week == 1 else "likes"
        return Reason(ReasonCode.TRENDING_POST, f"Trending: {likes_this_week} {plural} this week")
    if recent:
        return Reason(ReasonCode.LATEST_POST, f"New from @{handle}")
    return from_archive(handle)


def from_archive(handle: str) -> Reason:
    """An older post (published before this week), served once the fresher ones ran out."""
    return Reason(ReasonCode.FROM_THE_ARCHIVE, f"From @{handle}'s archive")


def from_catalog(merchant_name: str) -> Reason:
    """An older product nobody engaged with this week: the long tail of a merchant's catalog."""
    return Reason(ReasonCode.FROM_THE_ARCHIVE, f"From {merchant_name}'s catalog")


def explore_post(handle: str) -> Reason:
    """A recent post with little activity yet, shown so it gets a chance."""
    return Reason(ReasonCode.EXPLORE, f"Explore: a recent post by @{handle} few have seen yet")


def explore_product(merchant_name: str) -> Reason:
    return Reason(ReasonCode.EXPLORE, f"Explore: new at {merchant_name}, few have seen it yet")


def seen_in_post(handle: str) -> Reason:
    """A product a creator tagged in a published post."""
    return Reason(ReasonCode.SEEN_IN_POST, f"Seen in a post by @{handle}")


def popular_in(category: str | None) -> Reason:
    where = f" in {category}" if category else ""
    return Reason(ReasonCode.POPULAR_IN_CATEGORY, f"Popular{where} this week")


def new_from(merchant_name: str) -> Reason:
    return Reason(ReasonCode.NEW_ARRIVAL, f"New from {merchant_name}")


_SPECIFICITY = {code: rank for rank, code in enumerate(ReasonCode)}


def ordered(why: Iterable[Reason]) -> tuple[Reason, ...]:
    """Most specific first (the declaration order of `ReasonCode`), each reason once."""
    unique = dict.fromkeys(why)
    return tuple(sorted(unique, key=lambda r: _SPECIFICITY[r.code]))


def disclosure(kind: str | None, partner: str | None) -> Reason | None:
    """The post's own disclosure label: `partner` is the merchant's name once it confirmed, else None."""
    if kind is None or kind not in _DISCLOSURES:
        return None
    return Reason(_DISCLOSURES[kind], disclosure_rules.label(DisclosureKind(kind), partner))
