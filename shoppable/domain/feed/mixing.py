"""Interleaving posts and product cards: a slot pattern, with author and merchant diversity."""

from __future__ import annotations

from collections.abc import Sequence

from shoppable.domain.feed.model import Candidate, ItemKind, ServedItem

DEFAULT_PATTERN = "PPRPPPR"  # a product card after every 2-3 posts
DIVERSITY_WINDOW = 10
MAX_PER_AUTHOR = 2


def _author_key(item: Candidate | ServedItem) -> tuple[ItemKind, int]:
    return item.kind, item.author_id


def mix(
    posts: Sequence[Candidate],
    products: Sequence[Candidate],
    *,
    count: int,
    start_position: int,
    recent: Sequence[ServedItem],
    pattern: str = DEFAULT_PATTERN,
    window: int = DIVERSITY_WINDOW,
    max_per_author: int = MAX_PER_AUTHOR,
) -> list[Candidate]:
    """Pick up to `count` items, best first within each kind, following `pattern` (P = post, R = product).

    No creator (posts) or merchant (product cards) appears more than `max_per_author` times in any
    `window` consecutive items, counting the items already served before `start_position`
    (`recent`, oldest first). When the pattern's kind has nothing eligible the other kind fills the
    slot; the feed stops rather than break diversity.
    """
    pattern = pattern.upper() or DEFAULT_PATTERN
    queues = {ItemKind.POST: list(posts), ItemKind.PRODUCT: list(products)}
    chosen: list[Candidate] = []
    history: list[Candidate | ServedItem] = list(recent[-(window - 1) :]) if window > 1 else []
    while len(chosen) < count:
        slot = pattern[(start_position + len(chosen)) % len(pattern)]
        wanted = ItemKind.PRODUCT if slot == "R" else ItemKind.POST
        other = ItemKind.POST if wanted is ItemKind.PRODUCT else ItemKind.PRODUCT
        recent_authors = [_author_key(i) for i in history[-(window - 1) :]] if window > 1 else []
        picked = _take(queues[wanted], recent_authors, max_per_author) or _take(
            queues[other], recent_authors, max_per_author
        )
        if picked is None:
            break
        chosen.append(picked)
        history.append(picked)
    return chosen


def _take(queue: list[Candidate], recent_authors: list[tuple[ItemKind, int]], limit: int) -> Candidate | None:
    for index, candidate in enumerate(queue):
        if recent_authors.count(_author_key(candidate)) < limit:
            return queue.pop(index)
    return None


def diversity_holds(
    items: Sequence[Candidate | ServedItem], window: int = DIVERSITY_WINDOW, limit: int = MAX_PER_AUTHOR
) -> bool:
    """True when no author appears more than `limit` times in any `window` consecutive items."""
    for start in range(max(1, len(items) - window + 1)):
        keys = [_author_key(i) for i in items[start : start + window]]
        if any(keys.count(key) > limit for key in set(keys)):
            return False
    return True
