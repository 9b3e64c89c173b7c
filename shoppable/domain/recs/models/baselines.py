"""Non-personalized baselines: what any ranker has to beat."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.models.base import HistoryRecommender
from shoppable.domain.recs.weighting import apply_weighting, check_weighting


def item_popularity(
    train: Interactions, now: float, half_life_days: float | None, weighting: str = "binary"
) -> np.ndarray:
    """Per item: the sum over its users of the user's (decayed) summed weight, with `weighting` applied.

    With `binary` this is the number of distinct users; with a half-life each user counts by the age
    of their latest event on the item (binary) or by their decayed summed weight (other weightings).
    """
    check_weighting(weighting)
    if len(train) == 0:
        return np.zeros(train.n_items)
    decay = np.ones(len(train))
    if half_life_days is not None:
        age_days = np.maximum(now - train.timestamp, 0.0) / SECONDS_PER_DAY
        decay = np.exp2(-age_days / half_life_days)
    if weighting == "binary":
        # Each (user, item) once, by its most recent event.
        cell = train.user_idx.astype(np.int64) * train.n_items + train.item_idx
        order = np.lexsort((decay, cell))
        last = np.ones(len(order), dtype=bool)
        last[:-1] = cell[order][1:] != cell[order][:-1]
        chosen = order[last]
        return np.bincount(train.item_idx[chosen], weights=decay[chosen], minlength=train.n_items)
    cells = sp.csr_matrix(
        (train.weight.astype(np.float64) * decay, (train.user_idx, train.item_idx)),
        shape=(train.n_users, train.n_items),
    )
    cells.sum_duplicates()
    weighted = apply_weighting(cells.data, weighting).astype(np.float64)
    return np.bincount(cells.indices, weights=weighted, minlength=train.n_items)


class RandomRecommender(HistoryRecommender):
    """Uniformly random scores; reproducible for a given seed and call order."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self._rng = np.random.default_rng(self.seed)

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        return self._rng.random((histories.shape[0], self.n_items), dtype=np.float32)


class PopularityRecommender(HistoryRecommender):
    """The same ranking for everyone: items by how many distinct users interacted with them.

    `weighting` other than `binary` counts each user's summed weight instead (`raw` is the sum of
    quantities, which on purchase data ranks bulk items first); a half-life fades old interactions.
    """

    name = "popularity"

    def __init__(self, half_life_days: float | None = None, weighting: str = "binary") -> None:
        self.half_life_days = half_life_days
        self.weighting = check_weighting(weighting)

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self.popularity = item_popularity(train, now, self.half_life_days, self.weighting).astype(np.float32)

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        return np.broadcast_to(self.popularity, (histories.shape[0], self.n_items)).copy()
