from __future__ import annotations

import json
import math

import numpy as np
import pytest

from shoppable.domain.recs.evaluation import evaluate, run_eval_file
from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.models.base import HistoryRecommender

DAY = SECONDS_PER_DAY


class FixedPreferences(HistoryRecommender):
    """Scores from a fixed preference order per user id (first = best); records what it was given."""

    name = "fixed"

    def __init__(self, preferences: dict[str, list[str]]) -> None:
        self.preferences = preferences

    def _fit(self, train, meta, now):
        self.train, self.fitted_now = train, now

    def _score_rows(self, histories, user_indices):
        scores = np.zeros((len(user_indices), self.n_items), dtype=np.float32)
        for row, user in enumerate(user_indices):
            order = self.preferences.get(self.train.users[int(user)], [])
            for rank, item_id in enumerate(order):
                scores[row, self.train.items.get(item_id)] = len(order) - rank
        return scores


def tiny() -> Interactions:
    """Train: A i0, B i1, D i0 (days 1-3). Test (last day): A i1 i2, B i1 (seen) i3, C i4 (no train).

    Training users: A, B, D. Users per item in training: i0 2, i1 1, i2 0, i3 0, i4 0.
    """
    rows = [
        ("A", "i0", 1 * DAY),
        ("B", "i1", 2 * DAY),
        ("D", "i0", 3 * DAY),
        ("A", "i1", 9.5 * DAY),
        ("A", "i2", 9.6 * DAY),
        ("B", "i1", 9.7 * DAY),
        ("B", "i3", 9.8 * DAY),
        ("C", "i4", 10 * DAY),
    ]
    users, items, times = zip(*rows, strict=True)
    return Interactions.from_arrays(users, items, times)


PREFERENCES = {"A": ["i0", "i3", "i1", "i2", "i4"], "B": ["i1", "i4", "i3", "i0", "i2"]}
TWO_HITS_IDEAL = 1 + 1 / math.log2(3)


def test_metrics_match_hand_computation_with_seen_items_excluded():
    model = FixedPreferences(PREFERENCES)
    report = evaluate(tiny(), test_days=1, k=2, models={"fixed": model})
    assert report.users == 2  # C has no training history, D no test history
    assert report.items == 5
    assert (report.train_interactions, report.test_interactions) == (3, 5)
    assert model.fitted_now == report.cutoff == 9 * DAY
    result = report.models["fixed"]
    # A: i0 is seen -> list [i3, i1]; relevant {i1, i2}: hit at rank 2. NDCG 0.6309/1.6309, recall 1/2.
    # B: i1 is seen and leaves the relevant set too -> list [i4, i3]; relevant {i3}: hit at rank 2.
    ndcg_a = (1 / math.log2(3)) / TWO_HITS_IDEAL
    ndcg_b = 1 / math.log2(3)
    assert result.ndcg == pytest.approx((ndcg_a + ndcg_b) / 2)
    assert result.recall == pytest.approx((0.5 + 1.0) / 2)
    assert result.coverage == pytest.approx(3 / 5)  # i3, i1, i4
    # p(item) = (training users of item + 1) / (3 + 1): i3 -> 2 bits, i1 -> 1 bit, i4 -> 2 bits.
    assert result.novelty == pytest.approx((2 + 1 + 2 + 2) / 4)


def test_include_seen_ranks_and_counts_repeat_interactions():
    report = evaluate(
        tiny(), test_days=1, k=2, include_seen=True, models={"fixed": FixedPreferences(PREFERENCES)}
    )
    result = report.models["fixed"]
    # A: [i0, i3] vs {i1, i2}: no hit. B: [i1, i4] vs {i1, i3}: hit at rank 1 of 2 relevant.
    assert result.ndcg == pytest.approx((0 + 1 / TWO_HITS_IDEAL) / 2)
    assert result.recall == pytest.approx((0 + 0.5) / 2)
    assert result.coverage == pytest.approx(4 / 5)  # i0, i3, i1, i4


def test_users_whose_test_items_were_all_seen_are_not_evaluated():
    interactions = Interactions.from_arrays(
        ["A", "A", "B", "B"], ["x", "x", "y", "z"], [0, 9 * DAY, 0, 9.5 * DAY]
    )
    report = evaluate(interactions, test_days=1, k=5, models={"fixed": FixedPreferences({})})
    assert report.users == 1  # A only re-touched x
    assert evaluate(interactions, test_days=1, include_seen=True, models=["popularity"]).users == 2


def test_recall_is_capped_at_k_relevant_items():
    # One user with 3 relevant items and k=1: a hit at rank 1 is a perfect recall@1.
    interactions = Interactions.from_arrays(
        ["A"] * 4, ["w", "x", "y", "z"], [0, 9.1 * DAY, 9.2 * DAY, 9.3 * DAY]
    )
    report = evaluate(interactions, test_days=1, k=1, models={"fixed": FixedPreferences({"A": ["x"]})})
    assert report.models["fixed"].recall == 1.0
    assert report.models["fixed"].ndcg == 1.0


def test_json_shape_and_table():
    report = evaluate(tiny(), test_days=1, k=2, models=["random", "popularity"])
    document = json.loads(report.to_json())
    assert set(document["models"]) == {"random", "popularity"}
    assert {"ndcg@2", "recall@2", "coverage@2", "novelty"} <= set(document["models"]["popularity"])
    assert document["users"] == 2 and document["items"] == 5
    table = report.format_table()
    assert "ndcg@2" in table and "popularity" in table and "users evaluated: 2" in table


def test_evaluation_needs_training_data():
    interactions = Interactions.from_arrays(["A"], ["x"], [0.0])
    with pytest.raises(ValueError, match="nothing to train on"):
        evaluate(interactions, test_days=1, models=["popularity"])


def test_small_batches_give_the_same_metrics():
    whole = evaluate(tiny(), test_days=1, k=2, models={"fixed": FixedPreferences(PREFERENCES)})
    batched = evaluate(
        tiny(), test_days=1, k=2, models={"fixed": FixedPreferences(PREFERENCES)}, batch_size=1
    )
    assert whole.models["fixed"].ndcg == batched.models["fixed"].ndcg
    assert whole.models["fixed"].coverage == batched.models["fixed"].coverage


def test_run_eval_file_writes_the_json_report(tmp_path):
    (tmp_path / "interactions.csv").write_text(
        "user_id,item_id,timestamp\n"
        + "".join(f"u{u},i{(u + j) % 7},{j * DAY + u}\n" for u in range(12) for j in range(10))
    )
    (tmp_path / "items.csv").write_text(
        "item_id,creator_id,category,price\n" + "".join(f"i{i},c{i % 2},k{i % 3},{i}\n" for i in range(9))
    )
    out = tmp_path / "report.json"
    report = run_eval_file(
        tmp_path / "interactions.csv",
        items_csv=tmp_path / "items.csv",
        test_days=2,
        k=3,
        json_out=out,
        models=["random", "popularity", "item_knn", "als", "feed"],
    )
    document = json.loads(out.read_text())
    assert document["items"] == 9  # two items only exist in the catalogue file
    assert set(document["models"]) == {"random", "popularity", "item_knn", "als", "feed"}
    assert document["models"]["feed"]["ndcg@3"] == report.models["feed"].ndcg


def test_feed_is_tuned_for_repeats_when_seen_items_are_included():
    interactions = Interactions.from_arrays(
        [f"u{u % 6}" for u in range(120)],
        [f"i{(u * 7) % 5}" for u in range(120)],
        [u * 0.2 * DAY for u in range(120)],
    )
    report = evaluate(interactions, test_days=4, include_seen=True, models=["feed"])
    assert report.include_seen and report.models["feed"].ndcg > 0


def test_validation_never_looks_at_the_test_period():
    # Test period (last 5 days before 14.5): days 9.5-14.5, A i2 and B i2. Validation drops them; the
    # latest remaining event is day 7, so it tests days 2-7 (B i1, A i3, B i4) on training before day 2.
    model = FixedPreferences({"A": ["i3"]})
    rows = [("A", "i0", 1 * DAY), ("B", "i1", 2 * DAY), ("A", "i3", 6 * DAY), ("B", "i4", 7 * DAY)]
    rows += [("A", "i2", 14 * DAY), ("B", "i2", 14.5 * DAY)]
    users, items, times = zip(*rows, strict=True)
    interactions = Interactions.from_arrays(users, items, times)
    report = evaluate(interactions, test_days=5, k=2, validation=True, models={"fixed": model})
    assert report.validation and report.cutoff == 2 * DAY
    assert model.train.timestamp.max() == 1 * DAY
    assert (report.train_interactions, report.test_interactions) == (1, 3)
    assert report.users == 1  # A (trained on i0, validated on i3); B has no training
    assert report.models["fixed"].ndcg == 1.0
    document = json.loads(report.to_json())
    assert document["validation"] is True
    assert "validation period" in report.format_table()
    test = evaluate(interactions, test_days=5, k=2, models={"fixed": FixedPreferences({})})
    assert not test.validation and test.cutoff == 9.5 * DAY


def test_report_has_fit_memory_ease_size_and_feed_against_the_best_baseline():
    from shoppable.domain.recs.synthetic import generate

    interactions = generate(300, 80, 6000, seed=1).to_interactions()
    report = evaluate(interactions, test_days=14, k=3, models=["feed", "random", "popularity", "ease"])
    assert list(report.models) == ["feed", "random", "popularity", "ease"]
    ease = report.models["ease"]
    assert ease.peak_mb > 0 and ease.fit_seconds >= 0
    trained_items = len(set(interactions.item_idx[interactions.timestamp < report.cutoff].tolist()))
    assert ease.note.startswith(f"EASE on the top {trained_items} of {report.items} items by users")
    best, ratio = report.feed_vs_best_baseline()
    assert best in ("popularity", "ease")  # random is no baseline
    assert ratio == pytest.approx(report.models["feed"].ndcg / report.models[best].ndcg)
    document = json.loads(report.to_json())
    assert document["feed_vs_best_baseline"] == {"baseline": best, "ratio": ratio}
    assert "fit_peak_mb" in document["models"]["ease"]
    assert f"feed / best baseline ({best})" in report.format_table()
