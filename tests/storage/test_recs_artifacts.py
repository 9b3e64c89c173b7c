"""Trained model versions on disk: atomic saves, the LATEST pointer, hash checks, pruning."""

from __future__ import annotations

import numpy as np
import pytest

from shoppable.storage import recs_artifacts as artifact
from tests.domain.recs.test_recs_training import trained


def test_save_load_round_trip_and_latest_pointer(tmp_path):
    first = trained(params={"tune": False})
    path = artifact.save(first, tmp_path)
    assert path.name == f"feed-{first.version}.pkl"
    assert (tmp_path / artifact.LATEST).read_text().strip() == path.name
    loaded = artifact.load(tmp_path)
    assert loaded.version == first.version
    assert loaded.items.ids == first.items.ids and loaded.info == first.info
    np.testing.assert_array_equal(loaded.score("u3"), first.score("u3"))
    assert loaded.recommend("u3", 5) == first.recommend("u3", 5)

    second = trained(params={"tune": False, "weights": {"popularity": 2.0}})
    second_path = artifact.save(second, tmp_path)
    assert second_path != path and path.exists()
    assert artifact.latest_path(tmp_path) == second_path
    assert artifact.load(tmp_path).version == second.version
    assert artifact.load(path).version == first.version  # older versions stay loadable by path
    assert not list(tmp_path.glob("*.tmp"))  # nothing left from the atomic writes


def test_als_model_round_trips_and_still_folds_in(tmp_path):
    model = trained(model="als", params={"factors": 4, "iterations": 3})
    artifact.save(model, tmp_path)
    loaded = artifact.load(tmp_path)
    np.testing.assert_allclose(
        loaded.score("new", recent_item_ids=["b1"]), model.score("new", recent_item_ids=["b1"]), rtol=1e-5
    )


def test_load_rejects_tampered_or_foreign_files(tmp_path):
    path = artifact.save(trained(params={"tune": False}), tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match the hash"):
        artifact.load(tmp_path)
    other = tmp_path / "notes.pkl"
    other.write_bytes(b"x")
    with pytest.raises(ValueError, match="not a model file name"):
        artifact.load(other)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no trained model yet"):
        artifact.load(tmp_path / "empty")


def test_prune_keeps_the_newest_versions_and_the_latest(tmp_path):
    paths = []
    for popularity in (0.1, 0.2, 0.3, 0.4):
        model = trained(params={"tune": False, "weights": {"popularity": popularity}})
        paths.append(artifact.save(model, tmp_path))
    deleted = artifact.prune(tmp_path, keep=2)
    remaining = sorted(p.name for p in tmp_path.glob("*.pkl"))
    assert len(remaining) == 2 and len(deleted) == 2
    assert artifact.latest_path(tmp_path).name in remaining
    artifact.load(tmp_path)
