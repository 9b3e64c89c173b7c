"""What every recommender offers, and the shared plumbing for models that score from a user's history."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.weighting import apply_weighting, weigh


@runtime_checkable
class Recommender(Protocol):
    name: str

    def fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        """Learn from interactions before `now` (epoch seconds); `meta` is optional item metadata."""

    def score(self, user_indices: np.ndarray) -> np.ndarray:
        """Dense scores, shape (len(user_indices), n_items); higher is better."""

    def score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        """Dense scores for users described only by their history rows (fold-in), shape (rows, n_items)."""

    def recommend(self, user_idx: int, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """Top-k item indices for a training user, best first."""

    def recommend_for_history(
        self,
        item_indices: np.ndarray,
        weights: np.ndarray | None = None,
        k: int = 10,
        exclude: np.ndarray | None = None,
    ) -> np.ndarray:
        """Top-k item indices for a user unknown at training time, from a few events (or none)."""


def top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k best finite scores of a 1-d array, best first; ties go to the lower index."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    if exclude is not None and len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) == 0 or k <= 0:
        return np.empty(0, dtype=np.int64)
    candidates = scores[finite]
    if len(finite) > k:
        keep = np.argpartition(-candidates, k - 1)[:k]
        # argpartition is arbitrary among equal scores at the boundary: widen to every tie, then sort.
        threshold = candidates[keep].min()
        keep = np.flatnonzero(candidates >= threshold)
        finite, candidates = finite[keep], candidates[keep]
    order = np.lexsort((finite, -candidates))[:k]
    return finite[order]


def top_k_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest values of each row, best first, shape (rows, min(k, columns))."""
    n_columns = scores.shape[1]
    k = min(k, n_columns)
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    if k < n_columns:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(n_columns), (scores.shape[0], 1))
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def history_matrix(item_indices: np.ndarray, weights: np.ndarray | None, n_items: int) -> sp.csr_matrix:
    """One history row from item indices (repeats add up)."""
    item_indices = np.asarray(item_indices, dtype=np.int64).ravel()
    if len(item_indices) and (item_indices.min() < 0 or item_indices.max() >= n_items):
        raise ValueError("item index out of range")
    data = (
        np.ones(len(item_indices), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
    )
    if len(data) != len(item_indices):
        raise ValueError("weights must have one entry per item index")
    row = sp.csr_matrix(
        (data, (np.zeros(len(item_indices), dtype=np.int64), item_indices)),
        shape=(1, n_items),
        dtype=np.float32,
    )
    row.sum_duplicates()
    return row


class HistoryRecommender:
    """A model whose scores for a user depend only on that user's interaction history.

    Training users are scored from the history rows remembered at fit time; unknown users are folded in
    by scoring the history they bring. History rows hold summed (decayed) event weights; `_score_rows`
    receives them with `history_weighting` applied (see `recs.weighting`). Subclasses implement `_fit`
    and `_score_rows`.
    """

    name = "history"
    # Half-life (days) applied to the remembered history rows; None keeps raw summed weights.
    history_half_life_days: float | None = None
    # How a user's summed weight on an item counts when scoring from the history (recs.weighting).
    history_weighting: str = "log"
    # Recent events count up to 1 + boost times as much in the remembered history (Interactions.to_csr).
    history_recency_boost: float = 0.0
    history_recency_half_life_days: float = 14.0
    # How each event's own weight counts before a history row sums them (recs.weighting): `raw` keeps
    # quantities; `binary` counts events, so a bulk order counts as one purchase.
    history_event_weighting: str = "raw"

    n_users: int = 0
    n_items: int = 0
    now: float = 0.0
    _history: sp.csr_matrix

    def fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self.n_users, self.n_items, self.now = train.n_users, train.n_items, float(now)
        self._history = self._history_rows(train, now)
        self._fit(train, meta, now)

    def _history_rows(self, train: Interactions, now: float) -> sp.csr_matrix:
        return train.to_csr(
            half_life_days=self.history_half_life_days,
            now=now,
            recency_boost=self.history_recency_boost,
            recency_half_life_days=self.history_recency_half_life_days,
            event_weighting=self.history_event_weighting,
        )

    def event_weights(self, weights: np.ndarray) -> np.ndarray:
        """Events' weights as a history row counts them (`history_event_weighting`), for fold-in."""
        if self.history_event_weighting == "raw":
            return weights
        return apply_weighting(np.asarray(weights, dtype=np.float32), self.history_event_weighting)

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        raise NotImplementedError

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        raise NotImplementedError

    def history(self, user_indices: np.ndarray) -> sp.csr_matrix:
        return self._history[np.asarray(user_indices, dtype=np.int64)]

    def score(self, user_indices: np.ndarray) -> np.ndarray:
        users = np.asarray(user_indices, dtype=np.int64)
        return self._score_rows(weigh(self._history[users], self.history_weighting), users)

    def score_histories(self, histories: sp.csr_matrix) -> np.ndarray:
        histories = sp.csr_matrix(histories, dtype=np.float32)
        if histories.shape[1] != self.n_items:
            raise ValueError(f"history rows have {histories.shape[1]} items, the model has {self.n_items}")
        return self._score_rows(weigh(histories, self.history_weighting), None)

    def recommend(self, user_idx: int, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        return top_k(self.score(np.array([user_idx]))[0], k, exclude)

    def recommend_for_history(
        self,
        item_indices: np.ndarray,
        weights: np.ndarray | None = None,
        k: int = 10,
        exclude: np.ndarray | None = None,
    ) -> np.ndarray:
        if weights is not None:
            weights = self.event_weights(np.asarray(weights, dtype=np.float32))
        row = history_matrix(item_indices, weights, self.n_items)
        return top_k(self.score_histories(row)[0], k, exclude)


def normalize_rows_by_max(scores: np.ndarray) -> np.ndarray:
    """Scale each row into [0, 1] by its maximum (rows without a positive value stay as they are)."""
    peak = scores.max(axis=1, keepdims=True) if scores.shape[1] else np.zeros((scores.shape[0], 1))
    np.divide(scores, peak, out=scores, where=peak > 0)
    return scores
