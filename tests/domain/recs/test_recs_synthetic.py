from __future__ import annotations

import json

import numpy as np
import pytest

from shoppable.domain.recs import synthetic
from shoppable.domain.recs.evaluation import evaluate, run_eval_file
from shoppable.domain.recs.interactions import SECONDS_PER_DAY, load_interactions_csv
from shoppable.domain.recs.item_meta import load_items_csv


def test_generation_is_deterministic_per_seed():
    first = synthetic.generate(200, 150, 3000, seed=3)
    second = synthetic.generate(200, 150, 3000, seed=3)
    other = synthetic.generate(200, 150, 3000, seed=4)
    for name in ("user", "item", "timestamp", "weight"):
        np.testing.assert_array_equal(getattr(first.interactions, name), getattr(second.interactions, name))
    np.testing.assert_array_equal(first.items.price, second.items.price)
    assert not np.array_equal(first.interactions.item, other.interactions.item)


def test_generated_world_is_plausible():
    dataset = synthetic.generate(500, 400, 20_000, seed=0)
    rows, items = dataset
    assert len(rows) == 20_000
    assert set(np.unique(rows.user)) == set(range(500))
    assert rows.timestamp.max() <= synthetic.END
    assert rows.timestamp.min() >= synthetic.END - 120 * SECONDS_PER_DAY
    # Nobody touches an item before it is published.
    assert np.all(items.created_at[rows.item] <= rows.timestamp + 1)
    counts = np.bincount(rows.item, minlength=len(items))
    assert counts.max() > 20 * np.median(counts[counts > 0])  # popularity is skewed
    pairs = rows.user.astype(np.int64) * len(items) + rows.item
    assert len(np.unique(pairs)) < len(pairs)  # some repeat interactions
    assert set(np.unique(rows.weight)) <= {1.0, 2.0, 4.0}
    # Users stick to a few creators: the top creator takes a large share of a typical user's events.
    creator = items.creator[rows.item]
    shares = [np.bincount(creator[rows.user == u]).max() / (rows.user == u).sum() for u in range(100)]
    assert np.median(shares) > 0.25


def test_generate_rejects_impossible_sizes():
    with pytest.raises(ValueError):
        synthetic.generate(10, 10, 5)


def test_written_files_load_back(tmp_path):
    dataset = synthetic.generate(50, 40, 600, seed=1)
    interactions_path, items_path = synthetic.write_csv(dataset, tmp_path / "data")
    interactions = load_interactions_csv(interactions_path)
    assert len(interactions) == 600
    np.testing.assert_array_equal(np.sort(interactions.timestamp), np.sort(dataset.interactions.timestamp))
    assert interactions.weight.sum() == pytest.approx(dataset.interactions.weight.sum())
    records = load_items_csv(items_path)
    assert len(records) == 40
    assert records[0].created_at == pytest.approx(float(dataset.items.created_at[0]))
    assert records[0].creator_id == f"c{dataset.items.creator[0]}"


def test_feed_beats_popularity_and_item_knn_on_synthetic_data(tmp_path):
    """The issue's acceptance check, small enough for CI."""
    interactions_path, items_path = synthetic.synthesize(
        tmp_path, users=1500, items=1000, interactions=40_000, seed=0
    )
    report = run_eval_file(
        interactions_path,
        items_csv=items_path,
        test_days=14,
        k=10,
        json_out=tmp_path / "report.json",
        models=["random", "popularity", "item_knn", "feed"],
    )
    ndcg = {
        name: values["ndcg@10"]
        for name, values in json.loads((tmp_path / "report.json").read_text())["models"].items()
    }
    assert ndcg["feed"] > ndcg["popularity"]
    assert ndcg["feed"] > ndcg["item_knn"]
    assert ndcg["popularity"] > ndcg["random"]
    assert ndcg["item_knn"] > ndcg["popularity"]  # there is taste to personalize on
    assert report.users > 1000


def test_feed_beats_item_knn_even_without_item_metadata():
    dataset = synthetic.generate(1500, 1000, 40_000, seed=0)
    report = evaluate(dataset.to_interactions(), models=["item_knn", "feed"], meta=None)
    assert report.models["feed"].ndcg > report.models["item_knn"].ndcg


def test_dataset_helpers_build_interactions_and_metadata():
    dataset = synthetic.generate(300, 200, 8000, seed=2)
    interactions = dataset.to_interactions()
    meta = dataset.item_meta(interactions)
    assert interactions.n_items == 200  # every catalogue item, touched or not
    assert (meta.creator >= 0).all() and np.isfinite(meta.price).all()
    report = evaluate(interactions, models=["popularity"], meta=meta)
    assert report.models["popularity"].ndcg > 0
