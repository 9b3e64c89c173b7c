"""Signals added to the feed's EASE signal, over several validation windows, paired per user (issue 17).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/recs_explore.py instacart 14 3

The reference is the feed's own EASE signal (the 6,000 items with most users, binary Gram matrix,
l2 200, scored from the feed's history: events counted, 1 + 2^(-age / 14 days) recency boost, log),
which scores within 1% of the whole untuned feed on Instacart. Each variant changes one thing:

- `trans*`: a directed across-orders transition signal. T[i, j] counts the shoppers who adopted j
  (bought it for the first time) within `--transition-days` after an event with i, at a later time;
  normalized as T[i, j] / (events_i^0.5 * adoptions_j^beta), scored from the history decayed with a
  14-day half-life (`recent`) or the feed's history (`hist`), alone or added to EASE's max-normalized
  scores with weight w.
- `gram_hl*`: EASE fitted with time-weighted rows: each user-item cell of the Gram matrix's X is
  2^(-age of its latest event / half-life) instead of 1 (scoring input unchanged); `_l2s` scales l2
  by the mean cell weight.
- `trend*`: EASE's scores multiplied by (distinct users of the last 14 days, log-scaled, + 0.05)^alpha.
- `tifu*`: TIFU-kNN-like user-kNN (Hu et al. 2020): cosine between log-weighted user vectors decayed
  with a half-life (30 or 90 days), the k nearest training users' vectors summed by similarity,
  added with weight w (the user itself excluded).
- `uknn*`: the same user-kNN on the feed's own history rows (no decay, recency boost).

`--only trans,gram` runs those families only (the prefixes of the labels).

Window w (1 .. WINDOWS) evaluates on the DAYS before the last w * DAYS of the data (window 1 is
`recs eval --validation`); the test period is never used. New-to-user items only, full catalogue.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import (
    SECONDS_PER_DAY,
    Interactions,
    load_interactions_csv,
    temporal_split,
)
from shoppable.domain.recs.item_meta import load_items_csv
from shoppable.domain.recs.models.base import normalize_rows_by_max, top_k_rows
from shoppable.domain.recs.models.factorization import ease_weights, most_frequent_items
from shoppable.domain.recs.weighting import weigh


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    return matrix


def transitions(train: Interactions, days: float) -> sp.csr_matrix:
    """T[i, j]: shoppers who adopted j within `days` after (strictly later than) an event with i."""
    order = np.lexsort((train.timestamp, train.user_idx))
    users, items, times = train.user_idx[order], train.item_idx[order], train.timestamp[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(users)]])
    span = days * SECONDS_PER_DAY
    rows, cols = [], []
    for start, stop in zip(starts, stops, strict=True):
        item, when = items[start:stop], times[start:stop]
        _, first = np.unique(item, return_index=True)
        adopt_item, adopt_time = item[first], when[first]
        lo = np.searchsorted(when, adopt_time - span, side="left")
        hi = np.searchsorted(when, adopt_time, side="left")
        count = hi - lo
        if not count.sum():
            continue
        source = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True) if b > a])
        target = np.repeat(adopt_item, count)
        pairs = np.unique(item[source].astype(np.int64) * train.n_items + target)
        rows.append(pairs // train.n_items)
        cols.append(pairs % train.n_items)
    if not rows:
        return sp.csr_matrix((train.n_items, train.n_items), dtype=np.float32)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix(
        (np.ones(len(r), dtype=np.float32), (r, c)), shape=(train.n_items, train.n_items), dtype=np.float32
    )


def ease_scores(items: np.ndarray, matrix: np.ndarray, history: sp.csr_matrix, n_items: int) -> np.ndarray:
    scores = np.zeros((history.shape[0], n_items), dtype=np.float32)
    kept = sp.csr_matrix(history[:, items], dtype=np.float32)
    scores[:, items] = np.maximum(np.asarray(kept @ matrix), 0.0)
    return normalize_rows_by_max(scores)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("devset")
    parser.add_argument("days", type=float)
    parser.add_argument("windows", type=int)
    parser.add_argument("--devsets", type=Path, default=Path("var/devsets"))
    parser.add_argument("--transition-days", type=float, default=30.0)
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated variant families to run: trans, gram, trend, tifu, uknn (default all)",
    )
    args = parser.parse_args()
    directory = args.devsets / args.devset
    records = load_items_csv(directory / "items.csv")
    data = load_interactions_csv(
        directory / "interactions.csv", catalog_item_ids=(r.item_id for r in records)
    )
    prefixes = [p for p in args.only.split(",") if p]
    per_user: dict[str, list[np.ndarray]] = {}
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ideal = np.cumsum(discounts)
    for window in range(args.windows):
        data, _, _ = temporal_split(data, args.days)
        train, test, now = temporal_split(data, args.days)
        started = time.perf_counter()
        seen = _binary(train.to_csr())
        relevant = _binary(test.to_csr())
        relevant = _binary(relevant - relevant.multiply(seen))
        users = np.flatnonzero((np.diff(seen.indptr) > 0) & (np.diff(relevant.indptr) > 0))
        n = train.n_items
        history = weigh(
            train.to_csr(now=now, recency_boost=1.0, recency_half_life_days=14.0, event_weighting="binary"),
            "log",
        )[users]
        ease_items = most_frequent_items(seen, 6000)
        base = ease_scores(ease_items, ease_weights(seen[:, ease_items], 200.0), history, n)
        variants: dict[str, np.ndarray] = {"ease": base}

        def wanted(prefix: str) -> bool:
            return not prefixes or any(prefix.startswith(p) for p in prefixes)

        if wanted("trans"):
            counts = transitions(train, args.transition_days)
            events = np.asarray(seen.sum(axis=0)).ravel()
            adoptions = np.asarray(counts.sum(axis=0)).ravel()
            decayed = weigh(train.to_csr(now=now, half_life_days=14.0, event_weighting="binary"), "log")[
                users
            ]
            for beta in (0.5, 0.75):
                norm = sp.diags(1.0 / np.sqrt(np.maximum(events, 1))) @ counts
                norm = norm @ sp.diags(1.0 / np.power(np.maximum(adoptions, 1), beta))
                for source_name, source in (("recent", decayed), ("hist", history)):
                    signal = normalize_rows_by_max(np.asarray((source @ norm).toarray(), dtype=np.float32))
                    variants[f"trans_b{beta}_{source_name}_alone"] = signal
                    for weight in (0.1, 0.25, 0.5):
                        variants[f"trans_b{beta}_{source_name}_w{weight}"] = base + weight * signal
        if wanted("gram"):
            # the latest event of each user-item cell
            coo = sp.coo_matrix((train.timestamp, (train.user_idx, train.item_idx)), shape=(train.n_users, n))
            order = np.lexsort((coo.data, coo.row * n + coo.col))
            key = (coo.row * n + coo.col)[order]
            last = np.flatnonzero(np.r_[key[1:] != key[:-1], True])
            latest_r, latest_c, latest = coo.row[order][last], coo.col[order][last], coo.data[order][last]
            for half_life in (60.0, 180.0, 365.0, 730.0):
                value = np.exp2(-(now - latest) / SECONDS_PER_DAY / half_life).astype(np.float32)
                weighted = sp.csr_matrix((value, (latest_r, latest_c)), shape=(train.n_users, n))
                matrix = ease_weights(weighted[:, ease_items], 200.0)
                variants[f"gram_hl{half_life:.0f}"] = ease_scores(ease_items, matrix, history, n)
                # keep the Gram's scale near binary EASE's: l2 scaled by the mean weight
                matrix = ease_weights(weighted[:, ease_items], 200.0 * float(value.mean()))
                variants[f"gram_hl{half_life:.0f}_l2s"] = ease_scores(ease_items, matrix, history, n)
        if wanted("trend"):
            recent = train.subset(train.timestamp >= now - 14 * SECONDS_PER_DAY)
            buyers = np.bincount(
                np.unique(recent.user_idx.astype(np.int64) * n + recent.item_idx) % n, minlength=n
            )
            trend = np.log1p(buyers) / max(np.log1p(buyers.max()), 1e-9)
            for alpha in (0.05, 0.1, 0.25):
                variants[f"trend_a{alpha}"] = base * np.power(trend + 0.05, alpha).astype(np.float32)
        if wanted("tifu"):
            for half_life in (30.0, 90.0):
                decayed_all = weigh(
                    train.to_csr(now=now, half_life_days=half_life, event_weighting="binary"), "log"
                )
                norms = np.sqrt(np.asarray(decayed_all.multiply(decayed_all).sum(axis=1)).ravel())
                unit = sp.diags(1.0 / np.maximum(norms, 1e-9)) @ decayed_all
                similarity = np.asarray((unit[users] @ unit.T).toarray(), dtype=np.float32)
                similarity[np.arange(len(users)), users] = 0.0
                for k in (50, 100, 200):
                    keep = top_k_rows(similarity, k)
                    mask = np.zeros_like(similarity)
                    np.put_along_axis(mask, keep, np.take_along_axis(similarity, keep, axis=1), axis=1)
                    signal = normalize_rows_by_max(
                        np.asarray((sp.csr_matrix(mask) @ unit).toarray(), dtype=np.float32)
                    )
                    for weight in (0.25, 0.5):
                        variants[f"tifu_hl{half_life:.0f}_k{k}_w{weight}"] = base + weight * signal
                        if "gram_hl365" in variants:
                            variants[f"gram365+tifu_hl{half_life:.0f}_k{k}_w{weight}"] = (
                                variants["gram_hl365"] + weight * signal
                            )
        if wanted("uknn"):
            # user-kNN on the feed's own history rows (events counted, recency boost, log)
            full = weigh(
                train.to_csr(
                    now=now, recency_boost=1.0, recency_half_life_days=14.0, event_weighting="binary"
                ),
                "log",
            )
            norms = np.sqrt(np.asarray(full.multiply(full).sum(axis=1)).ravel())
            unit = sp.diags(1.0 / np.maximum(norms, 1e-9)) @ full
            similarity = np.asarray((unit[users] @ unit.T).toarray(), dtype=np.float32)
            similarity[np.arange(len(users)), users] = 0.0
            for k in (50, 100, 200):
                keep = top_k_rows(similarity, k)
                mask = np.zeros_like(similarity)
                np.put_along_axis(mask, keep, np.take_along_axis(similarity, keep, axis=1), axis=1)
                signal = normalize_rows_by_max(
                    np.asarray((sp.csr_matrix(mask) @ unit).toarray(), dtype=np.float32)
                )
                for weight in (0.25, 0.5):
                    variants[f"uknn_k{k}_w{weight}"] = base + weight * signal
        seen_rows = seen[users].tocoo()
        for label, scores in variants.items():
            scores = np.array(scores, dtype=np.float32, copy=True)
            scores[seen_rows.row, seen_rows.col] = -np.inf
            top = top_k_rows(scores, 10)
            listed = np.isfinite(np.take_along_axis(scores, top, axis=1))
            rows = relevant[users]
            values = np.zeros(len(users))
            for row in range(len(users)):
                want = rows.indices[rows.indptr[row] : rows.indptr[row + 1]]
                hits = np.isin(top[row], want) & listed[row]
                values[row] = (hits @ discounts[: top.shape[1]]) / ideal[min(len(want), 10) - 1]
            per_user.setdefault(label, []).append(values)
        print(
            f"window {window + 1}: {len(users)} users, {time.perf_counter() - started:.0f} s, "
            f"ease {per_user['ease'][-1].mean():.4f}",
            flush=True,
        )
    reference = np.concatenate(per_user["ease"])
    print(f"== {args.devset}: {len(reference)} user-windows, paired against ease")
    for label, parts in per_user.items():
        values = np.concatenate(parts)
        gains = values - reference
        error = gains.std(ddof=1) / np.sqrt(len(gains))
        windows = " ".join(f"{p.mean():.4f}" for p in parts)
        print(
            f"{label:<28} {values.mean():.4f} {values.mean() / reference.mean():.3f}x "
            f"diff {gains.mean():+.5f} +- {error:.5f} ({gains.mean() / max(error, 1e-12):+.1f} se)  [{windows}]",
            flush=True,
        )


if __name__ == "__main__":
    main()
