from __future__ import annotations

import pytest

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


def test_train_file_trains_from_csv(tmp_path):
    users, items, times = events()
    csv_path = tmp_path / "interactions.csv"
    csv_path.write_text(
        "user_id,item_id,timestamp\n"
        + "".join(f"{u},{i},{t:.0f}\n" for u, i, t in zip(users, items, times, strict=True))
    )
    model = train_file(csv_path)
    assert model.name == "feed" and model.info["interactions"] == 24
    assert model.version == ""  # not saved: storage.recs_artifacts keeps versions
