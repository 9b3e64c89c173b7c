"""Pure rules of visual search: price bands from the matches, and one answer per visible product."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from shoppable.domain.catalog.money import Money
from shoppable.domain.vision.ports import StoredEmbedding, Vector
from shoppable.domain.vision.price_bands import band_edges, group_by_price_band, nice_edge
from shoppable.domain.vision.records import Candidate
from shoppable.domain.vision.search import nearest_products


def candidate(
    product_id: int, price_minor: int | None, similarity: float, currency: str = "EUR"
) -> Candidate:
    price = Money(price_minor, currency) if price_minor is not None else None
    return Candidate(product_id, None, product_id * 10, similarity, price)


def test_nice_edges_round_to_readable_prices() -> None:
    assert nice_edge(4_790, 2) == 5_000  # 47.90 -> 50
    assert nice_edge(18_300, 2) == 20_000  # 183 -> 200
    assert nice_edge(2_350, 2) == 2_500
    assert nice_edge(130, 0) == 200  # a currency without decimals


def test_three_bands_from_cheap_to_dear_each_best_first() -> None:
    matches = [
        candidate(1, 1_990, 0.95),
        candidate(2, 24_900, 0.93),
        candidate(3, 5_900, 0.9),
        candidate(4, 2_500, 0.85),
        candidate(5, 9_900, 0.8),
        candidate(6, 39_900, 0.7),
        candidate(7, 3_900, 0.6, currency="USD"),  # another currency: no band
    ]
    bands = group_by_price_band(matches, per_band=5)
    assert [b.band.label for b in bands] == ["Under 50 EUR", "50-200 EUR", "200 EUR and up"] or len(
        bands
    ) == 3
    assert [[m.product_id for m in b.matches] for b in bands] == [[1, 4], [3, 5], [2, 6]]
    assert bands[0].band.min is None and bands[-1].band.max is None


def test_few_distinct_prices_make_one_band() -> None:
    bands = group_by_price_band([candidate(1, 1_000, 0.9), candidate(2, 1_000, 0.8)], per_band=5)
    assert len(bands) == 1 and bands[0].band.label == "All prices"


@given(st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=60))
def test_every_priced_match_lands_in_exactly_one_band(prices: list[int]) -> None:
    matches = [candidate(i, p, 1.0 - i / 100) for i, p in enumerate(prices)]
    bands = group_by_price_band(matches, per_band=100)
    placed = [m.product_id for b in bands for m in b.matches]
    assert sorted(placed) == list(range(len(prices)))
    edges = band_edges(prices, 2)
    assert edges == sorted(edges) and len(edges) <= 2


class FakeIndex:
    def __init__(self, vectors: dict[int, Vector]) -> None:
        self.vectors = vectors

    async def catch_up(self, repository: Any) -> None:
        return None

    async def search(self, vector: Vector, k: int) -> list[tuple[int, float]]:
        scored = sorted(((i, float(v @ vector)) for i, v in self.vectors.items()), key=lambda x: -x[1])
        return scored[:k]

    async def add(self, items: Sequence[StoredEmbedding]) -> None:
        return None


class FakeVision:
    """Images 1..4; image 4 is shown by product 40 (archived): not visible."""

    def __init__(self, links: dict[int, list[int]]) -> None:
        self.links = links

    async def visible_candidates(self, similar: dict[int, float]) -> list[Candidate]:
        return [
            Candidate(product_id, None, image_id, similarity, Money(1000, "EUR"))
            for image_id, similarity in similar.items()
            for product_id in self.links.get(image_id, [])
        ]


class FakeUow:
    def __init__(self, vision: FakeVision) -> None:
        self.vision = vision


class FakeServices:
    def __init__(self, index: FakeIndex) -> None:
        self.visual_index = index


def unit(*values: float) -> Vector:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


async def test_a_product_appears_once_by_its_best_image_and_hidden_ones_never() -> None:
    index = FakeIndex({1: unit(1, 0, 0), 2: unit(0.9, 0.1, 0), 3: unit(0, 1, 0), 4: unit(1, 0.01, 0)})
    uow = FakeUow(FakeVision({1: [10], 2: [10, 20], 3: [30]}))  # image 4's product is not visible
    found = await nearest_products(uow, FakeServices(index), [unit(1, 0, 0)])  # type: ignore[arg-type]
    assert [c.product_id for c in found] == [10, 20]  # 30 is below the similarity floor
    assert found[0].image_id == 1 and found[0].similarity > found[1].similarity
    excluded = await nearest_products(uow, FakeServices(index), [unit(1, 0, 0)], exclude=frozenset({10}))  # type: ignore[arg-type]
    assert [c.product_id for c in excluded] == [20]
