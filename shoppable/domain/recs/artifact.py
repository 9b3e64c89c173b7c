"""A trained ranker as the feed uses it, and its versioned files on disk.

Files are `<model>-<UTC time>-<sha256 prefix>.pkl` in one directory, plus a `LATEST` pointer holding
the current file name. `save` writes the new version under a temporary name and renames it, then
swaps the pointer with `os.replace`, so a reader sees the old model or the new one, never half a file.
`load` checks the content hash against the file name.

Pickle runs code on load: only ever load files from the model directory our own training wrote.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from shoppable.domain.recs.interactions import IdIndex
from shoppable.domain.recs.models.base import HistoryRecommender, history_matrix, top_k

FORMAT_VERSION = 1
LATEST = "LATEST"
_FILE_NAME = re.compile(r"^(?P<model>[a-z0-9_]+)-(?P<version>\d{8}T\d{6}Z-[0-9a-f]{12})\.pkl$")


@dataclass
class TrainedModel:
    """A fitted model with the id vocabularies it was trained on; ranks by string ids."""

    model: HistoryRecommender
    users: IdIndex
    items: IdIndex
    trained_at: float  # the `now` the model was fitted with, epoch seconds
    info: dict = field(default_factory=dict)
    version: str = ""  # set by save/load

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
        recent = history_matrix(
            np.array([p for p, _ in known], dtype=np.int64),
            np.array([w for _, w in known], dtype=np.float32),
            self.model.n_items,
        )
        if user_position is not None:
            recent = sp.csr_matrix(recent + self.model.history(np.array([user_position])))
        return self.model.score_histories(recent)[0]


def save(trained: TrainedModel, directory: Path | str) -> Path:
    """Write a new version and make it the latest; returns its path. `trained.version` is set."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    payload = pickle.dumps(
        {"format": FORMAT_VERSION, "trained": replace(trained, version="")}, protocol=pickle.HIGHEST_PROTOCOL
    )
    digest = hashlib.sha256(payload).hexdigest()[:12]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    version = f"{stamp}-{digest}"
    path = directory / f"{trained.name}-{version}.pkl"
    _write_atomically(path, payload)
    _write_atomically(directory / LATEST, (path.name + "\n").encode())
    trained.version = version
    return path


def load(path: Path | str) -> TrainedModel:
    """Load a version file, or the latest version of a model directory."""
    path = Path(path)
    if path.is_dir():
        pointer = path / LATEST
        if not pointer.exists():
            raise FileNotFoundError(f"{path}: no trained model yet (no {LATEST} pointer)")
        path = path / pointer.read_text().strip()
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise ValueError(f"{path}: not a model file name (<model>-<version>.pkl)")
    payload = path.read_bytes()
    version = match["version"]
    if hashlib.sha256(payload).hexdigest()[:12] != version[-12:]:
        raise ValueError(f"{path}: content does not match the hash in its name (corrupt or edited)")
    content = pickle.loads(payload)
    if content.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: model format {content.get('format')!r}, this code reads {FORMAT_VERSION}")
    trained: TrainedModel = content["trained"]
    trained.version = version
    return trained


def latest_path(directory: Path | str) -> Path | None:
    pointer = Path(directory) / LATEST
    return Path(directory) / pointer.read_text().strip() if pointer.exists() else None


def prune(directory: Path | str, keep: int = 3) -> list[Path]:
    """Delete all but the `keep` newest versions (never the latest one); returns the deleted paths."""
    directory = Path(directory)
    current = latest_path(directory)
    versions = sorted(
        (p for p in directory.glob("*.pkl") if _FILE_NAME.match(p.name)),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
        reverse=True,
    )
    doomed = [p for p in versions[max(keep, 1) :] if p != current]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
