"""Interleaving posts and product cards: a slot pattern, with soft author and merchant diversity.

Diversity is a preference, never a wall: an item whose creator (posts) or merchant (product cards) was
shown recently has its score multiplied by a penalty that decays with each recent appearance, down to
a floor (X's home mixer discounts repeated authors the same way; Pinterest replaced its hard spacing
rules with such soft penalties). The mixer therefore always places something while anything is left,
and the feed ends only when nothing eligible remains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from shoppable.domain.feed.model import Candidate, ItemKind, ServedItem

DEFAULT_PATTERN = "PPRPPPR"  # a product card after every 2-3 posts
DIVERSITY_WINDOW = 10
REPEAT_DECAY = 0.3
"""Each recent appearance of an author multiplies their next item's score by this much."""
SESSION_DECAY = 0.85
"""Each item of an author served earlier in the session (anywhere) multiplies their next item's score by
this much: authors take turns over the whole scroll, not only within the window."""
REPEAT_FLOOR = 0.01
"""The penalty never goes below this: a far better item by a repeated author can still win."""
MAX_PER_AUTHOR = 2
"""What `diversity_holds` checks: the spread the mixer reaches whenever the remaining items allow it."""

AuthorKey = tuple[ItemKind, int]


def _author_key(item: Candidate | ServedItem) -> AuthorKey:
    return item.kind, item.author_id


def repeat_penalty(appearances: int, served: int = 0) -> float:
    """The factor on the score of an item whose author appeared `appearances` times in the window and
    `served` times in the whole session so far (window included)."""
    if appearances <= 0 and served <= 0:
        return 1.0
    return max(REPEAT_FLOOR, REPEAT_DECAY ** max(appearances, 0) * SESSION_DECAY ** max(served, 0))


def mix(
    posts: Sequence[Candidate],
    products: Sequence[Candidate],
    *,
    count: int,
    start_position: int,
    recent: Sequence[Candidate | ServedItem],
    served: Mapping[AuthorKey, int] | None = None,
    pattern: str = DEFAULT_PATTERN,
    window: int = DIVERSITY_WINDOW,
) -> list[Candidate]:
    """Pick up to `count` items (fewer only when both kinds run out), following `pattern` (P = post,
    R = product card) while both kinds remain; the other kind fills a slot whose kind has run out.

    Within the slot's kind the item with the best score times its author's repeat penalty wins, counting
    the authors of the last `window - 1` items, including those served before `start_position`
    (`recent`, oldest first), and each earlier item of the author in the whole session (`served`: per
    author, how many items the session served before `start_position`). Among equal products, the author shown longest ago goes first, then the
    one with the most items left, so that a prolific author does not end up bunched at the end.
    """
    pattern = pattern.upper() or DEFAULT_PATTERN
    by_score = lambda c: -c.score  # noqa: E731  # stable: equal scores keep their given order
    queues = {ItemKind.POST: sorted(posts, key=by_score), ItemKind.PRODUCT: sorted(products, key=by_score)}
    left = Counter(_author_key(c) for queue in queues.values() for c in queue)
    history: list[AuthorKey] = [_author_key(i) for i in recent[-(window - 1) :]] if window > 1 else []
    totals = Counter(served) if served is not None else Counter(history)
    chosen: list[Candidate] = []
    while len(chosen) < count:
        slot = pattern[(start_position + len(chosen)) % len(pattern)]
        wanted = ItemKind.PRODUCT if slot == "R" else ItemKind.POST
        if not queues[wanted]:
            wanted = ItemKind.POST if wanted is ItemKind.PRODUCT else ItemKind.PRODUCT
            if not queues[wanted]:
                break
        shown = history[-(window - 1) :] if window > 1 else []
        since = {key: len(shown) - index for index, key in enumerate(shown)}  # 1 = the last item
        picked = _take(queues[wanted], Counter(shown), totals, since, left, window)
        left[_author_key(picked)] -= 1
        totals[_author_key(picked)] += 1
        chosen.append(picked)
        history.append(_author_key(picked))
    return chosen


def _take(
    queue: list[Candidate],
    recent: Counter[AuthorKey],
    totals: Counter[AuthorKey],
    since: dict[AuthorKey, int],
    left: Counter[AuthorKey],
    window: int,
) -> Candidate:
    """Remove and return the queue's best item after repeat penalties (the queue is best first).

    Ties go to the author shown longest ago, then to the one with the most items left."""
    best_index, best_rank = 0, (float("-inf"), 0, 0)
    for index, candidate in enumerate(queue):
        if candidate.score < best_rank[0]:
            break  # sorted by score and penalties only lower it: nothing further can win
        key = _author_key(candidate)
        penalty = repeat_penalty(recent[key], totals[key])
        rank = (candidate.score * penalty, since.get(key, window), left[key])
        if rank > best_rank:
            best_index, best_rank = index, rank
    return queue.pop(best_index)


def diversity_holds(
    items: Sequence[Candidate | ServedItem], window: int = DIVERSITY_WINDOW, limit: int = MAX_PER_AUTHOR
) -> bool:
    """True when no author appears more than `limit` times in any `window` consecutive items."""
    for start in range(max(1, len(items) - window + 1)):
        keys = Counter(_author_key(i) for i in items[start : start + window])
        if any(seen > limit for seen in keys.values()):
            return False
    return True
