"""The production ranker: a weighted blend of normalized signals, tuned on the most recent training days.

Signals, each scaled into [0, 1] so that weights are comparable:
- ease: the closed-form linear item model (Steck 2019) on the `ease_max_items` items with the most
  distinct users: a dense float32 matrix of that size squared, kept whole in the served model (6,000
  items: 144 MB; pruning it to each item's 200-1,000 largest weights cost 1-6% NDCG on MovieLens);
- co_engagement: RP3beta walk from the user's history;
- similar_items: cosine item-kNN from the same history (less popularity-debiased than RP3beta);
- creator / category / price_band: the share of the user's recent interactions that went to the item's
  creator, category and price band — these also reach items nobody has touched yet;
- popularity: distinct users (log-scaled), each counted by the age of their latest event;
- trending: distinct users of the last days only (a short half-life), for what is rising now;
- freshness: how recently the item was published (`created_at`, else first seen in training);
- repeat: the item's own weight in the user's history (only matters when seen items are not filtered).

A user's history row is the sum of their event weights per item, decayed by age with
`history_half_life_days`, then weighted with `history_weighting` (`recs.weighting`; by default
log: an item bought in many orders says more about the shopper than one bought once, with
diminishing returns, so a bulk quantity does not drown the rest). The tuning may switch to another of
`HISTORY_CHOICES` when it is clearly better on validation. Item-item models are built from binary
histories.

A user without history gets popularity, trending and freshness (every personal signal is zero). Blend
weights start from defaults; with `tune=True` the last `validation_days` of training are held out, the
signals are fitted on the days before, and weights are chosen by coordinate ascent on NDCG there, so
the blend is never worse on validation than its best single signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.item_meta import ItemMeta
from shoppable.domain.recs.models.base import HistoryRecommender, normalize_rows_by_max, top_k_rows
from shoppable.domain.recs.models.baselines import item_popularity
from shoppable.domain.recs.models.factorization import ease_weights, most_frequent_items
from shoppable.domain.recs.models.neighbourhood import cosine_weights, rp3beta_weights
from shoppable.domain.recs.weighting import check_weighting, weigh

SIGNALS = (
    "ease",
    "co_engagement",
    "similar_items",
    "creator",
    "category",
    "price_band",
    "popularity",
    "trending",
    "freshness",
    "repeat",
)
GROUP_SIGNALS = ("creator", "category", "price_band")
GLOBAL_SIGNALS = ("popularity", "trending", "freshness")

# The starting point of the tuning (and the blend when it cannot tune): EASE leads, the other
# signals refine. Chosen on the validation slices of the development sets, where EASE alone beat
# every blend that gave graph walks or popularity half its weight (MovieLens 0.1060 against 0.1029).
DEFAULT_BLEND = {
    "ease": 1.0,
    "co_engagement": 0.1,
    "similar_items": 0.25,
    "creator": 0.3,
    "category": 0.3,
    "price_band": 0.1,
    "popularity": 0.05,
    "trending": 0.05,
    "freshness": 0.05,
    "repeat": 0.0,
}

# The feed ranker's EASE is smaller than `recs eval`'s baseline (20k): it is fitted twice per training
# and served whole (6,000 items: a 144 MB float32 matrix in the model file and in each web process).
FEED_EASE_MAX_ITEMS = 6_000

# How a user's history may count, tried by the tuning: (weighting, half-life in days). On the
# validation slices of the development sets, log without decay (the default) was best for purchases
# (Instacart: EASE's NDCG@10 0.0457 against 0.0424 with binary histories) and synthetic data.
HISTORY_CHOICES: tuple[tuple[str, float | None], ...] = (("log", None), ("binary", None), ("log", 30.0))

# Relative validation gain a tuning step must bring to be taken (a quarter of it for a blend weight):
# smaller gains on a few hundred validation users are noise, and chasing them lost on the test period.
_MARGIN = 0.02

_WEIGHT_STEPS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5)


@dataclass
class TuningResult:
    weights: dict[str, float]
    validation_users: int
    ndcg_default: float
    ndcg_tuned: float
    ndcg_by_signal: dict[str, float]
    history_weighting: str = "log"
    history_half_life_days: float | None = None


class FeedRanker(HistoryRecommender):
    name = "feed"

    def __init__(
        self,
        weights: dict[str, float] | None = None,
        *,
        tune: bool = True,
        validation_days: float = 7.0,
        tune_users: int = 2000,
        tune_k: int = 10,
        tune_exclude_seen: bool = True,
        tune_history: bool = True,
        candidates_per_signal: int = 50,
        history_half_life_days: float | None = None,
        history_weighting: str = "log",
        popularity_half_life_days: float | None = None,
        trending_half_life_days: float = 7.0,
        freshness_half_life_days: float = 14.0,
        price_bands: int = 5,
        ease_l2: float = 200.0,
        ease_max_items: int = FEED_EASE_MAX_ITEMS,
        rp3_alpha: float = 0.6,
        rp3_beta: float = 0.5,
        neighbours: int = 100,
        knn_shrink: float = 10.0,
        block_size: int = 2048,
        seed: int = 0,
    ) -> None:
        unknown = set(weights or ()) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown blend signal(s): {', '.join(sorted(unknown))}")
        self.blend = {**DEFAULT_BLEND, **(weights or {})}
        self.tune = tune
        self.validation_days = validation_days
        self.tune_users = tune_users
        self.tune_k = tune_k
        self.tune_exclude_seen = tune_exclude_seen
        self.tune_history = tune_history
        self.candidates_per_signal = candidates_per_signal
        self.history_half_life_days = history_half_life_days
        self.history_weighting = check_weighting(history_weighting)
        self.popularity_half_life_days = popularity_half_life_days
        self.trending_half_life_days = trending_half_life_days
        self.freshness_half_life_days = freshness_half_life_days
        self.price_bands = price_bands
        self.ease_l2 = ease_l2
        self.ease_max_items = ease_max_items
        self.rp3_alpha = rp3_alpha
        self.rp3_beta = rp3_beta
        self.neighbours = neighbours
        self.knn_shrink = knn_shrink
        self.block_size = block_size
        self.seed = seed
        self.tuning: TuningResult | None = None
        # Signals with a zero weight are not fitted, unless the blend is (or is fitted to be) tuned.
        self.fit_all_signals = tune

    def _untuned_copy(self) -> FeedRanker:
        return FeedRanker(
            self.blend,
            tune=False,
            history_half_life_days=self.history_half_life_days,
            history_weighting=self.history_weighting,
            popularity_half_life_days=self.popularity_half_life_days,
            trending_half_life_days=self.trending_half_life_days,
            freshness_half_life_days=self.freshness_half_life_days,
            price_bands=self.price_bands,
            ease_l2=self.ease_l2,
            ease_max_items=self.ease_max_items,
            rp3_alpha=self.rp3_alpha,
            rp3_beta=self.rp3_beta,
            neighbours=self.neighbours,
            knn_shrink=self.knn_shrink,
            block_size=self.block_size,
            seed=self.seed,
        ).fitting_all_signals()

    def fitting_all_signals(self) -> FeedRanker:
        self.fit_all_signals = True
        return self

    # -- fitting -----------------------------------------------------------------------------------

    def _fit(self, train: Interactions, meta: ItemMeta | None, now: float) -> None:
        if meta is None:
            meta = ItemMeta.empty(train.n_items)
        if meta.n_items != train.n_items:
            raise ValueError(f"item metadata covers {meta.n_items} items, the interactions {train.n_items}")
        if self.tune:
            self.tuning = self._tune(train, meta, now)
            if self.tuning is not None:
                self.blend = self.tuning.weights
                chosen = (self.tuning.history_weighting, self.tuning.history_half_life_days)
                if chosen != (self.history_weighting, self.history_half_life_days):
                    self.history_weighting, self.history_half_life_days = chosen
                    self._history = train.to_csr(half_life_days=self.history_half_life_days, now=now)
        self._fit_signals(train, meta, now)

    def _fit_signals(self, train: Interactions, meta: ItemMeta, now: float) -> None:
        n_items = train.n_items
        binary = weigh(train.to_csr(), "binary")
        if self.blend["co_engagement"] or self.fit_all_signals:
            self.co_weights = rp3beta_weights(
                binary, self.rp3_alpha, self.rp3_beta, self.neighbours, self.block_size
            )
        else:
            self.co_weights = sp.csr_matrix((n_items, n_items), dtype=np.float32)
        if self.blend["similar_items"] or self.fit_all_signals:
            self.similar_weights = cosine_weights(binary, self.neighbours, self.knn_shrink, self.block_size)
        else:
            self.similar_weights = sp.csr_matrix((n_items, n_items), dtype=np.float32)
        if self.blend["ease"] or self.fit_all_signals:
            self.ease_items = most_frequent_items(binary, self.ease_max_items)
            self.ease_matrix = ease_weights(binary[:, self.ease_items], self.ease_l2)
        else:
            self.ease_items = np.empty(0, dtype=np.int64)
            self.ease_matrix = np.zeros((0, 0), dtype=np.float32)
        self.popularity = _log_scaled(item_popularity(train, now, self.popularity_half_life_days))
        self.trending = _log_scaled(item_popularity(train, now, self.trending_half_life_days))

        published = meta.created_at.copy()
        first_seen = np.full(n_items, np.inf)
        np.minimum.at(first_seen, train.item_idx, train.timestamp)
        unknown = np.isnan(published)
        published[unknown] = first_seen[unknown]
        # Items published after `now` did not exist when the model was trained: no signal may use them,
        # or offline evaluation would learn from the future. The periodic retraining brings them in.
        self.unpublished = published > now
        age_days = np.maximum(now - published, 0.0) / SECONDS_PER_DAY
        freshness = np.where(np.isfinite(published), np.exp2(-age_days / self.freshness_half_life_days), 0.0)
        freshness[self.unpublished] = 0.0
        self.freshness = freshness.astype(np.float32)

        creator = np.where(self.unpublished, -1, meta.creator)
        category = np.where(self.unpublished, -1, meta.category)
        bands = np.full(n_items, -1, dtype=np.int32)
        known_price = np.isfinite(meta.price) & ~self.unpublished
        if known_price.any() and self.price_bands > 1:
            edges = np.quantile(meta.price[known_price], np.linspace(0, 1, self.price_bands + 1)[1:-1])
            bands[known_price] = np.searchsorted(edges, meta.price[known_price], side="right")
        self.groups = {
            "creator": _group_matrix(creator, len(meta.creators)),
            "category": _group_matrix(category, len(meta.categories)),
            "price_band": _group_matrix(bands, self.price_bands),
        }
        # Column of each item in the padded share matrix; the padding column (always 0) is "unknown".
        self.group_of_item = {
            "creator": np.where(creator >= 0, creator, len(meta.creators)),
            "category": np.where(category >= 0, category, len(meta.categories)),
            "price_band": np.where(bands >= 0, bands, self.price_bands),
        }

    # -- scoring -----------------------------------------------------------------------------------

    def signal(self, name: str, histories: sp.csr_matrix) -> np.ndarray:
        """One signal for these (weighted) history rows: (rows, n_items), or (n_items,) for global ones."""
        if name == "popularity":
            return self.popularity
        if name == "trending":
            return self.trending
        if name == "freshness":
            return self.freshness
        if name in GROUP_SIGNALS:
            return self._group_share(histories, name)
        if name == "ease":
            scores = np.zeros((histories.shape[0], self.n_items), dtype=np.float32)
            if len(self.ease_items):
                kept = sp.csr_matrix(histories[:, self.ease_items], dtype=np.float32)
                scores[:, self.ease_items] = np.maximum(np.asarray(kept @ self.ease_matrix), 0.0)
            return normalize_rows_by_max(scores)
        if name == "co_engagement":
            matrix = self.co_weights
        elif name == "similar_items":
            matrix = self.similar_weights
        elif name == "repeat":
            return normalize_rows_by_max(np.asarray(histories.toarray(), dtype=np.float32))
        else:
            raise ValueError(f"unknown signal {name!r}")
        return normalize_rows_by_max(np.asarray((histories @ matrix).toarray(), dtype=np.float32))

    def signals(self, histories: sp.csr_matrix) -> dict[str, np.ndarray]:
        """Every signal for these (weighted) history rows."""
        return {name: self.signal(name, histories) for name in SIGNALS}

    def _group_share(self, histories: sp.csr_matrix, name: str) -> np.ndarray:
        totals = np.asarray((histories @ self.groups[name]).toarray(), dtype=np.float32)
        sums = totals.sum(axis=1, keepdims=True)
        np.divide(totals, sums, out=totals, where=sums > 0)
        padded = np.concatenate([totals, np.zeros((totals.shape[0], 1), dtype=np.float32)], axis=1)
        return padded[:, self.group_of_item[name]]

    def _score_rows(self, histories: sp.csr_matrix, user_indices: np.ndarray | None) -> np.ndarray:
        scores = np.zeros((histories.shape[0], self.n_items), dtype=np.float32)
        for name in SIGNALS:
            weight = self.blend[name]
            if weight:
                scores += np.float32(weight) * self.signal(name, histories)
        return scores

    # -- tuning ------------------------------------------------------------------------------------

    def _tune(self, train: Interactions, meta: ItemMeta, now: float) -> TuningResult | None:
        cutoff = now - self.validation_days * SECONDS_PER_DAY
        before = train.timestamp < cutoff
        if before.all() or not before.any():
            return None
        earlier = train.subset(before)
        inner = self._untuned_copy()
        inner.fit(earlier, meta, cutoff)
        held = train.subset(~before).to_csr()
        held.data[:] = 1.0
        seen = weigh(inner._history, "binary")
        relevant = held - held.multiply(seen) if self.tune_exclude_seen else held
        relevant = sp.csr_matrix(relevant)
        relevant.eliminate_zeros()
        eligible = np.flatnonzero((np.diff(seen.indptr) > 0) & (np.diff(relevant.indptr) > 0))
        if len(eligible) == 0:
            return None
        rng = np.random.default_rng(self.seed)
        if len(eligible) > self.tune_users:
            eligible = np.sort(rng.choice(eligible, self.tune_users, replace=False))
        own = (self.history_weighting, self.history_half_life_days)
        choices = [own, *(c for c in HISTORY_CHOICES if c != own)] if self.tune_history else [own]
        best_result: TuningResult | None = None
        for weighting, half_life in choices:
            histories = weigh(earlier.to_csr(half_life_days=half_life, now=cutoff), weighting)
            table = _candidate_table(
                inner,
                histories,
                eligible,
                seen if self.tune_exclude_seen else None,
                relevant,
                self.candidates_per_signal,
            )
            result = self._ascend(table)
            result.validation_users = len(eligible)
            result.history_weighting, result.history_half_life_days = weighting, half_life
            # Another way of counting history must win clearly: the validation slice is small.
            if best_result is None or result.ndcg_tuned > best_result.ndcg_tuned * (1 + _MARGIN):
                best_result = result
        return best_result

    def _ascend(self, table: _CandidateTable) -> TuningResult:
        """Blend weights by coordinate ascent on NDCG, from the defaults or the best single signal."""
        default = np.array([self.blend[name] for name in SIGNALS])
        by_signal = {
            name: table.ndcg(np.eye(len(SIGNALS))[position], self.tune_k)
            for position, name in enumerate(SIGNALS)
        }
        best, best_ndcg = default.copy(), table.ndcg(default, self.tune_k)
        default_ndcg = best_ndcg
        top_signal = max(by_signal, key=lambda name: by_signal[name])
        if by_signal[top_signal] > best_ndcg:
            best, best_ndcg = np.eye(len(SIGNALS))[SIGNALS.index(top_signal)], by_signal[top_signal]
        for _ in range(3):
            improved = False
            for position in range(len(SIGNALS)):
                for step in _WEIGHT_STEPS:
                    trial = best.copy()
                    trial[position] = step
                    if not trial.any():
                        continue
                    value = table.ndcg(trial, self.tune_k)
                    if value > best_ndcg * (1 + _MARGIN / 4) + 1e-9:
                        best, best_ndcg, improved = trial, value, True
            if not improved:
                break
        return TuningResult(
            weights={name: float(best[position]) for position, name in enumerate(SIGNALS)},
            validation_users=0,
            ndcg_default=default_ndcg,
            ndcg_tuned=best_ndcg,
            ndcg_by_signal=by_signal,
        )


def _log_scaled(counts: np.ndarray) -> np.ndarray:
    peak = np.log1p(counts.max()) if len(counts) else 0.0
    return (np.log1p(counts) / peak if peak > 0 else counts).astype(np.float32)


def _group_matrix(group_of_item: np.ndarray, n_groups: int) -> sp.csr_matrix:
    known = np.flatnonzero(group_of_item >= 0)
    return sp.csr_matrix(
        (np.ones(len(known), dtype=np.float32), (known, group_of_item[known])),
        shape=(len(group_of_item), max(n_groups, 1)),
    )


@dataclass
class _CandidateTable:
    """Signal values on each validation user's candidate items (union of every signal's top items)."""

    values: np.ndarray  # (users, candidates, signals)
    valid: np.ndarray  # (users, candidates) bool
    relevant: np.ndarray  # (users, candidates) bool
    n_relevant: np.ndarray  # (users,)

    def ndcg(self, weights: np.ndarray, k: int) -> float:
        blended = self.values @ weights.astype(np.float32)
        blended[~self.valid] = -np.inf
        top = top_k_rows(blended, k)
        hits = np.take_along_axis(self.relevant, top, axis=1) & np.isfinite(
            np.take_along_axis(blended, top, axis=1)
        )
        discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
        dcg = hits @ discounts
        ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[np.minimum(self.n_relevant, k) - 1]
        return float(np.mean(dcg / ideal))


def _candidate_table(
    model: FeedRanker,
    histories: sp.csr_matrix,
    users: np.ndarray,
    seen: sp.csr_matrix | None,
    relevant: sp.csr_matrix,
    per_signal: int,
) -> _CandidateTable:
    batch = max(1, int(20_000_000 // (max(model.n_items, 1) * len(SIGNALS))))
    values, valid, hits, counts = [], [], [], []
    for start in range(0, len(users), batch):
        rows = users[start : start + batch]
        signals = model.signals(histories[rows])
        seen_mask = seen[rows].toarray() > 0 if seen is not None else None
        dense = {}
        candidates = []
        for name in SIGNALS:
            value = np.broadcast_to(signals[name], (len(rows), model.n_items)).astype(np.float32)
            dense[name] = value
            ranked = value.copy()
            if seen_mask is not None:
                ranked[seen_mask] = -np.inf
            candidates.append(top_k_rows(ranked, per_signal))
        union = np.sort(np.concatenate(candidates, axis=1), axis=1)
        fresh = np.ones(union.shape, dtype=bool)
        fresh[:, 1:] = union[:, 1:] != union[:, :-1]
        if seen_mask is not None:
            fresh &= ~np.take_along_axis(seen_mask, union, axis=1)
        values.append(np.stack([np.take_along_axis(dense[name], union, axis=1) for name in SIGNALS], axis=2))
        valid.append(fresh)
        relevant_rows = relevant[rows]
        hits.append(np.take_along_axis(relevant_rows.toarray() > 0, union, axis=1) & fresh)
        counts.append(np.diff(relevant_rows.indptr))
    return _CandidateTable(
        np.concatenate(values), np.concatenate(valid), np.concatenate(hits), np.concatenate(counts)
    )
