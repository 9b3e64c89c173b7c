"""Item-item models: a sparse item x item weight matrix W, and scores = history @ W.

W is built a block of items at a time and pruned to each item's top-k neighbours before the next block,
so memory stays at O(items * k) however dense co-occurrence is (100k items fit in a few hundred MB).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.models.base import HistoryRecommender
from shoppable.domain.recs.weighting import check_weighting, weigh

BlockTransform = Callable[[sp.csr_matrix, int, int], sp.csr_matrix]


# Dense rows per selection pass in keep_top_k_per_row (cells: 2^24 float32 is 64 MB).
_TOP_K_CELLS = 1 << 24


def keep_top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """The k largest entries of each row (ties broken by column), everything else dropped.

    Each row longer than k is cut at its k-th largest value, found by a partial sort of the rows laid
    out densely a few at a time (linear in the row's width); entries equal to that value are kept by
    column until the row has k. A full sort of every entry (lexsort) took 80% of the feed's fit on
    a grocery log whose households buy hundreds of products each (Complete Journey, 68,000 items:
    item x item blocks of tens of millions of entries).
    """
    matrix = sp.csr_matrix(matrix)
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    if len(lengths) == 0 or lengths.max() <= k:
        return matrix
    if k <= 0:
        return sp.csr_matrix(matrix.shape, dtype=matrix.dtype)
    keep = np.ones(matrix.nnz, dtype=bool)
    n_rows, n_cols = matrix.shape
    step = max(1, _TOP_K_CELLS // max(n_cols, 1))
    for first in range(0, n_rows, step):
        last = min(first + step, n_rows)
        if lengths[first:last].max() <= k:
            continue
        begin, end = matrix.indptr[first], matrix.indptr[last]
        local = np.repeat(np.arange(last - first), lengths[first:last])
        data = matrix.data[begin:end]
        # Negated, so that the selection looks for the k smallest (twice as fast as the n - k largest).
        negated = np.full((last - first, n_cols), np.inf, dtype=np.result_type(data.dtype, np.float32))
        negated[local, matrix.indices[begin:end]] = -data
        # The k-th largest value of each row (-inf in a row of k entries or fewer: all are kept).
        kth = -np.partition(negated, k - 1, axis=1)[:, k - 1][local]
        chosen = data > kth
        tied = np.flatnonzero(data == kth)
        room = k - np.bincount(local[chosen], minlength=last - first)
        tied_rows = local[tied]
        rank = np.arange(len(tied)) - np.searchsorted(tied_rows, tied_rows, side="left")
        chosen[tied[rank < room[tied_rows]]] = True
        keep[begin:end] = chosen
    kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    indptr = kept_before[matrix.indptr]
    return sp.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def blockwise_item_item(
    left: sp.csr_matrix,
    right: sp.csr_matrix,
    k: int,
    transform: BlockTransform,
    block_size: int = 2048,
) -> sp.csr_matrix:
    """top_k_rows(transform(left @ right)) without materializing the full product.

    `left` is items x users, `right` users x items; `transform(block, start, stop)` rescales the block of
    rows start:stop. Self-similarity (the diagonal) is removed.
    """
    n_items = left.shape[0]
    blocks = []
    for start in range(0, n_items, block_size):
        stop = min(start + block_size, n_items)
        block = sp.csr_matrix(left[start:stop] @ right, dtype=np.float32)
        block = transform(block, start, stop)
        rows = np.repeat(np.arange(stop - start), np.diff(block.indptr))
        block.data[block.indices == rows + start] = 0.0
        block.eliminate_zeros()
        blocks.append(keep_top_k_per_row(block, k))
    if not blocks:
        return sp.csr_matrix((0, right.shape[1]), dtype=np.float32)
    return sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)


def _row_normalize(matrix: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    inverse = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(inverse) @ matrix, dtype=np.float32)


class ItemItemRecommender(HistoryRecommender):
    weights: sp.csr_matrix

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        return np.asarray((histories @ self.weights).toarray(), dtype=np.float32)


class ItemKNNRecommender(ItemItemRecommender):
    """Cosine similarity of items' co-occurrence (binary user vectors), shrunk, top-k neighbours."""

    name = "item_knn"

    def __init__(
        self,
        neighbours: int = 100,
        shrink: float = 10.0,
        block_size: int = 2048,
        history_weighting: str = "binary",
    ) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.block_size = block_size
        self.history_weighting = check_weighting(history_weighting)

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self.weights = cosine_weights(self._history, self.neighbours, self.shrink, self.block_size)


def cosine_weights(
    user_items: sp.csr_matrix, neighbours: int, shrink: float, block_size: int = 2048
) -> sp.csr_matrix:
    """Shrunk cosine similarity of items' binary user vectors, each item's top neighbours kept."""
    binary = sp.csr_matrix(user_items, dtype=np.float32, copy=True)
    binary.eliminate_zeros()
    binary.data[:] = 1.0
    norms = np.sqrt(np.asarray(binary.sum(axis=0)).ravel()).astype(np.float32)

    def cosine(block: sp.csr_matrix, start: int, stop: int) -> sp.csr_matrix:
        rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
        block.data /= norms[rows] * norms[block.indices] + shrink + 1e-9
        return block

    return blockwise_item_item(binary.T.tocsr(), binary, neighbours, cosine, block_size)


class RP3BetaRecommender(ItemItemRecommender):
    """Three-step random walk item -> user -> item, its end point penalized by popularity^beta.

    Paudel et al. 2017; a strong, cheap baseline on implicit data (Dacrema et al. 2019).
    """

    name = "rp3beta"

    def __init__(
        self,
        alpha: float = 0.6,
        beta: float = 0.5,
        neighbours: int = 100,
        block_size: int = 2048,
        history_half_life_days: float | None = None,
        weighting: str = "binary",
        history_weighting: str = "binary",
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.neighbours = neighbours
        self.block_size = block_size
        self.history_half_life_days = history_half_life_days
        # `weighting`: how cells count in the walk's graph; `history_weighting`: in the user's history.
        self.weighting = check_weighting(weighting)
        self.history_weighting = check_weighting(history_weighting)

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        self.weights = rp3beta_weights(
            weigh(train.to_csr(), self.weighting), self.alpha, self.beta, self.neighbours, self.block_size
        )


def rp3beta_weights(
    user_items: sp.csr_matrix, alpha: float, beta: float, neighbours: int, block_size: int = 2048
) -> sp.csr_matrix:
    user_items = sp.csr_matrix(user_items, dtype=np.float32)
    user_to_item = _row_normalize(user_items)
    item_to_user = _row_normalize(user_items.T.tocsr())
    if alpha != 1.0:
        user_to_item.data **= alpha
        item_to_user.data **= alpha
    popularity = np.asarray((user_items > 0).sum(axis=0)).ravel().astype(np.float64)
    penalty = np.divide(1.0, popularity**beta, out=np.zeros_like(popularity), where=popularity > 0)
    penalty = penalty.astype(np.float32)

    def penalize(block: sp.csr_matrix, start: int, stop: int) -> sp.csr_matrix:
        block.data *= penalty[block.indices]
        return block

    return blockwise_item_item(item_to_user, user_to_item, neighbours, penalize, block_size)
