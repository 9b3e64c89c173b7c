"""Fitting the production ranker from plain arrays: the training job reads events, this does the rest."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shoppable.domain.recs.artifact import TrainedModel
from shoppable.domain.recs.interactions import Interactions, load_interactions_csv
from shoppable.domain.recs.item_meta import ItemMeta, ItemRecord, load_items_csv
from shoppable.domain.recs.models import build_model


def train_from_arrays(
    user_ids: Sequence[str],
    item_ids: Sequence[str],
    timestamps: Sequence[float] | np.ndarray,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    items: Iterable[ItemRecord] = (),
    now: float | None = None,
    model: str = "feed",
    params: dict[str, Any] | None = None,
) -> TrainedModel:
    """Fit `model` (default: the feed ranker) on one event per array position.

    `items` is the catalogue with its metadata: listed items are rankable even without events (a new
    product reaches its creator's fans). `now` defaults to the latest event; the periodic job should
    pass the wall-clock time so decay and freshness are measured from the moment of training.
    """
    records = list(items)
    interactions = Interactions.from_arrays(
        user_ids, item_ids, timestamps, weights, catalog_item_ids=(record.item_id for record in records)
    )
    meta = ItemMeta.from_records(interactions.items.ids, records) if records else None
    return train(interactions, meta, now=now, model=model, params=params)


def train(
    interactions: Interactions,
    meta: ItemMeta | None,
    *,
    now: float | None = None,
    model: str = "feed",
    params: dict[str, Any] | None = None,
) -> TrainedModel:
    if len(interactions) == 0:
        raise ValueError("no interactions to train on")
    now = float(interactions.timestamp.max()) if now is None else float(now)
    recommender = build_model(model, **(params or {}))
    started = time.perf_counter()
    recommender.fit(interactions, meta, now)
    info: dict[str, Any] = {
        "interactions": len(interactions),
        "users": interactions.n_users,
        "items": interactions.n_items,
        "fit_seconds": round(time.perf_counter() - started, 3),
    }
    tuning = getattr(recommender, "tuning", None)
    if tuning is not None:
        info["blend"] = tuning.weights
        info["validation_users"] = tuning.validation_users
        info["validation_ndcg"] = tuning.ndcg_tuned
        info["history"] = {
            "weighting": tuning.history_weighting,
            "half_life_days": tuning.history_half_life_days,
        }
    return TrainedModel(recommender, interactions.users, interactions.items, now, info)


def train_file(
    interactions_csv: Path | str,
    *,
    items_csv: Path | str | None = None,
    now: float | None = None,
    model: str = "feed",
) -> TrainedModel:
    """Train from CSV files (same formats as `recs eval`); `storage.recs_artifacts.save` keeps it."""
    records = load_items_csv(items_csv) if items_csv is not None else []
    interactions = load_interactions_csv(interactions_csv, catalog_item_ids=(r.item_id for r in records))
    meta = ItemMeta.from_records(interactions.items.ids, records) if records else None
    return train(interactions, meta, now=now, model=model)
