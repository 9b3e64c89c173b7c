"""Implicit-feedback interactions: string ids mapped once to dense indices, kept as flat numpy arrays.

Every model and the evaluation work on the same `Interactions` value, whether it was read from a
CSV file (offline evaluation) or built from the events table (training job), so that the ranker
evaluated offline is exactly the ranker served.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.weighting import apply_weighting

SECONDS_PER_DAY = 86_400.0

REQUIRED_COLUMNS = ("user_id", "item_id", "timestamp")


class IdIndex:
    """A vocabulary: string id <-> dense index, in order of first appearance."""

    __slots__ = ("_ids", "_positions")

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        for value in ids:
            self.add(value)

    def add(self, value: str) -> int:
        position = self._positions.get(value)
        if position is None:
            position = len(self._ids)
            self._positions[value] = position
            self._ids.append(value)
        return position

    def encode(self, values: Iterable[str]) -> np.ndarray:
        """Indices of `values`, adding the ones not seen before."""
        positions = self._positions
        ids = self._ids
        out: list[int] = []
        append = out.append
        for value in values:
            position = positions.get(value)
            if position is None:
                position = len(ids)
                positions[value] = position
                ids.append(value)
            append(position)
        return np.asarray(out, dtype=np.int32)

    def get(self, value: str) -> int | None:
        return self._positions.get(value)

    def __contains__(self, value: object) -> bool:
        return value in self._positions

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, position: int) -> str:
        return self._ids[position]

    @property
    def ids(self) -> list[str]:
        return self._ids

    def lookup(self, positions: Iterable[int]) -> list[str]:
        ids = self._ids
        return [ids[int(p)] for p in positions]

    def __getstate__(self) -> list[str]:
        return self._ids

    def __setstate__(self, ids: list[str]) -> None:
        self._ids = list(ids)
        self._positions = {value: position for position, value in enumerate(self._ids)}


@dataclass(frozen=True, eq=False)
class Interactions:
    """Interactions of users with items; parallel arrays, one entry per event.

    `users` and `items` are the vocabularies (catalogue) shared by every subset made with `subset`,
    so a model fitted on a training split scores the same item indices the test split uses.
    """

    users: IdIndex
    items: IdIndex
    user_idx: np.ndarray  # int32
    item_idx: np.ndarray  # int32
    timestamp: np.ndarray  # float64, epoch seconds
    weight: np.ndarray  # float32

    @classmethod
    def from_arrays(
        cls,
        user_ids: Sequence[str],
        item_ids: Sequence[str],
        timestamps: Sequence[float] | np.ndarray,
        weights: Sequence[float] | np.ndarray | None = None,
        *,
        catalog_item_ids: Iterable[str] = (),
    ) -> Interactions:
        """Encode raw ids. `catalog_item_ids` adds items that have no interactions yet (new products)."""
        if not (len(user_ids) == len(item_ids) == len(timestamps)):
            raise ValueError("user_ids, item_ids and timestamps must have the same length")
        users = IdIndex()
        items = IdIndex()
        user_idx = users.encode(str(u) for u in user_ids)
        item_idx = items.encode(str(i) for i in item_ids)
        for item_id in catalog_item_ids:
            items.add(str(item_id))
        timestamp = np.asarray(timestamps, dtype=np.float64)
        if weights is None:
            weight = np.ones(len(user_idx), dtype=np.float32)
        else:
            weight = np.asarray(weights, dtype=np.float32)
            if len(weight) != len(user_idx):
                raise ValueError("weights must have one entry per interaction")
        if len(timestamp) and not np.all(np.isfinite(timestamp)):
            raise ValueError("timestamps must be finite")
        if len(weight) and (not np.all(np.isfinite(weight)) or np.any(weight < 0)):
            raise ValueError("weights must be finite and non-negative")
        return cls(users, items, user_idx, item_idx, timestamp, weight)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.user_idx)

    def subset(self, mask: np.ndarray) -> Interactions:
        """The interactions selected by a boolean mask (or index array), with the same vocabularies."""
        return Interactions(
            self.users,
            self.items,
            self.user_idx[mask],
            self.item_idx[mask],
            self.timestamp[mask],
            self.weight[mask],
        )

    def to_csr(
        self,
        *,
        half_life_days: float | None = None,
        now: float | None = None,
        recency_boost: float = 0.0,
        recency_half_life_days: float = 14.0,
        event_weighting: str = "raw",
    ) -> sp.csr_matrix:
        """User x item matrix of summed weights, each event decayed by its age when a half-life is given.

        `event_weighting` (recs.weighting) applies to each event's weight before the sum: `binary`
        counts events (orders of a product, whatever their quantities), `log` log(1 + quantity).

        `recency_boost` b multiplies each event by 1 + b * 2^(-age / recency_half_life_days): recent
        events count up to 1 + b times as much while old ones keep their full weight, unlike the
        half-life decay, which erases old purchases that still say what a shopper buys.
        """
        data = self.weight.astype(np.float64)
        if event_weighting != "raw":
            data = apply_weighting(data, event_weighting).astype(np.float64)
        if half_life_days is not None or recency_boost:
            if now is None:
                now = float(self.timestamp.max()) if len(self) else 0.0
            age_days = np.maximum(now - self.timestamp, 0.0) / SECONDS_PER_DAY
            if half_life_days is not None:
                data = data * np.exp2(-age_days / half_life_days)
            if recency_boost:
                data = data * (1.0 + recency_boost * np.exp2(-age_days / recency_half_life_days))
        matrix = sp.csr_matrix(
            (data.astype(np.float32), (self.user_idx, self.item_idx)),
            shape=(self.n_users, self.n_items),
            dtype=np.float32,
        )
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        return matrix


def temporal_split(interactions: Interactions, test_days: float) -> tuple[Interactions, Interactions, float]:
    """Split at `cutoff = latest timestamp - test_days`: events strictly before go to training,
    events at or after the cutoff to test. Returns (train, test, cutoff)."""
    if test_days <= 0:
        raise ValueError("test_days must be positive")
    if len(interactions) == 0:
        raise ValueError("no interactions to split")
    cutoff = float(interactions.timestamp.max()) - test_days * SECONDS_PER_DAY
    in_test = interactions.timestamp >= cutoff
    return interactions.subset(~in_test), interactions.subset(in_test), cutoff


def parse_timestamp(text: str) -> float:
    """Epoch seconds from epoch seconds (int or float) or an ISO-8601 string; naive times are UTC."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"timestamp {text!r} is not finite")
        return seconds
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"timestamp {text!r} is neither epoch seconds nor ISO-8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _header_positions(header: list[str] | None, path: Path, required: Sequence[str]) -> dict[str, int]:
    if not header:
        raise ValueError(f"{path}: line 1: empty file, expected a header with {', '.join(required)}")
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise ValueError(
            f"{path}: line 1: header lacks column(s) {', '.join(missing)} (found {', '.join(names)})"
        )
    return {name: position for position, name in enumerate(names)}


def load_interactions_csv(path: Path | str, *, catalog_item_ids: Iterable[str] = ()) -> Interactions:
    """Read `user_id,item_id,timestamp[,weight]` (header required, extra columns ignored).

    Rows are streamed; a bad row raises ValueError naming the file and line number.
    """
    path = Path(path)
    users = IdIndex()
    items = IdIndex()
    user_idx: list[int] = []
    item_idx: list[int] = []
    timestamps: list[float] = []
    weights: list[float] = []
    add_user = users.add
    add_item = items.add
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        columns = _header_positions(next(reader, None), path, REQUIRED_COLUMNS)
        user_col, item_col, time_col = (columns[name] for name in REQUIRED_COLUMNS)
        weight_col = columns.get("weight")
        width = max(columns.values()) + 1
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) < width:
                raise ValueError(f"{path}: line {line}: expected {width} fields, found {len(row)}")
            user_id = row[user_col].strip()
            item_id = row[item_col].strip()
            if not user_id or not item_id:
                raise ValueError(f"{path}: line {line}: empty user_id or item_id")
            try:
                timestamp = parse_timestamp(row[time_col])
            except ValueError as error:
                raise ValueError(f"{path}: line {line}: {error}") from None
            weight = 1.0
            if weight_col is not None and row[weight_col].strip():
                try:
                    weight = float(row[weight_col])
                except ValueError:
                    raise ValueError(
                        f"{path}: line {line}: weight {row[weight_col]!r} is not a number"
                    ) from None
                if not math.isfinite(weight) or weight < 0:
                    raise ValueError(f"{path}: line {line}: weight {row[weight_col]!r} must be >= 0")
            user_idx.append(add_user(user_id))
            item_idx.append(add_item(item_id))
            timestamps.append(timestamp)
            weights.append(weight)
    for item_id in catalog_item_ids:
        items.add(item_id)
    if not user_idx:
        raise ValueError(f"{path}: no interactions after the header")
    return Interactions(
        users,
        items,
        np.asarray(user_idx, dtype=np.int32),
        np.asarray(item_idx, dtype=np.int32),
        np.asarray(timestamps, dtype=np.float64),
        np.asarray(weights, dtype=np.float32),
    )
