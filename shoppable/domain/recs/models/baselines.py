"""Non-personalized baselines: what any ranker has to beat."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.models.base import HistoryRecommender


def decayed_popularity(train: Interactions, now: float, half_life_days: float | None) -> np.ndarray:
    """Summed interaction weights per item, each halved every `half_life_days` of age (None: no decay)."""
    weight = train.weight.astype(np.float64)
    if half_life_days is not None:
        age_days = np.maximum(now - train.timestamp, 0.0) / SECONDS_PER_DAY
        weight = weight * np.exp2(-age_days / half_life_days)
    return np.bincount(train.item_idx, weights=weight, minlength=train.n_items)


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
    """The same ranking for everyone: items by time-decayed interaction weight."""

    name = "popularity"

    def __init__(self, half_life_days: float | None = 14.0) -> None:
        self.half_life_days = half_life_days

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self.popularity = decayed_popularity(train, now, self.half_life_days).astype(np.float32)

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        return np.broadcast_to(self.popularity, (histories.shape[0], self.n_items)).copy()
