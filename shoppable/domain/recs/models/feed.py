"""The production ranker: a weighted blend of normalized signals, tuned on the most recent training days.

Signals, each scaled into [0, 1] so that weights are comparable:
- ease: the closed-form linear item model (Steck 2019; `ease_dropout` > 0 makes it EDLAE, Steck 2020)
  on the `ease_max_items` items with the most distinct users: a dense float32 matrix of that size
  squared, kept whole in the served model (6,000 items: 144 MB; pruning it to each item's 200-1,000
  largest weights cost 1-6% NDCG on MovieLens);
- co_engagement: RP3beta walk from the user's history;
- similar_items: cosine item-kNN from the same history (less popularity-debiased than RP3beta);
- creator / category / price_band: the share of the user's recent interactions that went to the item's
  creator, category and price band — these also reach items nobody has touched yet;
- popularity: distinct users (log-scaled), each counted by the age of their latest event;
- trending: distinct users of the last days only (a short half-life), for what is rising now;
- freshness: how recently the item was published (`created_at`, else first seen in training);
- repeat: the item's own weight in the user's history (only matters when seen items are not filtered).

A user's history row is the sum of their event weights per item (each event's weight first counted
by `history_event_weighting`: by default 1 per event, so an order counts once whatever its quantity),
decayed by age with
`history_half_life_days` (none by default), each event's weight multiplied by 1 +
`history_recency_boost` when new (the extra halving every `history_recency_half_life_days`), then
weighted with `history_weighting` (`recs.weighting`; by default log: an item bought in many orders says more about the shopper than one bought once, with
diminishing returns, so a bulk quantity does not drown the rest). With `tune_history=True` the
tuning may switch to another of `HISTORY_CHOICES` when it is clearly better on validation (off by
default: that choice did not carry over to the next period). Item-item models are built from
binary histories.

A user without history gets popularity, trending and freshness (every personal signal is zero). Blend
weights start from defaults; with `tune=True` the signals are fitted on the training data before the
last two `validation_days` windows (one window when the data is too short), and weights are chosen
by coordinate ascent on NDCG over both windows' users: a step is taken only when it gains overall and
loses in neither window (in neither random half of the users, with one window), so the blend is
never worse on validation than the defaults and does not chase one period's luck.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
# Covering every item did not help: on Instacart (13,566 items with buyers) the feed with a full EASE
# scored NDCG@10 0.0407 on validation and 0.0449 on test against 0.0426 and 0.0451 with 6,000 items
# (binary histories; bench/recs_variants.py), for 3.5x the fit time and 2.3x the memory.
FEED_EASE_MAX_ITEMS = 6_000

# How a user's history may count: (weighting, half-life in days), tried by the tuning with
# `tune_history=True`. On the validation slices of the development sets, log without decay (the
# default) was best on all three (Instacart: EASE's NDCG@10 0.0457 against 0.0424 from binary
# histories). It is not tuned by default: on Instacart the two windows before the validation period
# favoured binary histories, which then lost 10% on it (0.0422 against 0.0467).
HISTORY_CHOICES: tuple[tuple[str, float | None], ...] = (("log", None), ("binary", None), ("log", 30.0))

# Relative validation gain a tuning step must bring to be taken (a quarter of it for a blend weight):
# smaller gains on a few hundred validation users are noise, and chasing them lost on the test period.
_MARGIN = 0.02

# Recency of the user's history as scoring input: each event counts 1 + boost * 2^(-age / half-life)
# before the log weighting (see Interactions.to_csr), so the last weeks lead without erasing older
# purchases. On the validation slices (feed untuned, NDCG@10): MovieLens 0.1084 against 0.1063
# without it (boost 3: 0.1097), Instacart 0.0467 either way (boost 3: 0.0461). A plain half-life
# decay of the history instead lost on Instacart (7 days 0.0398, 21: 0.0406, 60: 0.0445).
HISTORY_RECENCY_BOOST = 1.0
HISTORY_RECENCY_HALF_LIFE_DAYS = 14.0

# How each event's weight counts before a user's history sums them: `binary` counts events (the
# orders in which a product was bought), so a quantity does not decide how much a purchase says. On
# purchase logs quantities span orders of magnitude; on the Instacart sample with heavy-tailed
# quantities added to its order lines (each product a log-normal pack size, sigma 1.5, times a
# log-normal per line, sigma 0.7; median 1, 99th percentile 56), the untuned feed scored NDCG@10
# 0.0458 with `binary` against 0.0442 with `raw`, 0.0446 with `log`, 0.0444 with `cap:5` and
# 0.0452 with `cap:2` (bench/recs_windows.py instacart 14 3 ... --quantities), over three 14-day windows
# before the test period (1,169 user-windows; window 1 alone 0.0467 against 0.0435). Where every
# weight is 1 (Instacart) nothing changes; MovieLens (weights are ratings) 0.1060 against 0.1068
# (-0.8% +- 0.9%, two windows), synthetic 0.0943 against 0.0941. The app's own events have weights by
# type (view 1 ... order 8), not quantities: its training job keeps them `raw`
# (shoppable.domain.feed.training.RANKER_PARAMS).
HISTORY_EVENT_WEIGHTING = "binary"

# EDLAE's dropout for the feed's EASE: 0 (plain EASE). Untuned feed, paired over several windows
# before the test period: 0.1 gave Instacart 0.0459 against 0.0458 (three windows; 0.0466 against
# 0.0467 on the validation slice), MovieLens 0.1071 against 0.1068, synthetic 0.0943 against 0.0941
# (two windows each): within the noise. 0.25: Instacart 0.0458; 0.2 or 0.33 with l2 100: 0.0432 and
# 0.0436 on the validation slice.
EASE_DROPOUT = 0.0

# A tuning step must also gain this many standard errors of the users' paired NDCG differences: on
# the Instacart validation slice every blend tuned without this test did worse on the next period
# than the defaults (0.0425-0.0451 against 0.0467).
_STANDARD_ERRORS = 2.0

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
    user_ndcg: np.ndarray = field(default_factory=lambda: np.empty(0))


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
        tune_history: bool = False,
        candidates_per_signal: int = 50,
        history_half_life_days: float | None = None,
        history_weighting: str = "log",
        history_event_weighting: str = HISTORY_EVENT_WEIGHTING,
        history_recency_boost: float = HISTORY_RECENCY_BOOST,
        history_recency_half_life_days: float = HISTORY_RECENCY_HALF_LIFE_DAYS,
        popularity_half_life_days: float | None = None,
        trending_half_life_days: float = 7.0,
        freshness_half_life_days: float = 14.0,
        price_bands: int = 5,
        ease_l2: float = 200.0,
        ease_max_items: int = FEED_EASE_MAX_ITEMS,
        ease_dropout: float = EASE_DROPOUT,
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
        self.history_event_weighting = check_weighting(history_event_weighting)
        if history_recency_boost < 0 or history_recency_half_life_days <= 0:
            raise ValueError("history_recency_boost must be >= 0 and its half-life positive")
        self.history_recency_boost = history_recency_boost
        self.history_recency_half_life_days = history_recency_half_life_days
        self.popularity_half_life_days = popularity_half_life_days
        self.trending_half_life_days = trending_half_life_days
        self.freshness_half_life_days = freshness_half_life_days
        self.price_bands = price_bands
        self.ease_l2 = ease_l2
        self.ease_max_items = ease_max_items
        if not 0.0 <= ease_dropout < 1.0:
            raise ValueError("ease_dropout must be in [0, 1)")
        self.ease_dropout = ease_dropout
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
            history_event_weighting=self.history_event_weighting,
            history_recency_boost=self.history_recency_boost,
            history_recency_half_life_days=self.history_recency_half_life_days,
            popularity_half_life_days=self.popularity_half_life_days,
            trending_half_life_days=self.trending_half_life_days,
            freshness_half_life_days=self.freshness_half_life_days,
            price_bands=self.price_bands,
            ease_l2=self.ease_l2,
            ease_max_items=self.ease_max_items,
            ease_dropout=self.ease_dropout,
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
                    self._history = self._history_rows(train, now)
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
            self.ease_matrix = ease_weights(binary[:, self.ease_items], self.ease_l2, self.ease_dropout)
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
        span = self.validation_days * SECONDS_PER_DAY
        # Two validation windows when the data reaches back far enough: the signals are fitted before
        # both, and a blend must do better on each, since weights that win on one period only (a
        # few hundred users' lists) did worse on the next on the development sets.
        for n_windows in (2, 1):
            fit_cutoff = now - n_windows * span
            before = train.timestamp < fit_cutoff
            if before.any() and not before.all():
                break
        else:
            return None
        inner = self._untuned_copy()
        inner.fit(train.subset(before), meta, fit_cutoff)
        windows = []
        rng = np.random.default_rng(self.seed)
        for window in range(n_windows):
            start = fit_cutoff + window * span
            stop = start + span if window < n_windows - 1 else np.inf
            past = train.subset(train.timestamp < start)
            held = train.subset((train.timestamp >= start) & (train.timestamp < stop)).to_csr()
            held.data[:] = 1.0
            seen = weigh(past.to_csr(), "binary")
            relevant = sp.csr_matrix(held - held.multiply(seen) if self.tune_exclude_seen else held)
            relevant.eliminate_zeros()
            eligible = np.flatnonzero((np.diff(seen.indptr) > 0) & (np.diff(relevant.indptr) > 0))
            if len(eligible) > self.tune_users:
                eligible = np.sort(rng.choice(eligible, self.tune_users, replace=False))
            if len(eligible):
                windows.append((past, start, eligible, seen, relevant))
        if not windows:
            return None
        own = (self.history_weighting, self.history_half_life_days)
        choices = [own, *(c for c in HISTORY_CHOICES if c != own)] if self.tune_history else [own]
        parts = _Parts([len(window[2]) for window in windows], self.seed)
        best_result: TuningResult | None = None
        for weighting, half_life in choices:
            tables = [
                _candidate_table(
                    inner,
                    weigh(
                        past.to_csr(
                            half_life_days=half_life,
                            now=start,
                            recency_boost=self.history_recency_boost,
                            recency_half_life_days=self.history_recency_half_life_days,
                            event_weighting=self.history_event_weighting,
                        ),
                        weighting,
                    ),
                    eligible,
                    seen if self.tune_exclude_seen else None,
                    relevant,
                    self.candidates_per_signal,
                )
                for past, start, eligible, seen, relevant in windows
            ]
            result = self._ascend(tables, parts)
            result.validation_users = sum(len(window[2]) for window in windows)
            result.history_weighting, result.history_half_life_days = weighting, half_life
            # Another way of counting history must win clearly, and in every part.
            if best_result is None or parts.better(result.user_ndcg, best_result.user_ndcg, _MARGIN):
                best_result = result
        if best_result is not None:
            best_result.user_ndcg = np.empty(0)  # only needed while choosing; not kept in the model
        return best_result

    def _ascend(self, tables: list[_CandidateTable], parts: _Parts) -> TuningResult:
        """Blend weights by coordinate ascent on NDCG, from the defaults or the best single signal.

        A step is taken only when it gains on the validation users as a whole by the margin and
        loses in no part of them (each validation window, or two random halves of the users when
        there is one window): on a few hundred users, a gain that one part does not share is one or
        two users' lists, and following such gains led the blend away from weights that did better
        on the next period.
        """

        def user_ndcg(weights: np.ndarray) -> np.ndarray:
            return np.concatenate([table.user_ndcg(weights, self.tune_k) for table in tables])

        default = np.array([self.blend[name] for name in SIGNALS])
        single = np.eye(len(SIGNALS))
        by_signal = {name: float(user_ndcg(single[position]).mean()) for position, name in enumerate(SIGNALS)}
        best, best_scores = default.copy(), user_ndcg(default)
        default_ndcg = float(best_scores.mean())
        top = single[SIGNALS.index(max(by_signal, key=lambda name: by_signal[name]))]
        top_scores = user_ndcg(top)
        if parts.better(top_scores, best_scores, 0.0):
            best, best_scores = top, top_scores
        for _ in range(3):
            improved = False
            for position in range(len(SIGNALS)):
                for step in _WEIGHT_STEPS:
                    trial = best.copy()
                    trial[position] = step
                    if not trial.any() or trial[position] == best[position]:
                        continue
                    scores = user_ndcg(trial)
                    if parts.better(scores, best_scores, _MARGIN / 4):
                        best, best_scores, improved = trial, scores, True
            if not improved:
                break
        return TuningResult(
            weights={name: float(best[position]) for position, name in enumerate(SIGNALS)},
            validation_users=0,
            ndcg_default=default_ndcg,
            ndcg_tuned=float(best_scores.mean()),
            ndcg_by_signal=by_signal,
            user_ndcg=best_scores,
        )


class _Parts:
    """Parts of the validation users (one per window, or two random halves of a single window)."""

    def __init__(self, sizes: list[int], seed: int) -> None:
        total = sum(sizes)
        if len(sizes) == 1:
            first = np.zeros(total, dtype=bool)
            first[np.random.default_rng(seed).permutation(total)[: total // 2]] = True
            self.masks = [first, ~first]
        else:
            window = np.repeat(np.arange(len(sizes)), sizes)
            self.masks = [window == part for part in range(len(sizes))]

    def better(self, scores: np.ndarray, than: np.ndarray, margin: float) -> bool:
        """Mean NDCG above `than`'s by the relative margin and by twice the standard error of the
        users' paired differences, and not below it in any part."""
        if scores.mean() <= than.mean() * (1 + margin) + 1e-9:
            return False
        gains = scores - than
        if len(gains) > 1 and gains.mean() <= _STANDARD_ERRORS * gains.std(ddof=1) / np.sqrt(len(gains)):
            return False
        return all(not mask.any() or scores[mask].mean() >= than[mask].mean() for mask in self.masks)


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

    @property
    def n_users(self) -> int:
        return len(self.n_relevant)

    def ndcg(self, weights: np.ndarray, k: int) -> float:
        return float(np.mean(self.user_ndcg(weights, k)))

    def user_ndcg(self, weights: np.ndarray, k: int) -> np.ndarray:
        """NDCG@k of each validation user's list under these blend weights."""
        blended = self.values @ weights.astype(np.float32)
        blended[~self.valid] = -np.inf
        top = top_k_rows(blended, k)
        hits = np.take_along_axis(self.relevant, top, axis=1) & np.isfinite(
            np.take_along_axis(blended, top, axis=1)
        )
        discounts = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
        dcg = hits @ discounts
        ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[np.minimum(self.n_relevant, k) - 1]
        return np.asarray(dcg / ideal, dtype=np.float64)


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
