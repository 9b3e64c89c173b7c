"""Proof by simulation that the experiment statistics are calibrated and that interleaving is sensitive.

    .venv/bin/python bench/experiments.py            # a few minutes on one busy core
    .venv/bin/python bench/experiments.py --runs 400 # tighter estimates

A synthetic population (users with tastes, items, a position-biased click model and a per-user purchase
propensity) goes through the real experiment code: assignment by `hashing.choose` (GrowthBook v2 hash),
per-viewer outcomes analysed by `analysis.analyze` (Welch / delta method / CUPED / SRM, exactly what
`shoppable experiments report` runs), and interleaving by `interleaving.team_draft` with its sign test.
The rankers are synthetic (true relevance plus noise of known size), so the better one is known.

It prints:
1. A/A: share of runs declared significant at 5% (target 3-7%) and SRM alerts (target < 1%);
2. A/B with a true +5% lift in conversion: the sample size the power formula asks for, the power
   reached at that size (target >= 80%) and the 95% interval's coverage of the true lift (about 95%);
3. an injected 45/55 split in a 50/50 experiment: the share caught by the SRM check;
4. interleaving against A/B on two rankers of known quality: sessions needed for 80% power, and the ratio.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from datetime import UTC, datetime

import numpy as np

from shoppable.domain.experiments import hashing, interleaving, stats
from shoppable.domain.experiments.analysis import ViewerOutcome, analyze
from shoppable.domain.experiments.model import Experiment, ExperimentKind, ExperimentStatus, Variant

NOW = datetime(2026, 11, 30, tzinfo=UTC)
BASE_CONVERSION = 0.50
"""Share of exposed viewers who order within the 7-day window (high, to keep the simulation quick:
the sample size scales as (1 - p) / p)."""
TRUE_LIFT = 0.05


def experiment(key: str, metrics: tuple[str, ...] = ("conversion", "ctr")) -> Experiment:
    variants = (Variant("control", 1, {}), Variant("treatment", 1, {"slotPattern": "PPRPR"}))
    return Experiment(1, key, "", ExperimentKind.AB, "feed", ExperimentStatus.RUNNING, variants, metrics)


def population(rng: np.random.Generator, n: int, lift: float) -> tuple[np.ndarray, ...]:
    """Per user: purchase propensity (logit-normal around BASE_CONVERSION), and under `lift` the
    treatment's propensity; impressions and clicks in the window; the same in the window before."""
    logit = math.log(BASE_CONVERSION / (1 - BASE_CONVERSION))
    p = 1 / (1 + np.exp(-(rng.normal(logit - 0.25, 1.2, n))))
    p = p * BASE_CONVERSION / p.mean()  # calibrate the mean exactly
    p = np.clip(p, 0, 1 / (1 + lift))
    ctr = rng.beta(2, 30, n)
    impressions = rng.poisson(40, n) + 1
    pre_orders = rng.random(n) < p
    return p, ctr, impressions, pre_orders


def simulate(
    key: str, rng: np.random.Generator, n: int, lift: float, drop_control: float = 0.0
) -> list[ViewerOutcome]:
    p, ctr, impressions, pre_orders = population(rng, n, lift)
    units = [f"d:{key}-{i}" for i in range(n)]
    arm = np.array([hashing.choose(key, u, [1, 1]) for u in units])
    treated = arm == 1
    p_now = np.where(treated, p * (1 + lift), p)
    orders = rng.random(n) < p_now
    clicks = rng.binomial(impressions, ctr)
    keep = np.ones(n, dtype=bool)
    if drop_control:  # a logging bug loses some of the control's exposures
        keep = ~((~treated) & (rng.random(n) < drop_control))
    return [
        ViewerOutcome(
            unit=units[i],
            variant="treatment" if treated[i] else "control",
            sessions=1,
            impressions=int(impressions[i]),
            clicks=int(clicks[i]),
            orders=int(orders[i]),
            pre_orders=int(pre_orders[i]),
        )
        for i in range(n)
        if keep[i]
    ]


def conversion(result_variants: list) -> tuple[float | None, float | None, float | None, float | None]:
    metric = next(m for m in result_variants[1].metrics if m.name == "conversion")
    return metric.p_value, metric.lift, metric.ci_low, metric.ci_high


def aa_and_ab(runs: int, rng: np.random.Generator) -> None:
    n_aa = 4000
    significant = srm_alerts = ctr_significant = 0
    for run in range(runs):
        outcomes = simulate(f"aa-{run}", rng, n_aa, 0.0)
        results = analyze(experiment(f"aa-{run}"), outcomes, {}, NOW)
        p, *_ = conversion(results.variants)
        significant += p is not None and p < 0.05
        ctr = next(m for m in results.variants[1].metrics if m.name == "ctr")
        ctr_significant += ctr.p_value is not None and ctr.p_value < 0.05
        srm_alerts += not results.srm_ok
    print(f"1. A/A, {runs} runs of {n_aa} viewers: conversion significant at 5% in {significant / runs:.1%} "
          f"(target 3-7%), click-through (delta method) in {ctr_significant / runs:.1%}; "
          f"SRM alerts in {srm_alerts / runs:.1%} (target < 1%)")  # fmt: skip

    # The sample size a fixed-horizon test needs for 80% power at alpha 5% (no CUPED credit taken).
    p0, p1 = BASE_CONVERSION, BASE_CONVERSION * (1 + TRUE_LIFT)
    z = 1.959964 + 0.841621
    per_arm = math.ceil(z**2 * (p0 * (1 - p0) + p1 * (1 - p1)) / (p1 - p0) ** 2)
    n_ab = 2 * per_arm
    power = covered = 0
    for run in range(runs):
        outcomes = simulate(f"ab-{run}", rng, n_ab, TRUE_LIFT)
        results = analyze(experiment(f"ab-{run}", ("conversion",)), outcomes, {}, NOW)
        p, lift, low, high = conversion(results.variants)
        power += p is not None and p < 0.05 and (lift or 0) > 0
        covered += low is not None and high is not None and low <= TRUE_LIFT <= high
    print(f"2. A/B with a true +{TRUE_LIFT:.0%} lift in conversion (base {BASE_CONVERSION:.0%}): the power "
          f"formula asks for {per_arm} viewers per arm; over {runs} runs at that size, power "
          f"{power / runs:.1%} (target >= 80%; CUPED on pre-exposure orders adds to it), 95% interval "
          f"covers the true lift in {covered / runs:.1%} (target ~95%)")  # fmt: skip

    caught = 0
    srm_runs = max(20, runs // 10)
    for run in range(srm_runs):
        # Dropping 18.2% of the control turns 50/50 into 45/55.
        outcomes = simulate(f"srm-{run}", rng, 10_000, 0.0, drop_control=1 - 45 / 55)
        caught += not analyze(experiment(f"srm-{run}"), outcomes, {}, NOW).srm_ok
    print(f"3. SRM: an injected 45/55 split of 10000 viewers in a 50/50 experiment is caught in "
          f"{caught}/{srm_runs} runs")  # fmt: skip


# --- interleaving against A/B on two rankers of known quality ------------------------------------------

ITEMS, DIM, PAGE = 120, 8, 10
POSITION_BIAS = 1 / np.log2(np.arange(PAGE) + 2)


class World:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.items = rng.normal(0, 1, (ITEMS, DIM))

    def sessions(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per session: the true click probability of every item, and the two rankers' orders
        (A sees relevance through less noise than B: A is the better ranker)."""
        users = self.rng.normal(0, 1, (n, DIM))
        affinity = users @ self.items.T / math.sqrt(DIM)
        relevance = 1 / (1 + np.exp(-(2.0 * affinity - 3.0)))
        # A user's appetite to click at all varies a lot: the variance that A/B suffers from.
        relevance *= self.rng.gamma(0.7, 1 / 0.7, (n, 1))
        relevance = np.clip(relevance, 0, 1)
        a = np.argsort(-(affinity + self.rng.normal(0, 0.9, affinity.shape)), axis=1)[:, : 2 * PAGE]
        b = np.argsort(-(affinity + self.rng.normal(0, 1.2, affinity.shape)), axis=1)[:, : 2 * PAGE]
        return relevance, a, b

    def clicks(self, relevance: np.ndarray, shown: np.ndarray) -> np.ndarray:
        rows = np.arange(len(shown))[:, None]
        probability = np.clip(relevance[rows, shown] * POSITION_BIAS, 0, 1)
        return self.rng.random(probability.shape) < probability


def ab_significant(world: World, n: int) -> bool:
    relevance, a, b = world.sessions(n)
    arm = world.rng.random(n) < 0.5
    shown = np.where(arm[:, None], b[:, :PAGE], a[:, :PAGE])
    clicks = world.clicks(relevance, shown).sum(axis=1).astype(float)
    result = stats.welch(list(clicks[~arm]), list(clicks[arm]))
    return result.p_value is not None and result.p_value < 0.05


def interleaving_significant(world: World, n: int, session_offset: int) -> bool:
    relevance, a, b = world.sessions(n)
    credits = []
    for s in range(n):
        merged = interleaving.team_draft(list(a[s]), list(b[s]), PAGE, seed=session_offset + s)
        shown = np.array([[item for item, _ in merged]])
        clicked = world.clicks(relevance[s : s + 1], shown)[0]
        teams = dict(merged)
        credits.append(interleaving.session_credit(teams, [(item, "CLICK") for item, c in zip(shown[0], clicked, strict=True) if c]))  # fmt: skip
    return interleaving.outcome(credits).p_value < 0.05


def sessions_for_power(test: str, world: World, reps: int, grid: list[int]) -> int | None:
    for n in grid:
        hits = 0
        for rep in range(reps):
            if test == "ab":
                hits += ab_significant(world, n)
            else:
                hits += interleaving_significant(world, n, rep * 1_000_000)
        if hits / reps >= 0.8:
            return n
    return None


def interleaving_vs_ab(reps: int, rng: np.random.Generator) -> None:
    world = World(rng)
    grid_i = [50, 100, 200, 300, 400, 600, 800, 1200, 1600, 2400]
    grid_ab = [500, 1000, 2000, 3000, 4000, 6000, 8000, 12_000, 16_000, 24_000, 32_000, 48_000, 64_000]
    needed_i = sessions_for_power("interleaving", world, reps, grid_i)
    needed_ab = sessions_for_power("ab", world, reps, grid_ab)
    ratio = f"{needed_ab / needed_i:.0f}x" if needed_i and needed_ab else "n/a"
    print(f"4. Two rankers of known quality (A sees relevance through less noise): sessions for 80% power "
          f"({reps} reps per size): interleaving {needed_i}, A/B on clicks per session {needed_ab} -> "
          f"interleaving needs {ratio} fewer (target >= 10x)")  # fmt: skip


def example_report(rng: np.random.Generator) -> None:
    """What `shoppable experiments report` prints, for one simulated A/B test with a true +5% lift."""
    from shoppable.domain.experiments.report import format_report

    exp = experiment("more-cards", ("conversion", "ctr"))
    outcomes = simulate("more-cards", rng, 30_000, TRUE_LIFT)
    exposures = {"control": 0, "treatment": 0}
    for o in outcomes:
        exposures[o.variant] += o.sessions
    print(format_report(exp, analyze(exp, outcomes, exposures, NOW)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=200, help="A/A and A/B runs (at least 200 for the claim)."
    )
    parser.add_argument(
        "--reps", type=int, default=30, help="Repetitions per sample size for the power search."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=["ab", "interleaving"], help="Run one part only.")
    parser.add_argument(
        "--example-report", action="store_true", help="Print the report of one simulated A/B test and exit."
    )
    args = parser.parse_args()
    print("$ " + shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]))
    rng = np.random.default_rng(args.seed)
    if args.example_report:
        example_report(rng)
        return
    started = time.perf_counter()
    if args.only != "interleaving":
        aa_and_ab(args.runs, rng)
    if args.only != "ab":
        interleaving_vs_ab(args.reps, rng)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
