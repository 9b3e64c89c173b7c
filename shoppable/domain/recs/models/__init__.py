"""Recommenders by name, so the CLI, the evaluation and the training job build them the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shoppable.domain.recs.models.base import HistoryRecommender, Recommender, top_k
from shoppable.domain.recs.models.baselines import PopularityRecommender, RandomRecommender
from shoppable.domain.recs.models.factorization import (
    EASE_MAX_ITEMS,
    ALSRecommender,
    EASERecommender,
    EDLAERecommender,
)
from shoppable.domain.recs.models.feed import FeedRanker
from shoppable.domain.recs.models.neighbourhood import ItemKNNRecommender, RP3BetaRecommender

MODELS: dict[str, Callable[..., HistoryRecommender]] = {
    "feed": FeedRanker,
    "random": RandomRecommender,
    "popularity": PopularityRecommender,
    "item_knn": ItemKNNRecommender,
    "rp3beta": RP3BetaRecommender,
    "ease": EASERecommender,
    "edlae": EDLAERecommender,
    "als": ALSRecommender,
}


def build_model(name: str, **params: Any) -> HistoryRecommender:
    try:
        factory = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None
    return factory(**params)


def default_model_names(n_items: int) -> list[str]:
    """Every model, `feed` first. EASE fits any catalogue: it keeps the EASE_MAX_ITEMS items with the
    most users (`n_items` is kept for callers that size their choice by the catalogue)."""
    return list(MODELS)


__all__ = [
    "EASE_MAX_ITEMS",
    "MODELS",
    "ALSRecommender",
    "EASERecommender",
    "EDLAERecommender",
    "FeedRanker",
    "HistoryRecommender",
    "ItemKNNRecommender",
    "PopularityRecommender",
    "RP3BetaRecommender",
    "RandomRecommender",
    "Recommender",
    "build_model",
    "default_model_names",
    "top_k",
]
