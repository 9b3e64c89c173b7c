"""Compare recs model variants over several validation windows, paired per user (issue 17).

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python bench/recs_windows.py instacart 14 3 \\
        '{"feed": {"model": "feed", "tune": false}, "ease": {"model": "ease"}}' [--quantities]

Window w (1 .. WINDOWS) evaluates on the DAYS before the last w * DAYS of the data, so window 1 is
`recs eval --validation` and the test period is never used. Each variant is fitted on the data
before its window, as `recs eval` does, and ranks the whole catalogue for the window's users (new
items only). Prints each window's NDCG@10 and, over all user-windows, each variant's mean and its
paired difference from the first variant with the standard error of that difference.

`--quantities` replaces every weight with a heavy-tailed quantity (each item a log-normal pack size,
sigma 1.5, times a log-normal per event, sigma 0.7, rounded, at least 1; seed 17): the development
sets have no real quantities, and purchase logs do.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import Interactions, load_interactions_csv, temporal_split
from shoppable.domain.recs.item_meta import ItemMeta, load_items_csv
from shoppable.domain.recs.models import build_model
from shoppable.domain.recs.models.base import top_k_rows


def _binary(matrix: sp.spmatrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    matrix.eliminate_zeros()
    matrix.data[:] = 1.0
    return matrix


def with_quantities(interactions: Interactions, seed: int = 17) -> Interactions:
    rng = np.random.default_rng(seed)
    pack = np.exp(rng.normal(0.0, 1.5, interactions.n_items))
    quantity = np.maximum(
        1.0, np.round(pack[interactions.item_idx] * np.exp(rng.normal(0, 0.7, len(interactions))))
    )
    return Interactions.from_arrays(
        [interactions.users.ids[u] for u in interactions.user_idx],
        [interactions.items.ids[i] for i in interactions.item_idx],
        interactions.timestamp,
        quantity,
        catalog_item_ids=interactions.items.ids,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("devset")
    parser.add_argument("days", type=float)
    parser.add_argument("windows", type=int)
    parser.add_argument("variants", help='JSON: {"label": {"model": "feed", "<param>": value, ...}, ...}')
    parser.add_argument("--devsets", type=Path, default=Path("var/devsets"))
    parser.add_argument("--quantities", action="store_true")
    args = parser.parse_args()
    directory = args.devsets / args.devset
    records = load_items_csv(directory / "items.csv")
    data = load_interactions_csv(
        directory / "interactions.csv", catalog_item_ids=(r.item_id for r in records)
    )
    if args.quantities:
        data = with_quantities(data)
    meta = ItemMeta.from_records(data.items.ids, records)
    variants: dict[str, dict] = json.loads(args.variants)
    per_user: dict[str, list[np.ndarray]] = {label: [] for label in variants}
    fit_seconds = dict.fromkeys(variants, 0.0)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ideal = np.cumsum(discounts)
    for window in range(args.windows):
        data, _, _ = temporal_split(data, args.days)
        train, test, cutoff = temporal_split(data, args.days)
        seen = _binary(train.to_csr())
        relevant = _binary(test.to_csr())
        relevant = _binary(relevant - relevant.multiply(seen))
        users = np.flatnonzero((np.diff(seen.indptr) > 0) & (np.diff(relevant.indptr) > 0))
        for label, spec in variants.items():
            params = dict(spec)
            name = params.pop("model")
            if name == "feed":
                params.setdefault("validation_days", args.days)
            model = build_model(name, **params)
            started = time.perf_counter()
            model.fit(train, meta, cutoff)
            fit_seconds[label] += time.perf_counter() - started
            scores_ndcg = np.zeros(len(users))
            for start in range(0, len(users), 500):
                batch = users[start : start + 500]
                scores = np.asarray(model.score(batch), dtype=np.float32)
                own = seen[batch].tocoo()
                scores[own.row, own.col] = -np.inf
                top = top_k_rows(scores, 10)
                listed = np.isfinite(np.take_along_axis(scores, top, axis=1))
                rows = relevant[batch]
                for row in range(len(batch)):
                    wanted = rows.indices[rows.indptr[row] : rows.indptr[row + 1]]
                    hits = np.isin(top[row], wanted) & listed[row]
                    scores_ndcg[start + row] = (hits @ discounts[: top.shape[1]]) / ideal[
                        min(len(wanted), 10) - 1
                    ]
            per_user[label].append(scores_ndcg)
        figures = "  ".join(f"{label} {per_user[label][-1].mean():.4f}" for label in variants)
        print(f"window {window + 1}: {len(users)} users  {figures}", flush=True)
    reference = next(iter(variants))
    base = np.concatenate(per_user[reference])
    print(f"== {args.devset}: {len(base)} user-windows, paired against {reference}")
    for label in variants:
        values = np.concatenate(per_user[label])
        gains = values - base
        error = gains.std(ddof=1) / np.sqrt(len(gains)) if len(gains) > 1 else 0.0
        print(
            f"{label:<16} mean {values.mean():.4f}  {values.mean() / max(base.mean(), 1e-12):.3f}x  "
            f"diff {gains.mean():+.4f} +- {error:.4f}  fit {fit_seconds[label]:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
