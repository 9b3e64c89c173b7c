"""Team-draft interleaving's properties (hypothesis), the feed merge, credit and the interleaving report;
blend weights and revenue per currency in the analysis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppable.domain.errors import DomainError
from shoppable.domain.experiments import interleaving
from shoppable.domain.experiments.analysis import (
    INTERLEAVED,
    InterleavedSession,
    ViewerOutcome,
    analyze,
    analyze_interleaving,
)
from shoppable.domain.experiments.model import (
    Experiment,
    ExperimentKind,
    ExperimentStatus,
    FeedVariantConfig,
    NewExperiment,
    Variant,
    validate,
)
from shoppable.domain.experiments.report import format_report
from shoppable.domain.feed.model import Candidate, FeedSource, ItemKind

NOW = datetime(2026, 12, 1, tzinfo=UTC)

rankings = st.lists(st.integers(0, 30), max_size=25, unique=True)


@settings(max_examples=300, deadline=None)
@given(a=rankings, b=rankings, length=st.integers(0, 60), seed=st.text(max_size=8))
def test_team_draft_properties(a: list[int], b: list[int], length: int, seed: str) -> None:
    merged = interleaving.team_draft(a, b, length, seed)
    items = [item for item, _ in merged]
    # No duplicates; every item from one of the lists; as long as asked or until both run out.
    assert len(items) == len(set(items))
    assert set(items) <= set(a) | set(b)
    assert len(items) == min(length, len(set(a) | set(b)))
    placed: set[int] = set()
    picks = {"A": 0, "B": 0}
    for item, team in merged:
        own, other = (a, b) if team == "A" else (b, a)
        # Each pick is its team's best item not yet placed (each list's prefix is respected) ...
        assert item == next(x for x in own if x not in placed)
        # ... and a team picks only when it is not ahead, unless the other has nothing left.
        other_team = "B" if team == "A" else "A"
        other_left = any(x not in placed for x in other)
        assert picks[team] <= picks[other_team] or not other_left
        placed.add(item)
        picks[team] += 1
    # Replaying with the same seed gives the same page.
    assert merged == interleaving.team_draft(a, b, length, seed)


@settings(max_examples=100, deadline=None)
@given(a=rankings, b=rankings, seed=st.text(max_size=8))
def test_prefix_fairness_while_both_lists_last(a: list[int], b: list[int], seed: str) -> None:
    """In every prefix of the merged list, the teams differ by at most one pick while both can pick."""
    merged = interleaving.team_draft(a, b, len(a) + len(b), seed)
    placed: set[int] = set()
    count = {"A": 0, "B": 0}
    for item, team in merged:
        both_left = any(x not in placed for x in a) and any(x not in placed for x in b)
        placed.add(item)
        count[team] += 1
        if both_left:
            assert abs(count["A"] - count["B"]) <= 1


def product(item_id: int, score: float = 1.0) -> Candidate:
    return Candidate(ItemKind.PRODUCT, item_id, 7, score, FeedSource.PERSONALIZED, ())


@settings(max_examples=100, deadline=None)
@given(a=rankings, b=rankings, seed=st.text(max_size=8))
def test_merge_candidates_keeps_each_candidate_once_with_its_team(
    a: list[int], b: list[int], seed: str
) -> None:
    merged = interleaving.merge_candidates([product(i) for i in a], [product(i) for i in b], seed)
    assert [c.item_id for c in merged] == [i for i, _ in interleaving.team_draft(a, b, 100, seed)]
    assert all(c.team in {"A", "B"} for c in merged)
    assert all(c.item_id in (a if c.team == "A" else b) for c in merged)
    scores = [c.score for c in merged]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_credit_goes_to_the_team_that_placed_the_item() -> None:
    teams = {(ItemKind.PRODUCT, 1): "A", (ItemKind.PRODUCT, 2): "B"}
    p1, p2 = (ItemKind.PRODUCT, 1), (ItemKind.PRODUCT, 2)
    engaged = [
        (p1, "CLICK"),
        (p1, "CLICK"),
        (p1, "ADD_TO_CART"),
        (p2, "CLICK"),
        ((ItemKind.PRODUCT, 9), "CLICK"),
    ]
    assert interleaving.session_credit(teams, engaged) == (2.0, 1.0)  # each (item, event) once


def interleaving_experiment() -> Experiment:
    variants = (Variant("current", 1, {"ranker": "feed-a"}), Variant("candidate", 1, {"ranker": "feed-b"}))
    return Experiment(
        1, "rankers", "", ExperimentKind.INTERLEAVING, "feed", ExperimentStatus.RUNNING, variants, ("ctr",)
    )


def test_interleaving_results_name_the_winner_with_an_interval() -> None:
    p = (ItemKind.PRODUCT, 1), (ItemKind.PRODUCT, 2)
    teams = {p[0]: "A", p[1]: "B"}
    sessions = [InterleavedSession(f"s{n}", f"u:{n}", teams, [(p[0], "CLICK")]) for n in range(40)]
    sessions += [InterleavedSession(f"t{n}", f"u:{n}", teams, [(p[1], "CLICK")]) for n in range(10)]
    sessions += [InterleavedSession(f"z{n}", f"u:{n}", teams, []) for n in range(5)]
    exp = interleaving_experiment()
    outcomes = [ViewerOutcome(f"u:{n}", INTERLEAVED, sessions=1, impressions=10, clicks=1) for n in range(40)]
    results = analyze_interleaving(exp, outcomes, {INTERLEAVED: 55}, sessions, NOW)
    found = results.interleaving
    assert found is not None
    assert (found.wins_a, found.wins_b, found.ties, found.sessions) == (40, 10, 5, 55)
    assert found.p_value < 0.001 and found.winner == "A"
    assert found.ci_low is not None and found.ci_high is not None
    assert 0.5 < found.ci_low < found.preference_a == 0.8 < found.ci_high < 1
    assert results.srm_ok and [v.key for v in results.variants] == [INTERLEAVED]
    text = format_report(exp, results)
    assert "winner: current" in text and "40 prefer current (A)" in text
    even = analyze_interleaving(exp, outcomes, {}, sessions[:10] + sessions[40:50], NOW).interleaving
    assert even is not None and even.winner is None and even.ci_low is not None and even.ci_low < 0.5


def test_interleaving_definitions_need_two_different_rankers_and_nothing_else() -> None:
    def new(*configs: dict[str, object]) -> NewExperiment:
        return NewExperiment(
            "lv", "", ExperimentKind.INTERLEAVING, "feed",
            tuple(Variant(f"v{i}", 1, dict(c)) for i, c in enumerate(configs)),
        )  # fmt: skip

    with pytest.raises(DomainError) as caught:
        validate(new({"ranker": "none"}, {"ranker": "feed-b", "slotPattern": "PR"}))
    fields = {e.field for e in caught.value.errors}
    assert {("variants", 0, "config", "ranker"), ("variants", 1, "config", "slotPattern")} <= fields
    with pytest.raises(DomainError) as same:
        validate(new({"ranker": "feed-a"}, {"ranker": "feed-a"}))
    assert {e.field for e in same.value.errors} == {("variants", 1, "config")}
    validate(new({"ranker": "feed-a"}, {"ranker": "feed-a", "blend": {"trending": 0.5}}))


def test_blend_weights_are_validated() -> None:
    ok = FeedVariantConfig.parse({"ranker": "latest", "blend": {"trending": 0.4, "ease": 1}})
    assert ok.blend == (("ease", 1.0), ("trending", 0.4))
    bad = [
        ({"blend": {"ease": 1}}, ("config", "blend")),  # no ranker to blend
        ({"ranker": "none", "blend": {"ease": 1}}, ("config", "blend")),
        ({"ranker": "latest", "blend": {"vibes": 1}}, ("config", "blend", "vibes")),
        ({"ranker": "latest", "blend": {"ease": -1}}, ("config", "blend", "ease")),
        ({"ranker": "latest", "blend": {"ease": float("nan")}}, ("config", "blend", "ease")),
        ({"ranker": "latest", "blend": {"ease": True}}, ("config", "blend", "ease")),
        ({"ranker": "latest", "blend": {"ease": "1"}}, ("config", "blend", "ease")),
        ({"ranker": "latest", "blend": [1]}, ("config", "blend")),
        ({"ranker": "latest", "blend": {}}, ("config", "blend")),
    ]
    for raw, field in bad:
        with pytest.raises(DomainError) as caught:
            FeedVariantConfig.parse(raw)
        assert field in {e.field for e in caught.value.errors}, raw


def test_blend_applies_to_a_trained_feed_ranker_only() -> None:
    import time

    from shoppable.domain.recs.artifact import with_blend
    from shoppable.domain.recs.item_meta import ItemRecord
    from shoppable.domain.recs.training import train_from_arrays

    items = [str(n) for n in range(12)]
    now = time.time()
    trained = train_from_arrays(
        [f"u{n % 4}" for n in range(48)], [items[(n * 5) % 12] for n in range(48)],
        [now - 3600 * n for n in range(48)], items=[ItemRecord(i) for i in items], now=now,
        params={"tune": False},
    )  # fmt: skip
    only_popularity = {name: 0.0 for name in trained.model.blend}  # type: ignore[attr-defined]
    only_popularity["popularity"] = 1.0
    blended = with_blend(trained, only_popularity)
    assert blended is not None and blended.model is not trained.model
    assert trained.model.blend["popularity"] != 1.0 or trained.model.blend["ease"] != 0.0  # type: ignore[attr-defined]
    assert blended.model.blend == only_popularity  # type: ignore[attr-defined]
    # Ranked by popularity alone the same for every user; the trained blend is personal.
    assert blended.recommend("u0", 5) == blended.recommend("u1", 5)
    assert with_blend(trained, {"unknown": 1.0}) is None


def test_revenue_is_one_metric_per_currency_never_added_up() -> None:
    variants = (Variant("control", 1, {}), Variant("treatment", 1, {"slotPattern": "PR"}))
    exp = Experiment(
        1, "money", "", ExperimentKind.AB, "feed", ExperimentStatus.RUNNING, variants,
        ("revenue_per_viewer", "unfollows_per_viewer"),
    )  # fmt: skip
    outcomes = [
        ViewerOutcome("d:1", "control", revenue_minor={"EUR": 1000}),
        ViewerOutcome("d:2", "control", revenue_minor={"JPY": 100_000}, unfollows=2),
        ViewerOutcome("d:3", "treatment", revenue_minor={"EUR": 3000}),
        ViewerOutcome("d:4", "treatment"),
    ]
    results = analyze(exp, outcomes, {}, NOW)
    by_variant = {v.key: {m.name: m.mean for m in v.metrics} for v in results.variants}
    assert by_variant["control"] == {
        "revenue_per_viewer:EUR": 500.0,
        "revenue_per_viewer:JPY": 50_000.0,
        "unfollows_per_viewer": 1.0,
    }
    assert by_variant["treatment"]["revenue_per_viewer:EUR"] == 1500.0
    assert by_variant["treatment"]["revenue_per_viewer:JPY"] == 0.0
    nobody = analyze(exp, [ViewerOutcome("d:1", "control"), ViewerOutcome("d:2", "treatment")], {}, NOW)
    assert [m.name for m in nobody.variants[1].metrics] == ["revenue_per_viewer", "unfollows_per_viewer"]
