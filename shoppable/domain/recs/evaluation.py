"""Offline evaluation: a temporal split, every model trained on the past and ranked over the whole catalogue.

Protocol (what `shoppable recs eval` reports):
- Split at `cutoff = latest timestamp - test_days`; training is everything before, test the rest.
  Models are fitted on training with `now = cutoff`.
- Evaluated users have at least one training and one test interaction, and a non-empty relevant set.
- Relevant items: the user's test items. By default items the user interacted with in training are
  removed from both the ranking (scored -inf) and the relevant set, as the feed never re-shows them;
  `include_seen=True` keeps both, which measures repeat interactions.
- Full ranking over all catalogue items (no sampled negatives): the interactions' items plus any item
  only listed in the item metadata. Item metadata is treated as the catalogue the live feed would read
  during the test window; only interactions are split in time.
- Recall@k = hits in top k / min(k, |relevant|) (so a perfect list scores 1 even with many relevant).
- NDCG@k with binary relevance: DCG = sum over hits at rank r (1-based) of 1 / log2(r + 1),
  divided by the DCG of min(k, |relevant|) hits at the top.
- coverage@k = distinct items in all evaluated users' top-k lists / catalogue size.
- novelty = mean over every recommended (user, item) of -log2(p_item), with p_item = (training users
  who interacted with the item + 1) / (training users + 1), so never-seen items stay finite.
- fit seconds and peak memory of each model's fit (memory: the most traced by `tracemalloc` at once
  during the fit, numpy arrays included, above what was allocated before it).
- `validation=True` drops the test period first and evaluates on the `test_days` before it: the
  figures to tune on, so that the test period is never looked at while choosing.
"""

from __future__ import annotations

import functools
import json
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import Interactions, load_interactions_csv, temporal_split
from shoppable.domain.recs.item_meta import ItemMeta, load_items_csv
from shoppable.domain.recs.models import Recommender, build_model, default_model_names
from shoppable.domain.recs.models.base import top_k_rows

# Dense score matrices are scored in batches of at most this many cells (~80 MB of float32).
SCORE_BATCH_CELLS = 20_000_000


@dataclass(frozen=True)
class ModelResult:
    ndcg: float
    recall: float
    coverage: float
    novelty: float
    fit_seconds: float
    score_seconds: float
    peak_mb: float = 0.0
    note: str = ""


BASELINE_EXCLUDED = ("feed", "random")


@dataclass(frozen=True)
class EvalReport:
    k: int
    test_days: float
    include_seen: bool
    users: int
    items: int
    train_interactions: int
    test_interactions: int
    cutoff: float
    validation: bool = False
    models: dict[str, ModelResult] = field(default_factory=dict)

    def feed_vs_best_baseline(self) -> tuple[str, float] | None:
        """(best baseline, feed NDCG / its NDCG) when `feed` and a baseline (not random) were evaluated."""
        feed = self.models.get("feed")
        baselines = {n: r for n, r in self.models.items() if n not in BASELINE_EXCLUDED}
        if feed is None or not baselines:
            return None
        best = max(baselines, key=lambda n: baselines[n].ndcg)
        ratio = feed.ndcg / baselines[best].ndcg if baselines[best].ndcg > 0 else float("inf")
        return best, ratio

    def to_dict(self) -> dict:
        k = self.k
        return {
            "models": {
                name: {
                    f"ndcg@{k}": result.ndcg,
                    f"recall@{k}": result.recall,
                    f"coverage@{k}": result.coverage,
                    "novelty": result.novelty,
                    "fit_seconds": result.fit_seconds,
                    "fit_peak_mb": result.peak_mb,
                    "score_seconds": result.score_seconds,
                    **({"note": result.note} if result.note else {}),
                }
                for name, result in self.models.items()
            },
            **(
                {"feed_vs_best_baseline": {"baseline": best[0], "ratio": best[1]}}
                if (best := self.feed_vs_best_baseline())
                else {}
            ),
            "validation": self.validation,
            "users": self.users,
            "items": self.items,
            "k": k,
            "test_days": self.test_days,
            "include_seen": self.include_seen,
            "train_interactions": self.train_interactions,
            "test_interactions": self.test_interactions,
            "cutoff": datetime.fromtimestamp(self.cutoff, UTC).isoformat(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def format_table(self) -> str:
        k = self.k
        width = max([12, *(len(name) + 1 for name in self.models)])
        cutoff = datetime.fromtimestamp(self.cutoff, UTC).strftime("%Y-%m-%d %H:%M")
        lines = [
            f"users evaluated: {self.users}   items: {self.items}   "
            f"train/test interactions: {self.train_interactions}/{self.test_interactions}",
            f"{'validation' if self.validation else 'test'} period: last {self.test_days:g} days "
            f"{'before the test period ' if self.validation else ''}(from {cutoff} UTC)   "
            f"seen items: {'included' if self.include_seen else 'excluded'}",
            "",
            f"{'model':<{width}} {f'ndcg@{k}':>9} {f'recall@{k}':>10} {f'coverage@{k}':>12} {'novelty':>8} "
            f"{'fit s':>8} {'peak MB':>8}  note",
        ]
        for name, result in self.models.items():
            lines.append(
                f"{name:<{width}} {result.ndcg:>9.4f} {result.recall:>10.4f} {result.coverage:>12.4f} "
                f"{result.novelty:>8.2f} {result.fit_seconds:>8.1f} {result.peak_mb:>8.0f}  {result.note}".rstrip()
            )
        best = self.feed_vs_best_baseline()
        if best is not None:
            lines += ["", f"feed / best baseline ({best[0]}): {best[1]:.3f}x ndcg@{k}"]
        return "\n".join(lines)


def evaluate(
    interactions: Interactions,
    *,
    test_days: float = 14,
    k: int = 10,
    include_seen: bool = False,
    validation: bool = False,
    models: Sequence[str] | Mapping[str, Recommender] | None = None,
    meta: ItemMeta | None = None,
    batch_size: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Evaluate models (names, or ready instances by name; default: every model that fits) as described
    in the module docstring."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if validation:
        # The test period is never looked at: evaluate on the `test_days` before it instead.
        interactions, _, _ = temporal_split(interactions, test_days)
        if len(interactions) == 0:
            raise ValueError(f"nothing before the last {test_days:g} days to validate on")
    train, test, cutoff = temporal_split(interactions, test_days)
    if len(train) == 0:
        raise ValueError(f"no interactions before the last {test_days:g} days: nothing to train on")
    n_items = interactions.n_items
    seen = _binary(train.to_csr())
    relevant = _binary(test.to_csr())
    if not include_seen:
        relevant = _binary(relevant - relevant.multiply(seen))
    users = np.flatnonzero((np.diff(seen.indptr) > 0) & (np.diff(relevant.indptr) > 0))
    self_information = _self_information(seen)

    if models is None:
        models = default_model_names(n_items)
    if not isinstance(models, Mapping):
        models = {name: _build_for_eval(name, include_seen, test_days) for name in models}
    batch_size = batch_size or max(1, min(1000, SCORE_BATCH_CELLS // max(n_items, 1)))

    report = EvalReport(
        k=k,
        test_days=test_days,
        include_seen=include_seen,
        users=len(users),
        items=n_items,
        train_interactions=len(train),
        test_interactions=len(test),
        cutoff=cutoff,
        validation=validation,
    )
    for name, model in models.items():
        if on_progress:
            on_progress(f"fitting {name}")
        started = time.perf_counter()
        peak_mb = _traced_peak_mb(functools.partial(model.fit, train, meta, cutoff))
        fitted = time.perf_counter()
        if on_progress:
            on_progress(f"ranking {len(users)} users with {name}")
        ndcg, recall, coverage, novelty = _rank_and_measure(
            model, users, seen, relevant, self_information, k, include_seen, batch_size
        )
        report.models[name] = ModelResult(
            ndcg,
            recall,
            coverage,
            novelty,
            fitted - started,
            time.perf_counter() - fitted,
            peak_mb,
            _note(model),
        )
    return report


def _traced_peak_mb(run: Callable[[], None]) -> float:
    """Run, and return the most memory `tracemalloc` saw allocated at once above the start, in MB."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return max(peak - before, 0) / 1e6


def _note(model: Recommender) -> str:
    """What a reader needs to know about a fitted model's size (EASE: how many items it kept)."""
    ease_items = getattr(model, "kept_items", None)
    if ease_items is None:
        ease_items = getattr(model, "ease_items", None)
    if ease_items is None:
        return ""
    n = len(ease_items)
    return (
        f"EASE on the top {n} of {getattr(model, 'n_items', n)} items by users "
        f"({4 * n * n / 1e6:.1f} MB float32 matrix)"
    )


def run_eval_file(
    interactions_csv: Path,
    *,
    items_csv: Path | None = None,
    test_days: float = 14,
    k: int = 10,
    include_seen: bool = False,
    validation: bool = False,
    json_out: Path | None = None,
    models: Sequence[str] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """What `shoppable recs eval` runs: load the CSV file(s), evaluate, optionally write the JSON report."""
    records = load_items_csv(items_csv) if items_csv is not None else []
    interactions = load_interactions_csv(interactions_csv, catalog_item_ids=(r.item_id for r in records))
    meta = ItemMeta.from_records(interactions.items.ids, records) if items_csv is not None else None
    report = evaluate(
        interactions,
        test_days=test_days,
        k=k,
        include_seen=include_seen,
        validation=validation,
        models=models,
        meta=meta,
        on_progress=on_progress,
    )
    if json_out is not None:
        Path(json_out).write_text(report.to_json() + "\n")
    return report


def _build_for_eval(name: str, include_seen: bool, test_days: float) -> Recommender:
    if name == "feed":
        # Tuned on the last `test_days` of the training period: a validation slice shaped like the test.
        return build_model(name, tune_exclude_seen=not include_seen, validation_days=test_days)
    return build_model(name)


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    return matrix


def _self_information(seen: sp.csr_matrix) -> np.ndarray:
    train_users = int((np.diff(seen.indptr) > 0).sum())
    users_per_item = np.bincount(seen.indices, minlength=seen.shape[1])
    return -np.log2((users_per_item + 1.0) / (train_users + 1.0))


def _rank_and_measure(
    model: Recommender,
    users: np.ndarray,
    seen: sp.csr_matrix,
    relevant: sp.csr_matrix,
    self_information: np.ndarray,
    k: int,
    include_seen: bool,
    batch_size: int,
) -> tuple[float, float, float, float]:
    """(NDCG@k, Recall@k, coverage@k, novelty) averaged over `users`."""
    n_items = seen.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)
    ndcg_sum = recall_sum = information_sum = 0.0
    recommended_count = 0
    recommended = np.zeros(n_items, dtype=bool)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        scores = np.asarray(model.score(batch), dtype=np.float32)
        if scores.shape != (len(batch), n_items):
            raise ValueError(f"{type(model).__name__}.score returned shape {scores.shape}")
        if not include_seen:
            seen_rows = seen[batch].tocoo()
            scores[seen_rows.row, seen_rows.col] = -np.inf
        top = top_k_rows(scores, k)
        listed = np.isfinite(np.take_along_axis(scores, top, axis=1))
        relevant_rows = relevant[batch]
        hits = np.zeros(top.shape, dtype=bool)
        for row in range(len(batch)):
            wanted = relevant_rows.indices[relevant_rows.indptr[row] : relevant_rows.indptr[row + 1]]
            hits[row] = np.isin(top[row], wanted) & listed[row]
        n_relevant = np.diff(relevant_rows.indptr)
        capped = np.minimum(n_relevant, k)
        ndcg_sum += float(np.sum((hits @ discounts[: top.shape[1]]) / ideal[capped - 1]))
        recall_sum += float(np.sum(hits.sum(axis=1) / capped))
        recommended[top[listed]] = True
        information_sum += float(self_information[top[listed]].sum())
        recommended_count += int(listed.sum())
    n_users = max(len(users), 1)
    return (
        ndcg_sum / n_users,
        recall_sum / n_users,
        float(recommended.sum()) / max(n_items, 1),
        information_sum / max(recommended_count, 1),
    )
