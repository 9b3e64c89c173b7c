"""Latent-factor models: implicit-feedback ALS (Hu, Koren, Volinsky 2008) and EASE (Steck 2019)."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from shoppable.domain.recs.interactions import Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.models.base import HistoryRecommender


class ALSRecommender(HistoryRecommender):
    """ALS from the `implicit` library on BM25- or log-confidence-weighted interactions.

    BM25 is computed here rather than with `implicit.nearest_neighbours.bm25_weight` so that a new
    user's history can be weighted the same way at fold-in time.
    """

    name = "als"

    def __init__(
        self,
        factors: int = 64,
        regularization: float = 0.05,
        iterations: int = 15,
        alpha: float = 1.0,
        weighting: str = "bm25",
        bm25_k1: float = 100.0,
        bm25_b: float = 0.3,
        num_threads: int = 0,
        seed: int = 0,
    ) -> None:
        if weighting not in ("bm25", "confidence"):
            raise ValueError("weighting must be 'bm25' or 'confidence'")
        self.factors = factors
        self.regularization = regularization
        self.iterations = iterations
        self.alpha = alpha
        self.weighting = weighting
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.num_threads = num_threads
        self.seed = seed

    def _weigh(self, histories: sp.csr_matrix) -> sp.csr_matrix:
        weighted = sp.csr_matrix(histories, dtype=np.float32, copy=True)
        if self.weighting == "confidence":
            weighted.data = np.log1p(weighted.data)
            return weighted
        counts = np.diff(weighted.indptr).astype(np.float64)
        user_idf = np.maximum(np.log(max(self.n_items, 2)) - np.log1p(counts), 0.1)
        rows = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
        k1 = self.bm25_k1
        length_norm = self._item_length_norm[weighted.indices]
        weighted.data = (
            weighted.data * (k1 + 1.0) / (k1 * length_norm + weighted.data) * user_idf[rows]
        ).astype(np.float32)
        return weighted

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        item_lengths = np.diff(self._history.tocsc().indptr).astype(np.float64)
        average = item_lengths.mean() if len(item_lengths) and item_lengths.mean() > 0 else 1.0
        self._item_length_norm = (1.0 - self.bm25_b) + self.bm25_b * item_lengths / average
        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            num_threads=self.num_threads,
            random_state=self.seed,
        )
        with threadpool_limits(1, "blas"):
            model.fit(self._weigh(self._history), show_progress=False)
        self._model = model
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        if user_indices is not None:
            factors = self.user_factors[user_indices]
        else:
            with threadpool_limits(1, "blas"):
                factors = self._model.recalculate_user(np.arange(histories.shape[0]), self._weigh(histories))
        return factors @ self.item_factors.T

    def __getstate__(self) -> dict:
        # The implicit model object is only needed for fold-in; rebuilt from the factors on load.
        state = dict(self.__dict__)
        state.pop("_model", None)
        return state

    def __setstate__(self, state: dict) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        self.__dict__.update(state)
        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            num_threads=self.num_threads,
        )
        model.user_factors = self.user_factors
        model.item_factors = self.item_factors
        self._model = model


EASE_MAX_ITEMS = 20_000


class EASERecommender(HistoryRecommender):
    """Closed-form linear item-item model: B = I - P / diag(P), P = (X'X + lambda I)^-1.

    Needs a dense n_items x n_items inverse, so it refuses catalogues above `max_items`
    (20k items is already 3.2 GB of float64 and minutes of CPU); use rp3beta there.
    """

    name = "ease"

    def __init__(self, l2: float = 200.0, max_items: int = EASE_MAX_ITEMS) -> None:
        self.l2 = l2
        self.max_items = max_items

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        if self.n_items > self.max_items:
            raise ValueError(
                f"EASE needs a dense {self.n_items}x{self.n_items} inverse; refusing above "
                f"{self.max_items} items (use rp3beta or item_knn)"
            )
        binary = self._history.copy()
        binary.data[:] = 1.0
        gram = (binary.T @ binary).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        # In place where possible: at 20k items each dense copy is 3.2 GB.
        inverse = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
        del gram
        inverse /= -np.diag(inverse).copy()
        np.fill_diagonal(inverse, 0.0)
        self.weights = inverse.astype(np.float32)
        self._history = binary

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        histories = histories.copy()
        histories.data[:] = 1.0
        return np.asarray(histories @ self.weights, dtype=np.float32)
