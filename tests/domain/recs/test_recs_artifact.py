from __future__ import annotations

import numpy as np
import pytest

from shoppable.domain.recs import artifact
from shoppable.domain.recs.interactions import SECONDS_PER_DAY
from shoppable.domain.recs.item_meta import ItemRecord
from shoppable.domain.recs.training import train_file, train_from_arrays

DAY = SECONDS_PER_DAY
NOW = 1_750_000_000.0


def events():
    users, items, times = [], [], []
    for user in range(8):
        tribe = "a" if user < 4 else "b"
        for item in range(3):
            users.append(f"u{user}")
            items.append(f"{tribe}{(user + item) % 4}")
            times.append(NOW - (user + item) * DAY)
    return users, items, times


CATALOG = [
    ItemRecord(f"{t}{i}", f"creator-{t}", "cat", 10.0 + i, NOW - 30 * DAY) for t in "ab" for i in range(4)
]


def trained(**params):
    users, items, times = events()
    return train_from_arrays(
        users, items, times, items=[*CATALOG, ItemRecord("a_new", "creator-a")], now=NOW, **params
    )


def test_train_from_arrays_returns_a_feed_model_with_vocabularies():
    model = trained()
    assert model.name == "feed"
    assert model.trained_at == NOW
    assert "a_new" in model.items  # catalogue items without events are rankable
    assert model.info["interactions"] == 24 and model.info["items"] == 9


def test_recommend_by_string_ids_for_known_new_and_anonymous_users():
    model = trained()
    for_known = model.recommend("u1", 3, exclude_item_ids=["a1", "a2", "a3"])
    assert len(for_known) == 3 and not {"a1", "a2", "a3"} & set(for_known)
    # A visitor unknown to the model, folded in from this session's events (unknown ids ignored).
    visitor = model.recommend("someone", 2, recent_item_ids=["b1", "b2", "not-in-catalogue"])
    assert all(item.startswith("b") for item in visitor)
    # Nobody at all: the cold-start ranking.
    assert len(model.recommend(None, 4)) == 4
    scores = model.score_items("u1", ["a1", "b1", "nope"])
    assert set(scores) == {"a1", "b1"}
    with pytest.raises(ValueError, match="one entry per recent item"):
        model.recommend("u1", recent_item_ids=["a1"], recent_weights=[1.0, 2.0])


def test_recent_events_move_a_known_users_ranking():
    model = trained(params={"tune": False})
    before = model.score("u0")
    after = model.score("u0", recent_item_ids=["b2", "b3"])
    b0 = model.items.get("b0")
    assert after[b0] > before[b0]


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


def test_train_file_saves_a_version(tmp_path):
    users, items, times = events()
    csv_path = tmp_path / "interactions.csv"
    csv_path.write_text(
        "user_id,item_id,timestamp\n"
        + "".join(f"{u},{i},{t:.0f}\n" for u, i, t in zip(users, items, times, strict=True))
    )
    model, path = train_file(csv_path, tmp_path / "models")
    assert artifact.load(tmp_path / "models").version == model.version
    assert path.parent == tmp_path / "models"
