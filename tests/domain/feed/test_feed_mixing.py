"""Mixing posts and product cards: the slot pattern, author diversity, and filling from the other kind."""

from __future__ import annotations

from shoppable.domain.feed.mixing import diversity_holds, mix
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


def test_no_author_more_than_twice_in_ten_and_the_other_kind_fills_in() -> None:
    posts = candidates(ItemKind.POST, [1] * 6 + [2, 3])
    products = candidates(ItemKind.PRODUCT, [7, 8], start=100)
    chosen = mix(posts, products, count=20, start_position=0, recent=[])
    assert diversity_holds(chosen)
    assert [c.author_id for c in chosen if c.kind is ItemKind.POST].count(1) == 2
    # It stops rather than break diversity: the rest of author 1's posts wait.
    assert len(chosen) == 6


def test_items_served_on_earlier_pages_count_for_diversity() -> None:
    recent = [ServedItem(n, ItemKind.POST, 50 + n, 1, FeedSource.NON_PERSONALIZED, ()) for n in range(2)]
    posts = candidates(ItemKind.POST, [1, 2])
    chosen = mix(posts, [], count=2, start_position=2, recent=recent, pattern="P")
    assert [c.author_id for c in chosen] == [2]


def test_diversity_holds_counts_kinds_separately() -> None:
    posts = candidates(ItemKind.POST, [1, 1])
    products = candidates(ItemKind.PRODUCT, [1, 1], start=100)
    assert diversity_holds([*posts, *products])
    assert not diversity_holds(candidates(ItemKind.POST, [1, 1, 1]))
