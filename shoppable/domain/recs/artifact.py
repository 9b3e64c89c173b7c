"""A trained ranker as the feed uses it: a fitted model and the id vocabularies it was trained on.

Plain data; its versioned files on disk are written and read by `shoppable.storage.recs_artifacts`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import IdIndex
from shoppable.domain.recs.models.base import HistoryRecommender, history_matrix, top_k


@dataclass
class TrainedModel:
    """A fitted model with the id vocabularies it was trained on; ranks by string ids."""

    model: HistoryRecommender
    users: IdIndex
    items: IdIndex
    trained_at: float  # the `now` the model was fitted with, epoch seconds
    info: dict[str, Any] = field(default_factory=dict)
    version: str = ""  # set when saved or loaded

    @property
    def name(self) -> str:
        return self.model.name

    def recommend(
        self,
        user_id: str | None,
        k: int = 20,
        *,
        recent_item_ids: Sequence[str] = (),
        recent_weights: Sequence[float] | None = None,
        exclude_item_ids: Iterable[str] = (),
    ) -> list[str]:
        """Top-k item ids for a viewer, best first.

        A user seen in training is ranked from the training history, plus `recent_item_ids` (events
        since training, e.g. this session) when given; an unknown or anonymous user from
        `recent_item_ids` alone; a user with no history at all gets the cold-start ranking.
        Unknown item ids are ignored.
        """
        scores = self.score(user_id, recent_item_ids=recent_item_ids, recent_weights=recent_weights)
        exclude = np.array(
            [p for p in map(self.items.get, exclude_item_ids) if p is not None], dtype=np.int64
        )
        return self.items.lookup(top_k(scores, k, exclude))

    def score_items(
        self,
        user_id: str | None,
        item_ids: Sequence[str],
        *,
        recent_item_ids: Sequence[str] = (),
        recent_weights: Sequence[float] | None = None,
    ) -> dict[str, float]:
        """Scores of candidate items (from other sources) for a viewer; items unknown to the model get none."""
        scores = self.score(user_id, recent_item_ids=recent_item_ids, recent_weights=recent_weights)
        return {
            item_id: float(scores[position])
            for item_id in item_ids
            if (position := self.items.get(item_id)) is not None
        }

    def score(
        self,
        user_id: str | None,
        *,
        recent_item_ids: Sequence[str] = (),
        recent_weights: Sequence[float] | None = None,
    ) -> np.ndarray:
        """Scores of every item (aligned with `items`) for one viewer."""
        weights = list(recent_weights) if recent_weights is not None else [1.0] * len(recent_item_ids)
        if len(weights) != len(recent_item_ids):
            raise ValueError("recent_weights must have one entry per recent item")
        known = [
            (p, w)
            for item_id, w in zip(recent_item_ids, weights, strict=True)
            if (p := self.items.get(item_id)) is not None
        ]
        user_position = self.users.get(user_id) if user_id is not None else None
        if user_position is not None and not known:
            return self.model.score(np.array([user_position]))[0]
        event_weights = np.array([w for _, w in known], dtype=np.float32)
        if isinstance(self.model, HistoryRecommender):
            event_weights = self.model.event_weights(event_weights)
        recent = history_matrix(
            np.array([p for p, _ in known], dtype=np.int64), event_weights, self.model.n_items
        )
        if user_position is not None:
            recent = sp.csr_matrix(recent + self.model.history(np.array([user_position])))
        return self.model.score_histories(recent)[0]


def with_blend(trained: TrainedModel, weights: Mapping[str, float]) -> TrainedModel | None:
    """The same fitted model ranking with other blend weights for the named signals (an experiment's
    variant), or None when the model does not blend signals. The fitted matrices are shared, not
    copied; a signal that was not fitted (weight 0 at training, without tuning) contributes nothing."""
    blend = getattr(trained.model, "blend", None)
    if not isinstance(blend, dict) or not set(weights) <= set(blend):
        return None
    model = copy.copy(trained.model)
    model.blend = {**blend, **weights}  # type: ignore[attr-defined]  # a blending model (FeedRanker)
    return replace(trained, model=model, version=f"{trained.version}+blend")
