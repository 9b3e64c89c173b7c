from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from shoppable.domain.recs.interactions import SECONDS_PER_DAY, Interactions
from shoppable.domain.recs.item_meta import ItemMeta, ItemRecord
from shoppable.domain.recs.models import (
    MODELS,
    FeedRanker,
    Recommender,
    build_model,
    default_model_names,
    top_k,
)
from shoppable.domain.recs.models.base import top_k_rows
from shoppable.domain.recs.models.feed import HISTORY_CHOICES, _Parts
from shoppable.domain.recs.models.neighbourhood import keep_top_k_per_row
from shoppable.domain.recs.weighting import weigh

DAY = SECONDS_PER_DAY
NOW = 100 * DAY


def two_tribes() -> Interactions:
    """Users 0-9 use items a0-a4, users 10-19 items b0-b4; a-items are a bit more popular overall."""
    rng = np.random.default_rng(0)
    users, items, times = [], [], []
    for user in range(20):
        tribe = "a" if user < 10 else "b"
        chosen = rng.choice(5, size=4, replace=False)
        for item in chosen:
            users.append(f"u{user}")
            items.append(f"{tribe}{item}")
            times.append(NOW - rng.uniform(1, 30) * DAY)
    users += ["u0", "u1"]
    items += ["a0", "a0"]
    times += [NOW - DAY, NOW - DAY]
    return Interactions.from_arrays(users, items, times)


def item_positions(interactions: Interactions, prefix: str) -> set[int]:
    return {p for p, item_id in enumerate(interactions.items.ids) if item_id.startswith(prefix)}


@pytest.mark.parametrize("name", ["item_knn", "rp3beta", "ease", "als", "feed"])
def test_personalized_models_recommend_from_the_users_tribe(name):
    interactions = two_tribes()
    params = {"factors": 4, "iterations": 10, "regularization": 0.01} if name == "als" else {}
    model = build_model(name, **params)
    model.fit(interactions, None, NOW)
    a_items, b_items = item_positions(interactions, "a"), item_positions(interactions, "b")
    for user_id, tribe in (("u3", a_items), ("u14", b_items)):
        user = interactions.users.get(user_id)
        seen = model.history(np.array([user])).indices
        top = model.recommend(user, 1, exclude=seen)  # each user has seen 4 of their 5 items
        assert set(top.tolist()) <= tribe, (name, user_id, top)
    # Fold-in: someone new who touched one b-item gets b-items.
    b1 = interactions.items.get("b1")
    top = model.recommend_for_history(np.array([b1]), None, k=3, exclude=np.array([b1]))
    assert set(top.tolist()) <= b_items, (name, top)


def test_batch_scores_have_one_row_per_user():
    interactions = two_tribes()
    for name in MODELS:
        model = build_model(name)
        model.fit(interactions, None, NOW)
        assert isinstance(model, Recommender)
        scores = model.score(np.array([0, 5, 19]))
        assert scores.shape == (3, interactions.n_items), name
        folded = model.score_histories(sp.csr_matrix((2, interactions.n_items), dtype=np.float32))
        assert folded.shape == (2, interactions.n_items), name


def test_popularity_decays_old_interactions():
    interactions = Interactions.from_arrays(
        ["a", "b", "c", "d"], ["old", "old", "old", "new"], [NOW - 60 * DAY] * 3 + [NOW - DAY]
    )
    decayed = build_model("popularity", half_life_days=7)
    decayed.fit(interactions, None, NOW)
    assert interactions.items.lookup(decayed.recommend(0, 2)) == ["new", "old"]
    plain = build_model("popularity", half_life_days=None)
    plain.fit(interactions, None, NOW)
    assert interactions.items.lookup(plain.recommend(0, 2)) == ["old", "new"]


def test_random_is_reproducible_for_a_seed():
    interactions = two_tribes()
    first, second, other = (build_model("random", seed=s) for s in (7, 7, 8))
    for model in (first, second, other):
        model.fit(interactions, None, NOW)
    users = np.arange(5)
    np.testing.assert_array_equal(first.score(users), second.score(users))
    assert not np.array_equal(first.score(users), other.score(users))


def test_ease_keeps_the_items_with_most_users_and_matches_the_closed_form():
    interactions = two_tribes()
    model = build_model("ease", max_items=3, l2=2.0)
    model.fit(interactions, None, NOW)
    # a0 has the most users; the next two by users, ties to the lower index.
    users_per_item = np.bincount(interactions.item_idx, minlength=interactions.n_items)
    kept = set(model.kept_items.tolist())
    assert len(kept) == 3 and interactions.items.get("a0") in kept
    assert min(users_per_item[list(kept)]) >= max(np.delete(users_per_item, list(kept)))
    assert model.memory_bytes == 4 * 3 * 3
    scores = model.score(np.arange(interactions.n_users))
    outside = np.setdiff1d(np.arange(interactions.n_items), model.kept_items)
    assert np.all(np.isneginf(scores[:, outside]))
    # B = I - P / diag(P), P = (X'X + l2 I)^-1, on the binary histories of the kept items.
    x = (model.history(np.arange(interactions.n_users)).toarray() > 0)[:, model.kept_items].astype(float)
    inverse = np.linalg.inv(x.T @ x + 2.0 * np.eye(3))
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(scores[:, model.kept_items], x @ expected, rtol=1e-4, atol=1e-5)
    assert "ease" in default_model_names(10**6)
    with pytest.raises(ValueError, match="max_items"):
        build_model("ease", max_items=0)


def test_edlae_and_dlae_match_their_closed_forms_and_dropout_zero_is_ease():
    from shoppable.domain.recs.models.factorization import ease_weights

    rng = np.random.default_rng(3)
    x = (rng.random((40, 6)) < 0.4).astype(np.float32)
    gram = x.T.astype(np.float64) @ x
    ease = ease_weights(sp.csr_matrix(x), 2.0)
    inverse = np.linalg.inv(gram + 2.0 * np.eye(6))
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ease, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ease_weights(sp.csr_matrix(x), 2.0, dropout=0.0), ease, rtol=1e-6)
    # EDLAE (Steck 2020): the penalty is l2 + p / (1 - p) times each item's own Gram diagonal.
    penalty = np.diag(2.0 + 0.3 / 0.7 * np.diag(gram))
    inverse = np.linalg.inv(gram + penalty)
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0.0)
    edlae = ease_weights(sp.csr_matrix(x), 2.0, dropout=0.3)
    np.testing.assert_allclose(edlae, expected, rtol=1e-4, atol=1e-6)
    assert not np.allclose(edlae, ease, rtol=1e-3)
    # DLAE: no zero-diagonal constraint, B = (G + L)^-1 G.
    dlae = ease_weights(sp.csr_matrix(x), 2.0, dropout=0.3, zero_diagonal=False)
    np.testing.assert_allclose(dlae, np.linalg.solve(gram + penalty, gram), rtol=1e-3, atol=1e-5)
    with pytest.raises(ValueError, match="dropout"):
        ease_weights(sp.csr_matrix(x), 2.0, dropout=1.0)
    with pytest.raises(ValueError, match="dropout"):
        build_model("ease", dropout=-0.1)
    model = build_model("ease", l2=2.0, dropout=0.3)
    model.fit(two_tribes(), None, NOW)
    assert model.weights.shape == (len(model.kept_items),) * 2


def test_feed_history_counts_orders_not_quantities():
    # "bulk" bought once in a quantity of 500, "staple" in three orders of one.
    interactions = Interactions.from_arrays(
        ["u", "u", "u", "u", "v"],
        ["bulk", "staple", "staple", "staple", "staple"],
        [NOW - 3 * DAY, NOW - 3 * DAY, NOW - 2 * DAY, NOW - DAY, NOW - DAY],
        [500.0, 1.0, 1.0, 1.0, 1.0],
    )
    bulk, staple = interactions.items.get("bulk"), interactions.items.get("staple")
    raw = FeedRanker(tune=False, history_recency_boost=0.0, history_event_weighting="raw")
    raw.fit(interactions, None, NOW)
    row = raw.history(np.array([interactions.users.get("u")])).toarray()[0]
    assert row[bulk] == 500 and row[staple] == 3
    counted = FeedRanker(tune=False, history_recency_boost=0.0)  # the default counts events
    counted.fit(interactions, None, NOW)
    row = counted.history(np.array([interactions.users.get("u")])).toarray()[0]
    assert row[bulk] == 1 and row[staple] == 3
    # Fold-in counts a new viewer's events the same way: a quantity of 500 is one purchase.
    assert np.array_equal(counted.event_weights(np.array([500.0, 1.0])), [1.0, 1.0])
    assert raw.event_weights(np.array([500.0, 1.0])).tolist() == [500.0, 1.0]
    with pytest.raises(ValueError, match="unknown weighting"):
        FeedRanker(history_event_weighting="sqrt")


def test_weighting_choices():
    from shoppable.domain.recs.weighting import apply_weighting, check_weighting

    values = np.array([0.0, 1.0, 3.0, 10_000.0])
    assert apply_weighting(values, "binary").tolist() == [0, 1, 1, 1]
    np.testing.assert_allclose(apply_weighting(values, "log"), np.log1p(values), rtol=1e-6)
    assert apply_weighting(values, "cap:2").tolist() == [0, 1, 2, 2]
    assert apply_weighting(values, "raw").tolist() == values.tolist()
    for bad in ("linear", "cap:", "cap:-1", "cap:x"):
        with pytest.raises(ValueError, match="unknown weighting"):
            check_weighting(bad)
    with pytest.raises(ValueError, match="unknown weighting"):
        build_model("popularity", weighting="sqrt")


def test_popularity_counts_distinct_users_not_quantities():
    # One bulk buyer of "bulk" (10,000 units over 3 orders) against three shoppers of "liked".
    interactions = Interactions.from_arrays(
        ["w", "w", "w", "a", "b", "c"],
        ["bulk", "bulk", "bulk", "liked", "liked", "liked"],
        [NOW - DAY] * 6,
        [5000.0, 4000.0, 1000.0, 1.0, 2.0, 1.0],
    )
    bulk, liked = interactions.items.get("bulk"), interactions.items.get("liked")
    distinct = build_model("popularity")
    distinct.fit(interactions, None, NOW)
    assert distinct.popularity[liked] == 3 and distinct.popularity[bulk] == 1
    raw = build_model("popularity", weighting="raw")
    raw.fit(interactions, None, NOW)
    assert raw.popularity[bulk] == 10_000 and raw.popularity[liked] == 4
    for name in ("rp3beta", "item_knn", "als", "ease", "feed"):
        params = {"factors": 2, "iterations": 2} if name == "als" else {}
        model = build_model(name, **params)
        model.fit(interactions, None, NOW)  # huge quantities are fine for every model


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model 'svd'"):
        build_model("svd")


def test_top_k_skips_excluded_and_minus_infinity_and_breaks_ties_by_index():
    scores = np.array([0.5, 2.0, -np.inf, 2.0, 1.0])
    assert top_k(scores, 3).tolist() == [1, 3, 4]
    assert top_k(scores, 10, exclude=np.array([1])).tolist() == [3, 4, 0]
    assert top_k(np.full(3, -np.inf), 2).tolist() == []
    assert top_k_rows(np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]]), 2).tolist() == [[1, 2], [2, 0]]


def test_keep_top_k_per_row():
    matrix = sp.csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0], [1, 1, 1, 0]], dtype=np.float32))
    kept = keep_top_k_per_row(matrix, 2).toarray()
    assert kept.tolist() == [[0, 3, 0, 2], [5, 0, 0, 0], [1, 1, 0, 0]]


def test_keep_top_k_per_row_matches_a_full_sort():
    """The partial selection keeps what sorting each row (value down, then column up) keeps."""
    rng = np.random.default_rng(3)
    for trial in range(60):
        n_rows, n_cols = int(rng.integers(1, 30)), int(rng.integers(1, 50))
        matrix = sp.random(n_rows, n_cols, density=rng.random(), random_state=trial, format="csr")
        if trial % 2:
            matrix.data = np.round(matrix.data * 3)  # ties, and explicit zeros
        if trial % 3 == 0:
            matrix.data = -matrix.data
        k = int(rng.integers(1, 8))
        dense = matrix.toarray()
        present = matrix.copy()
        present.data[:] = 1.0
        expected = np.zeros_like(dense)
        for row in range(n_rows):
            columns = np.flatnonzero(present[row].toarray().ravel())
            best = sorted(columns, key=lambda column: (-dense[row, column], column))[:k]
            expected[row, best] = dense[row, best]
        kept = keep_top_k_per_row(matrix, k)
        assert kept.nnz == sum(min(k, length) for length in np.diff(matrix.indptr))
        assert np.array_equal(kept.toarray(), expected)


def shop(now: float = NOW) -> tuple[Interactions, ItemMeta]:
    """Two creators; `fan` follows creator A; A has just published `a_new` that nobody has touched."""
    users, items, times = [], [], []
    for user in range(6):
        for item in ("b0", "b1", "b2"):
            users.append(f"crowd{user}")
            items.append(item)
            times.append(now - 2 * DAY)
    for item in ("a0", "a1"):
        users.append("fan")
        items.append(item)
        times.append(now - 3 * DAY)
    records = [
        ItemRecord("a0", "A", "hats", 20.0, now - 50 * DAY),
        ItemRecord("a1", "A", "hats", 22.0, now - 40 * DAY),
        ItemRecord("a_new", "A", "hats", 21.0, now - DAY),
        ItemRecord("a_future", "A", "hats", 21.0, now + DAY),
        ItemRecord("b0", "B", "shoes", 90.0, now - 50 * DAY),
        ItemRecord("b1", "B", "shoes", 95.0, now - 50 * DAY),
        ItemRecord("b2", "B", "shoes", 99.0, now - 50 * DAY),
    ]
    interactions = Interactions.from_arrays(
        users, items, times, catalog_item_ids=[r.item_id for r in records]
    )
    return interactions, ItemMeta.from_records(interactions.items.ids, records)


def test_feed_reaches_a_followed_creators_new_item_but_not_unpublished_ones():
    interactions, meta = shop()
    feed = FeedRanker(tune=False)
    feed.fit(interactions, meta, NOW)
    fan = interactions.users.get("fan")
    seen = feed.history(np.array([fan])).indices
    top = interactions.items.lookup(feed.recommend(fan, 2, exclude=seen))
    assert top[0] == "a_new"
    scores = feed.score(np.array([fan]))[0]
    # Published after training: no creator, category, price or freshness signal for it.
    assert scores[interactions.items.get("a_future")] < scores[interactions.items.get("a_new")]
    signals = feed.signals(weigh(feed.history(np.array([fan])), feed.history_weighting))
    future = interactions.items.get("a_future")
    assert all(signals[name][0, future] == 0 for name in ("creator", "category", "price_band"))
    assert feed.freshness[future] == 0


def test_feed_cold_start_is_popularity_and_freshness():
    interactions, meta = shop()
    feed = FeedRanker(tune=False)
    feed.fit(interactions, meta, NOW)
    top = interactions.items.lookup(feed.recommend_for_history(np.array([], dtype=np.int64), k=3))
    assert set(top) == {"b0", "b1", "b2"}
    expected = (
        feed.blend["popularity"] * feed.popularity
        + feed.blend["trending"] * feed.trending
        + feed.blend["freshness"] * feed.freshness
    )
    np.testing.assert_allclose(
        feed.score_histories(sp.csr_matrix((1, interactions.n_items), dtype=np.float32))[0],
        expected,
        rtol=1e-6,
    )


def test_feed_works_without_metadata_and_checks_its_arguments():
    interactions, _ = shop()
    feed = FeedRanker(tune=False)
    feed.fit(interactions, None, NOW)
    assert feed.recommend(0, 3).shape == (3,)
    with pytest.raises(ValueError, match="covers 2 items"):
        FeedRanker(tune=False).fit(interactions, ItemMeta.empty(2), NOW)
    with pytest.raises(ValueError, match="unknown blend signal"):
        FeedRanker({"virality": 1.0})
    with pytest.raises(ValueError, match="history_recency_boost"):
        FeedRanker(history_recency_boost=-1.0)


def test_feed_recency_boost_counts_recent_events_more_without_erasing_old_ones():
    interactions = Interactions.from_arrays(["u", "u"], ["old", "new"], [NOW - 28 * DAY, NOW - DAY])
    plain = FeedRanker(tune=False, history_recency_boost=0.0)
    plain.fit(interactions, None, NOW)
    boosted = FeedRanker(tune=False, history_recency_boost=3.0, history_recency_half_life_days=14.0)
    boosted.fit(interactions, None, NOW)
    assert plain.history(np.array([0])).toarray().tolist() == [[1.0, 1.0]]
    old, new = boosted.history(np.array([0])).toarray()[0]
    assert old == pytest.approx(1.0 + 3.0 / 4.0)
    assert new == pytest.approx(1.0 + 3.0 * 2 ** (-1 / 14))


def test_feed_tuning_never_loses_to_the_defaults_on_validation():
    interactions = two_tribes()
    feed = FeedRanker(validation_days=10, tune_history=True)
    feed.fit(interactions, None, NOW)
    assert feed.tuning is not None
    assert feed.tuning.ndcg_tuned >= feed.tuning.ndcg_default
    assert feed.blend == feed.tuning.weights
    # The history weighting is tuned too when asked, among the measured choices, and then served.
    assert (feed.tuning.history_weighting, feed.tuning.history_half_life_days) in HISTORY_CHOICES
    assert feed.history_weighting == feed.tuning.history_weighting
    fixed = FeedRanker(validation_days=10, tune_history=False, history_weighting="cap:3")
    fixed.fit(interactions, None, NOW)
    assert fixed.tuning is not None and fixed.tuning.history_weighting == "cap:3"
    # Too little history for two windows (2 x 20 days > 30 days): one window, still tuned.
    single = FeedRanker(validation_days=20)
    single.fit(interactions, None, NOW)
    assert single.tuning is not None and single.tuning.ndcg_tuned >= single.tuning.ndcg_default
    assert single.history_weighting == "log"  # not tuned by default
    # Nothing to hold out (all events in the validation window): keep the defaults.
    untouched = FeedRanker(validation_days=1000)
    untouched.fit(interactions, None, NOW)
    assert untouched.tuning is None


def test_a_tuning_step_must_not_lose_in_any_part_of_the_validation_users():
    # Two windows of 3 and 2 users: a higher mean carried by the first window alone is no gain.
    windows = _Parts([3, 2], seed=0)
    before = np.array([0.1, 0.1, 0.1, 0.2, 0.2])
    assert not windows.better(np.array([0.5, 0.5, 0.5, 0.19, 0.19]), before, 0.0)
    assert windows.better(np.array([0.5, 0.5, 0.5, 0.2, 0.21]), before, 0.0)
    # The gain must also exceed the relative margin.
    assert not windows.better(before * 1.01, before, 0.02)
    assert windows.better(before * 1.03, before, 0.02)
    # One window: two random halves of its users, each of which must not lose.
    halves = _Parts([6], seed=0)
    first, second = halves.masks
    assert sorted(int(mask.sum()) for mask in halves.masks) == [3, 3]
    assert not halves.better(0.3 * first - 0.001 * second, np.zeros(6), 0.0)
    assert halves.better(0.3 * first + 0.001 * second, np.zeros(6), 0.0)
    # One lucky user is no gain either: the mean gain must be twice its standard error.
    lucky = np.zeros(6)
    lucky[0] = 1.0
    assert not halves.better(lucky + 0.001, np.zeros(6), 0.0)
