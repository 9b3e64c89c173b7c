"""Hashing against GrowthBook's published vectors; the statistics against known answers."""

from __future__ import annotations

import random

import pytest
from scipy import stats as sp

from shoppable.domain.errors import DomainError
from shoppable.domain.experiments import hashing, interleaving, stats
from shoppable.domain.experiments.model import ExperimentKind, NewExperiment, Variant, validate

# GrowthBook SDK test suite, "hash" cases: [seed, value, version, expected]. Source:
# github.com/growthbook/growthbook-python tests/cases.json (specVersion 0.5.4, the shared cases.json of
# every GrowthBook SDK).
GROWTHBOOK_HASH_CASES = [
    ("", "a", 1, 0.22),
    ("", "b", 1, 0.077),
    ("b", "a", 1, 0.946),
    ("ef", "d", 1, 0.652),
    ("asdf", "8952klfjas09ujk", 1, 0.549),
    ("", "123", 1, 0.011),
    ("", '___)((*":&', 1, 0.563),
    ("seed", "a", 2, 0.0505),
    ("seed", "b", 2, 0.2696),
    ("foo", "ab", 2, 0.2575),
    ("foo", "def", 2, 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
    ("90850943850283058242805", "123", 2, 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 2, 0.0128),
    ("abc", "def", 99, None),
]


@pytest.mark.parametrize(("seed", "value", "version", "expected"), GROWTHBOOK_HASH_CASES)
def test_growthbook_hash_vectors(seed: str, value: str, version: int, expected: float | None) -> None:
    assert hashing.gb_hash(seed, value, version) == expected


def test_fnv1a_reference_values() -> None:
    # The FNV-1a 32-bit reference values (Fowler, Noll, Vo: test_fnv.c).
    assert hashing.fnv32a("") == 0x811C9DC5
    assert hashing.fnv32a("a") == 0xE40C292C
    assert hashing.fnv32a("foobar") == 0xBF9CF968


def test_assignment_is_uniform_weighted_and_independent_across_experiments() -> None:
    units = [f"d:device-{n}" for n in range(20_000)]
    a = [hashing.choose("exp-a", u, [1, 1]) for u in units]
    b = [hashing.choose("exp-b", u, [1, 1]) for u in units]
    assert stats.srm_p_value([a.count(0), a.count(1)], [1, 1]) > 0.001
    weighted = [hashing.choose("exp-c", u, [1, 3]) for u in units]
    assert abs(weighted.count(1) / len(units) - 0.75) < 0.015
    both = sum(1 for x, y in zip(a, b, strict=True) if x == y == 1)
    assert abs(both / len(units) - 0.25) < 0.015  # independent: P(1 and 1) = P(1) P(1)
    assert a == [hashing.choose("exp-a", u, [1, 1]) for u in units]  # deterministic


def test_welch_matches_scipy_and_lift_interval_covers() -> None:
    rng = random.Random(1)
    control = [rng.gauss(10, 3) for _ in range(2000)]
    treatment = [rng.gauss(11, 4) for _ in range(1500)]
    result = stats.welch(control, treatment)
    assert result.p_value == pytest.approx(sp.ttest_ind(treatment, control, equal_var=False).pvalue, rel=1e-6)
    assert result.lift is not None and result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < result.lift < result.ci_high and result.ci_low > 0


def test_cuped_shrinks_the_interval_when_the_covariate_predicts() -> None:
    rng = random.Random(2)
    pre_c = [rng.gauss(50, 10) for _ in range(500)]
    pre_t = [rng.gauss(50, 10) for _ in range(500)]
    control = [x + rng.gauss(0, 3) for x in pre_c]
    treatment = [x * 1.02 + rng.gauss(0, 3) for x in pre_t]
    plain = stats.welch(control, treatment)
    adjusted = stats.cuped(control, treatment, pre_c, pre_t)
    assert adjusted is not None and plain.ci_high is not None and plain.ci_low is not None
    assert adjusted.ci_high is not None and adjusted.ci_low is not None
    assert (adjusted.ci_high - adjusted.ci_low) < 0.5 * (plain.ci_high - plain.ci_low)
    assert stats.cuped(control, treatment, [0.0] * 500, [0.0] * 500) is None  # no covariate: not used


def test_ratio_delta_method_and_srm() -> None:
    clicks_c, views_c = [1, 0, 2, 1] * 100, [10, 5, 12, 8] * 100
    clicks_t, views_t = [2, 1, 2, 1] * 100, [10, 5, 12, 8] * 100
    result = stats.ratio(clicks_c, views_c, clicks_t, views_t)
    assert result.mean_control == pytest.approx(400 / 3500)
    assert result.lift == pytest.approx(600 / 400 - 1)
    assert result.p_value is not None and result.p_value < 0.001
    assert stats.srm_p_value([4500, 5500], [1, 1]) < 0.001
    assert stats.srm_p_value([500, 510], [1, 1]) > 0.5
    assert stats.srm_p_value([250, 750], [1, 3]) > 0.5


def test_sequential_p_value_is_more_conservative_than_fixed_horizon() -> None:
    rng = random.Random(3)
    control = [rng.gauss(10, 3) for _ in range(2000)]
    treatment = [rng.gauss(10.3, 3) for _ in range(2000)]
    result = stats.welch(control, treatment)
    assert result.p_value is not None and result.sequential_p_value is not None
    assert result.sequential_p_value >= result.p_value


def test_team_draft_interleaving() -> None:
    a, b = [1, 2, 3, 4, 5], [3, 6, 1, 7, 8]
    merged = interleaving.team_draft(a, b, 6, seed="s1")
    items = [item for item, _ in merged]
    assert len(items) == len(set(items)) == 6
    teams = [team for _, team in merged]
    assert abs(teams.count("A") - teams.count("B")) <= 1
    # Each team's items keep that team's order, and each pick is the team's best item not yet placed.
    for team, ranking in (("A", a), ("B", b)):
        picked = [item for item, t in merged if t == team]
        assert picked == sorted(picked, key=ranking.index)
    assert merged == interleaving.team_draft(a, b, 6, seed="s1")  # replayable
    credit = interleaving.session_credit(dict(merged), [(items[0], "CLICK"), (items[0], "CLICK"), (items[1], "ADD_TO_CART"), (99, "CLICK")])  # fmt: skip
    assert sum(credit) == 2.0
    outcome = interleaving.outcome([(2, 0)] * 30 + [(0, 1)] * 10 + [(0, 0)] * 5)
    assert (outcome.wins_a, outcome.wins_b, outcome.ties) == (30, 10, 5) and outcome.winner == "A"


def test_validation_lists_every_problem() -> None:
    new = NewExperiment(
        key="ok-key",
        description="",
        kind=ExperimentKind.INTERLEAVING,
        surface="checkout",
        variants=(Variant("a", 1, {}), Variant("b", 1, {"ranker": "x"}), Variant("c", 1, {})),
    )
    with pytest.raises(DomainError) as raised:
        validate(new)
    fields = {e.field for e in raised.value.errors}
    assert (
        ("surface",) in fields and ("variants",) in fields and ("variants", 0, "config", "ranker") in fields
    )
