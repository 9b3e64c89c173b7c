"""Mixing posts and product cards: the slot pattern, soft author diversity, and never stopping early."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.feed.mixing import DIVERSITY_WINDOW, diversity_holds, mix, repeat_penalty
from shoppable.domain.feed.model import Candidate, FeedSource, ItemKind, ServedItem


def candidates(kind: ItemKind, authors: list[int], start: int = 1) -> list[Candidate]:
    return [
        Candidate(kind, start + n, author, 1.0 - n / 100, FeedSource.NON_PERSONALIZED, ())
        for n, author in enumerate(authors)
    ]


def test_the_pattern_places_a_product_card_after_every_few_posts() -> None:
    posts = candidates(ItemKind.POST, [1, 2, 3, 4, 5, 6, 7, 8])
    products = candidates(ItemKind.PRODUCT, [1, 2, 3], start=100)
    chosen = mix(posts, products, count=7, start_position=0, recent=[], pattern="PPRPPPR")
    assert "".join("R" if c.kind is ItemKind.PRODUCT else "P" for c in chosen) == "PPRPPPR"
    # The pattern continues across pages: position 2 is a product slot.
    later = mix(posts, products, count=1, start_position=2, recent=[], pattern="PPRPPPR")
    assert later[0].kind is ItemKind.PRODUCT


def test_best_first_within_each_kind() -> None:
    posts = candidates(ItemKind.POST, [1, 2, 3])
    chosen = mix(posts, [], count=3, start_position=0, recent=[])
    assert [c.item_id for c in chosen] == [1, 2, 3]


def test_a_dominant_author_is_spread_out_and_never_stops_the_feed() -> None:
    posts = candidates(ItemKind.POST, [1] * 6 + [2, 3])
    products = candidates(ItemKind.PRODUCT, [7, 8], start=100)
    chosen = mix(posts, products, count=20, start_position=0, recent=[])
    # Everything is served: diversity is a preference, not a wall.
    assert sorted(c.item_id for c in chosen) == sorted(c.item_id for c in [*posts, *products])
    post_authors = [c.author_id for c in chosen if c.kind is ItemKind.POST]
    # The other creators come between author 1's posts while they last, not after them.
    assert post_authors[:4] == [1, 2, 3, 1]
    assert diversity_holds(chosen[:5])


def test_items_served_on_earlier_pages_count_for_diversity() -> None:
    recent = [ServedItem(n, ItemKind.POST, 50 + n, 1, FeedSource.NON_PERSONALIZED, ()) for n in range(2)]
    posts = candidates(ItemKind.POST, [1, 2])
    chosen = mix(posts, [], count=2, start_position=2, recent=recent, pattern="P")
    assert [c.author_id for c in chosen] == [2, 1]


def test_a_much_better_item_beats_a_fresh_author_but_a_close_one_does_not() -> None:
    recent = [ServedItem(0, ItemKind.POST, 50, 1, FeedSource.NON_PERSONALIZED, ())]
    star = Candidate(ItemKind.POST, 1, 1, 1.0, FeedSource.NON_PERSONALIZED, ())
    weak = Candidate(ItemKind.POST, 2, 2, 0.1, FeedSource.NON_PERSONALIZED, ())
    close = Candidate(ItemKind.POST, 3, 3, 0.9, FeedSource.NON_PERSONALIZED, ())
    assert mix([star, weak], [], count=1, start_position=1, recent=recent, pattern="P") == [star]
    assert mix([star, close], [], count=1, start_position=1, recent=recent, pattern="P") == [close]


def test_penalties_decay_with_each_appearance_down_to_a_floor() -> None:
    penalties = [repeat_penalty(n) for n in range(8)]
    assert penalties[0] == 1.0
    assert all(a >= b for a, b in pairwise(penalties))
    assert penalties[-1] > 0
    # Earlier items of the author anywhere in the session weigh too, less than recent ones.
    assert repeat_penalty(1, 1) < repeat_penalty(0, 1) < 1.0
    assert repeat_penalty(0, 1) > repeat_penalty(1, 1) and repeat_penalty(0, 100) > 0


def test_diversity_holds_counts_kinds_separately() -> None:
    posts = candidates(ItemKind.POST, [1, 1])
    products = candidates(ItemKind.PRODUCT, [1, 1], start=100)
    assert diversity_holds([*posts, *products])
    assert not diversity_holds(candidates(ItemKind.POST, [1, 1, 1]))


# -- properties ----------------------------------------------------------------------------------------

authors = st.lists(st.integers(1, 5), max_size=25)


def _pool(post_authors: list[int], product_authors: list[int], scores: list[float]) -> list[Candidate]:
    pool = []
    for n, author in enumerate(post_authors):
        pool.append(Candidate(ItemKind.POST, n, author, scores[n % len(scores)], FeedSource.PERSONALIZED, ()))
    for n, author in enumerate(product_authors):
        score = scores[(n + 3) % len(scores)]
        pool.append(Candidate(ItemKind.PRODUCT, 1000 + n, author, score, FeedSource.PERSONALIZED, ()))
    return pool


@settings(max_examples=300, deadline=None)
@given(
    post_authors=authors,
    product_authors=authors,
    scores=st.lists(st.floats(0.01, 2.0), min_size=1, max_size=6),
    pattern=st.sampled_from(["PPRPPPR", "PR", "P", "R", "PPPR"]),
    start=st.integers(0, 20),
)
def test_the_mix_serves_everything_once_in_pattern_and_as_spread_as_the_rest_allows(
    post_authors: list[int], product_authors: list[int], scores: list[float], pattern: str, start: int
) -> None:
    pool = _pool(post_authors, product_authors, scores)
    posts = [c for c in pool if c.kind is ItemKind.POST]
    products = [c for c in pool if c.kind is ItemKind.PRODUCT]
    chosen = mix(posts, products, count=len(pool) + 5, start_position=start, recent=[], pattern=pattern)

    # Never runs dry: every candidate exactly once.
    assert sorted(c.item_id for c in chosen) == sorted(c.item_id for c in pool)
    remaining = list(pool)
    history: list[tuple[ItemKind, int]] = []
    totals: Counter[tuple[ItemKind, int]] = Counter()
    for offset, picked in enumerate(chosen):
        kinds_left = {c.kind for c in remaining}
        slot = ItemKind.PRODUCT if pattern[(start + offset) % len(pattern)] == "R" else ItemKind.POST
        if len(kinds_left) == 2:
            assert picked.kind is slot, "the slot pattern holds while both kinds remain"
        window = Counter(history[-(DIVERSITY_WINDOW - 1) :])
        rivals = [c for c in remaining if c.kind is picked.kind and c is not picked]
        mine = repeat_penalty(
            window[(picked.kind, picked.author_id)], totals[(picked.kind, picked.author_id)]
        )
        for rival in rivals:
            theirs = repeat_penalty(
                window[(rival.kind, rival.author_id)], totals[(rival.kind, rival.author_id)]
            )
            # Soft diversity: an at-least-as-good item by a less shown author always wins,
            if rival.score >= picked.score:
                assert theirs <= mine, (offset, picked, rival)
            # and a repeated author wins only with a score that outweighs the penalty.
            assert picked.score * mine >= rival.score * theirs - 1e-12
        remaining.remove(picked)
        history.append((picked.kind, picked.author_id))
        totals[(picked.kind, picked.author_id)] += 1


@settings(max_examples=300, deadline=None)
@given(post_authors=st.lists(st.integers(1, 4), max_size=30))
def test_equal_items_are_spread_as_far_as_the_remaining_items_allow(post_authors: list[int]) -> None:
    """With equal scores, the creator shown least (in the window, then in the whole scroll) goes next;
    among equals the one shown longest ago, then the one with the most posts left."""
    posts = [
        Candidate(ItemKind.POST, n, a, 1.0, FeedSource.PERSONALIZED, ()) for n, a in enumerate(post_authors)
    ]
    chosen = mix(posts, [], count=len(posts), start_position=0, recent=[], pattern="P")
    left = Counter(c.author_id for c in posts)
    for offset, picked in enumerate(chosen):
        window = Counter(c.author_id for c in chosen[max(0, offset - DIVERSITY_WINDOW + 1) : offset])
        totals = Counter(c.author_id for c in chosen[:offset])
        others = [a for a in left if left[a] > 0]

        def penalty(author: int, window: Counter[int] = window, totals: Counter[int] = totals) -> float:
            return repeat_penalty(window[author], totals[author])

        best = max(penalty(a) for a in others)
        assert penalty(picked.author_id) == best
        shown = [c.author_id for c in chosen[max(0, offset - DIVERSITY_WINDOW + 1) : offset]]
        since = {a: len(shown) - i for i, a in enumerate(shown)}

        def order(author: int, since: dict[int, int] = since) -> tuple[int, int]:
            return since.get(author, DIVERSITY_WINDOW), left[author]

        tied = [a for a in others if penalty(a) == best]
        assert order(picked.author_id) == max(order(a) for a in tied)
        left[picked.author_id] -= 1
    # Hence: two creators with as many posts alternate perfectly.
    if set(post_authors) == {1, 2} and post_authors.count(1) == post_authors.count(2):
        assert all(a.author_id != b.author_id for a, b in pairwise(chosen))
