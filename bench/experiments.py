"""Proof by simulation that the experiment statistics are calibrated and that interleaving is sensitive.

    PYTHONPATH=. .venv/bin/python bench/experiments.py                 # ~6 minutes on one busy core
    PYTHONPATH=. .venv/bin/python bench/experiments.py --only interleaving --users 3000 --reps 100
    PYTHONPATH=. .venv/bin/python bench/experiments.py --example-report [ab|interleaving]

Parts 1-3 (calibration): a synthetic population of per-viewer outcomes (a logit-normal purchase
propensity, impressions and clicks, a pre-period for CUPED) goes through the real assignment
(`hashing.choose`, GrowthBook v2) and the real analysis (`analysis.analyze`: Welch, delta method, CUPED,
SRM: what `shoppable experiments report` runs). It prints:
1. A/A: share of runs declared significant at 5% (target 3-7%) and SRM alerts (target < 1%);
2. A/B with a true +5% lift in conversion: the sample size the power formula asks for, the power
   reached at that size (target >= 80%) and the 95% interval's coverage of the true lift (about 95%);
3. an injected 45/55 split in a 50/50 experiment: the share caught by the SRM check.

Part 4 (interleaving against A/B on two rankers of known quality), through the real feed and
experiment code: every session is a page of `build_page` (candidates, the ranker's picks, the mixer's
slot pattern and author/merchant diversity) on the feed domain tests' in-memory store, under the variant
`service._feed_variant` gives (the GrowthBook hash for A/B; for interleaving both rankers' product cards
merged by `interleaving.merge_candidates`, team draft), credited by `interleaving.session_credit`.

The model of viewers (each choice a documented guess, none tuned to a result):
- 200 products and 8-dimensional tastes; a viewer's appeal of a product is sigmoid(2 affinity - 2.5);
- the rankers order products by the true affinity plus Gaussian noise (sd 1.0 for A, 1.2 for B), so A
  is better (NDCG@10 printed); posts are the same for both;
- heavy-tailed activity, as real feeds have: sessions per viewer in a week 1 + NegBin(1, 0.35) (mean
  2.9), a click propensity per viewer lognormal(-0.5, 0.9), a scroll depth per session geometric with
  mean 15 items of a 30-item page (5-6 of them product cards in the default PPRPPPR pattern);
- a product card seen is clicked with propensity x 0.35 x appeal; a click adds to cart with 25%, an add
  to cart becomes an order with 35%.
The A/B metrics are the usual per-viewer ones, on the same viewers' weeks: product-card click-through
(clicks per impression, delta method: posts left out, which only helps the A/B) and conversion (share of
viewers who ordered, Welch). Interleaving's metric is the per-session preference (more clicks and adds to
cart on one ranker's cards), judged by the sign test; sessions are treated as independent, as in the
interleaving literature (Chapelle et al. 2012). Sizes for 80% power come from the power formula on the
simulated moments (normal approximation; for the sign test on the share of decided sessions), and the
power at that size is checked by resampling experiments of that size from the simulated pools and
running the real tests. The ratio is an estimate from finite pools: a bootstrap interval is printed.

The A/B effects come from paired viewers: each viewer's week is simulated under ranker A and, with the
same random numbers (scroll depths, the draws that decide clicks, adds to cart and orders at each
position), under ranker B, so the pool's effect is measured precisely; the arms of each resampled A/B
experiment are independent draws from the pool (two groups of different viewers, as the hash makes).
Interleaving's preference is measured from each session's exact chances that A's or B's cards get more
credit (the clicks drawn are printed too).

Why interleaving wins, by how much, and where the earlier 2x came from: an A/B test compares two groups
of different people, so the between-viewer variance (how active, how click-happy, how far they scroll)
sits in the denominator of the test; interleaving puts both rankers on the same page of the same
session, so that variance cancels, and only sessions with a preference carry information. Its gain is
therefore as large as the A/B metric is noisy across viewers relative to the effect: large for
conversion, smaller for click-through per viewer. The earlier simulation's A/B metric was clicks per
session with every session looking at exactly 10 items and a mild spread of appetite: a dense,
low-variance metric per session that no A/B test of a ranker is decided on.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from shoppable.domain.experiments import hashing, interleaving, stats
from shoppable.domain.experiments.analysis import (
    INTERLEAVED,
    InterleavedSession,
    ViewerOutcome,
    analyze,
    analyze_interleaving,
)
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
#
# Pages are built by the real feed (`build_page`: candidates, the ranker's picks, the mixer's slot
# pattern and diversity penalty) against the in-memory fakes of the domain tests, under the variant the
# real experiment code gives (`service._feed_variant`: GrowthBook assignment for A/B; for interleaving
# both rankers' product cards merged by `interleaving.merge_candidates`). Clicks and adds to cart are
# credited by `interleaving.session_credit` and judged by its sign test; the A/B arms by `stats.ratio`
# (delta method, product-card click-through per viewer) and `stats.welch` (conversion per viewer), the
# functions `shoppable experiments report` runs.

PRODUCTS, MERCHANTS, CREATORS, POSTS_EACH, DIM = 200, 25, 12, 5, 8
PAGE_ITEMS = 30
"""Items per session (one page of the real feed): posts and product cards in the PPRPPPR pattern."""
MEAN_SCROLL = 15.0
"""Items a viewer looks at in a session: geometric, mean 15 (many stop early, a few scroll far)."""
CART_AFTER_CLICK = 0.25
ORDER_AFTER_CART = 0.35
NOISE = {"A": 1.0, "B": 1.2}
"""Each ranker sees a viewer's true affinity to a product through Gaussian noise of this size: A is the
better ranker (its NDCG@10 against the true click probabilities is printed)."""
Z_ALPHA, Z_POWER = 1.959964, 0.841621  # two-sided 5%, 80% power


class Population:
    """Users with tastes, a click propensity and a number of sessions; products with latent traits."""

    def __init__(self, rng: np.random.Generator, users: int) -> None:
        self.items = rng.normal(0, 1, (PRODUCTS, DIM))
        self.tastes = rng.normal(0, 1, (users, DIM))
        # Heavy-tailed activity, as real feeds have: many light users, a few very active ones.
        self.propensity = rng.lognormal(-0.5, 0.9, users)
        self.sessions = 1 + rng.negative_binomial(1, 0.35, users)
        self.affinity = self.tastes @ self.items.T / math.sqrt(DIM)
        self.noise = {team: rng.normal(0, sd, self.affinity.shape) for team, sd in NOISE.items()}
        self.appeal = 1 / (1 + np.exp(-(2.0 * self.affinity - 2.5)))

    def click_probability(self, user: int, product: int) -> float:
        return float(min(1.0, self.propensity[user] * 0.35 * self.appeal[user, product]))

    def ndcg(self, team: str, k: int = 10) -> float:
        """Mean NDCG@k of a ranker's order against the true appeal of each product to each user."""
        ranked = np.argsort(-(self.affinity + self.noise[team]), axis=1)[:, :k]
        ideal = -np.sort(-self.appeal, axis=1)[:, :k]
        discount = 1 / np.log2(np.arange(k) + 2)
        rows = np.arange(len(self.appeal))[:, None]
        return float(((self.appeal[rows, ranked] * discount).sum(1) / (ideal * discount).sum(1)).mean())


class SyntheticRanker:
    """A ranker of known quality: orders products by the true affinity plus its own fixed noise."""

    def __init__(self, population: Population, team: str, product_ids: list[int]) -> None:
        self.trained_at = 0.0
        self.orders = np.argsort(-(population.affinity + population.noise[team]), axis=1)
        self.product_ids = product_ids

    def recommend(
        self, user_id: str | None, k: int = 20, *, recent_item_ids: Any = (), recent_weights: Any = None,
        exclude_item_ids: Any = (),
    ) -> list[str]:  # fmt: skip
        return [str(self.product_ids[i]) for i in self.orders[int(user_id or 0)][:k]]


class Models:
    def __init__(self, rankers: dict[str, SyntheticRanker]) -> None:
        self.rankers = rankers

    async def current(self) -> SyntheticRanker:
        return self.rankers["ranker-a"]

    async def version(self, name: str) -> SyntheticRanker | None:
        return self.rankers.get(name)


played: list[InterleavedSession] = []
"""The interleaved sessions of the last `run_sessions`, for the example report."""


def _preference_chances(cards: list[tuple[str, float]]) -> tuple[float, float]:
    """P(A's credit > B's), P(B's > A's) in a session whose seen cards are (team, click probability):
    each card gives 0, 1 (a click) or 2 (a click and an add to cart) credits to its team. Exact (the
    distribution of the difference by convolution), so the preference is measured without the noise of
    drawing clicks."""
    dist = np.array([1.0])  # of credit A - credit B, offset by `low`
    low = 0
    for team, c in cards:
        card = np.array([1 - c, c * (1 - CART_AFTER_CLICK), c * CART_AFTER_CLICK])
        if team == "B":
            card, low = card[::-1], low - 2
        dist = np.convolve(dist, card)
    values = np.arange(len(dist)) + low
    return float(dist[values > 0].sum()), float(dist[values < 0].sum())


async def run_sessions(
    population: Population, kind: ExperimentKind, users: range, seed: int
) -> tuple[list[ViewerOutcome], list[tuple[float, float]], list[tuple[float, float]]]:
    """Every user's sessions through the real feed.

    A/B: each viewer's week under ranker A and, with the same random numbers (scroll depths and the
    draws that decide clicks, adds to cart and orders at each position), under ranker B: a paired pool
    whose effect is measured precisely, from which independent arms are drawn (what the hash does).
    Interleaving: each session's (credit A, credit B) as drawn, and its exact preference chances."""
    from shoppable.domain.experiments.service import _feed_variant
    from shoppable.domain.feed.caches import SnapshotCache
    from shoppable.domain.feed.model import FeedMode, ItemKind
    from shoppable.domain.feed.service import FeedRequest, build_page
    from shoppable.domain.identity.actor import Actor
    from tests.domain.feed.fakes import FakeServices, FakeUnitOfWork  # the domain tests' in-memory fakes

    rng = np.random.default_rng(seed)
    uow = FakeUnitOfWork()
    for creator in range(CREATORS):
        for n in range(POSTS_EACH):
            uow.feed.add_post(
                10_000 + creator, age_hours=1 + n * 5 + creator / 7, likes=int(rng.integers(0, 9))
            )
    product_ids = [
        uow.feed.add_product(20_000 + p % MERCHANTS, category=["Shoes", "Bags", "Knitwear"][p % 3], age_days=5 + p % 20)
        for p in range(PRODUCTS)
    ]  # fmt: skip
    index = {pid: i for i, pid in enumerate(product_ids)}
    rankers = {f"ranker-{t.lower()}": SyntheticRanker(population, t, product_ids) for t in NOISE}
    services = FakeServices(snapshots=SnapshotCache(ttl_seconds=3600))
    services.models = Models(rankers)  # type: ignore[assignment]

    def experiment_of(weights: tuple[int, int]) -> Experiment:
        variants = tuple(Variant(name, w, {"ranker": name}) for name, w in zip(rankers, weights, strict=True))
        return Experiment(
            1, f"rankers-{seed}", "", kind, "feed", ExperimentStatus.RUNNING, variants, ("ctr",)
        )

    # A/B: the real serving code with all the weight on one arm, then on the other (the pair).
    arms = (
        [experiment_of((1, 0)), experiment_of((0, 1))]
        if kind is ExperimentKind.AB
        else [experiment_of((1, 1))]
    )
    outcomes: list[ViewerOutcome] = []
    credits: list[tuple[float, float]] = []
    chances: list[tuple[float, float]] = []
    played.clear()
    for user in users:
        unit = f"u:{user}"
        actor = Actor(user_id=user, personalization_consent=True)
        weeks = [
            (int(rng.geometric(1 / MEAN_SCROLL)), rng.random((3, PAGE_ITEMS)))
            for _ in range(int(population.sessions[user]))
        ]
        for exp in arms:
            chosen = await _feed_variant(exp, unit, services)  # type: ignore[arg-type]
            assert chosen is not None
            arm, variant = chosen
            impressions = clicks = carts = orders = 0
            for scroll, draws in weeks:
                request = FeedRequest(FeedMode.FOR_YOU, PAGE_ITEMS, variant=variant)
                page = await build_page(uow, actor, request, services)  # type: ignore[arg-type]
                engaged: list[tuple[tuple[ItemKind, int], str]] = []
                seen: list[tuple[str, float]] = []
                for k, item in enumerate(page.items[:scroll]):
                    if item.kind is not ItemKind.PRODUCT:
                        continue  # posts do not depend on the ranker: left out of click-through (kinder to A/B)
                    impressions += 1
                    chance = population.click_probability(user, index[item.item_id])
                    seen.append((item.team or "", chance))
                    if draws[0, k] < chance:
                        clicks += 1
                        engaged.append(((item.kind, item.item_id), "CLICK"))
                        if draws[1, k] < CART_AFTER_CLICK:
                            carts += 1
                            engaged.append(((item.kind, item.item_id), "ADD_TO_CART"))
                            orders += draws[2, k] < ORDER_AFTER_CART
                if kind is ExperimentKind.INTERLEAVING:
                    teams = {(i.kind, i.item_id): i.team for i in page.items if i.team is not None}
                    credits.append(interleaving.session_credit(teams, engaged))
                    chances.append(_preference_chances([c for c in seen if c[0]]))
                    played.append(InterleavedSession(page.session.id, unit, teams, engaged))
            outcomes.append(
                ViewerOutcome(unit, arm, sessions=len(weeks), impressions=impressions, clicks=clicks,
                              add_to_carts=carts, orders=orders)
            )  # fmt: skip
    return outcomes, credits, chances


def _ab_needed(pool: dict[str, list[ViewerOutcome]], metric: str) -> tuple[float, float]:
    """(relative lift of A over B, viewers per arm for 80% power): the effect from the paired pool, the
    variances of each arm's viewers (those of two independent groups, which is what an A/B test has)."""
    moments = {}
    for arm, viewers in pool.items():
        n = len(viewers)
        if metric == "ctr":
            mean, var = stats._ratio_moments([o.clicks for o in viewers], [o.impressions for o in viewers])
            moments[arm] = (mean, var * n)  # the variance of one viewer's contribution
        else:
            moments[arm] = stats.mean_var([float(o.orders > 0) for o in viewers])
    (ma, va), (mb, vb) = moments["ranker-a"], moments["ranker-b"]
    if ma <= mb:
        return ma / mb - 1, math.inf
    return ma / mb - 1, (Z_ALPHA + Z_POWER) ** 2 * (va + vb) / (ma - mb) ** 2


def _interleaving_needed(chances: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(share of sessions with a preference, share of those preferring A, sessions for 80% power of the
    sign test: decided sessions from the normal approximation, divided by the share decided)."""
    wins_a = sum(a for a, _ in chances)
    wins_b = sum(b for _, b in chances)
    decided = (wins_a + wins_b) / len(chances)
    p = wins_a / (wins_a + wins_b)
    if p <= 0.5:
        return decided, p, math.inf
    m = ((Z_ALPHA * 0.5 + Z_POWER * math.sqrt(p * (1 - p))) / (p - 0.5)) ** 2
    return decided, p, m / decided


def _power(check: Any, reps: int) -> float:
    return sum(bool(check()) for _ in range(reps)) / reps


def interleaving_vs_ab(reps: int, users: int, rng: np.random.Generator) -> None:
    import asyncio

    started = time.perf_counter()
    population = Population(rng, 2 * users)
    seed = int(rng.integers(0, 2**31))
    ab, _, _ = asyncio.run(run_sessions(population, ExperimentKind.AB, range(0, users), seed))
    _, credits, chances = asyncio.run(run_sessions(population, ExperimentKind.INTERLEAVING, range(users, 2 * users), seed + 1))  # fmt: skip
    simulated = time.perf_counter() - started
    pool = {arm: [o for o in ab if o.variant == arm] for arm in ("ranker-a", "ranker-b")}
    per_viewer = float(population.sessions.mean())
    lift_ctr, n_ctr = _ab_needed(pool, "ctr")
    lift_cv, n_cv = _ab_needed(pool, "conversion")
    decided, prefer_a, n_il = _interleaving_needed(chances)
    drawn = interleaving.outcome(credits)
    print(f"4. Two rankers of known quality (NDCG@10 against the true appeal: A {population.ndcg('A'):.3f}, "
          f"B {population.ndcg('B'):.3f}) through the real feed: {users} viewers' weeks under each ranker "
          f"({sum(o.sessions for o in pool['ranker-a'])} sessions each, the same random numbers) and "
          f"{len(chances)} interleaved sessions of {users} other viewers, simulated in {simulated:.0f} s; "
          f"{per_viewer:.2f} sessions per viewer")  # fmt: skip
    print(f"   effects: A over B in product click-through {lift_ctr:+.1%}, in conversion {lift_cv:+.1%}; "
          f"interleaving: {decided:.1%} of sessions prefer a ranker, {prefer_a:.1%} of those A (exact "
          f"chances; as drawn: {(drawn.wins_a + drawn.wins_b) / len(credits):.1%}, {drawn.preference_a or 0:.1%})")  # fmt: skip

    def resample(values: list[Any], n: int) -> list[Any]:
        return [values[i] for i in rng.integers(0, len(values), n)]

    def ab_hit(n: int, metric: str) -> bool:
        a, b = resample(pool["ranker-a"], n), resample(pool["ranker-b"], n)  # independent viewers per arm
        if metric == "ctr":
            c = stats.ratio([o.clicks for o in b], [o.impressions for o in b], [o.clicks for o in a], [o.impressions for o in a])  # fmt: skip
        else:
            c = stats.welch([float(o.orders > 0) for o in b], [float(o.orders > 0) for o in a])
        return c.p_value is not None and c.p_value < 0.05 and (c.lift or 0) > 0

    def il_hit(n: int) -> bool:
        sessions = resample(chances, n)
        draws = rng.random(n)
        found = interleaving.outcome(
            (1.0, 0.0) if u < a else (0.0, 1.0) if u < a + b else (0.0, 0.0)
            for u, (a, b) in zip(draws, sessions, strict=True)
        )
        return found.p_value < 0.05 and found.winner == "A"

    print(f"   sizes for 80% power (power formula on the simulated moments; the power is then checked by "
          f"{reps} experiments of that size resampled from the simulated pools, analysed by the real tests):")  # fmt: skip
    print(f"   interleaving, sign test on per-session preference: {math.ceil(n_il)} sessions, power "
          f"{_power(lambda: il_hit(math.ceil(n_il)), reps):.0%}")  # fmt: skip
    for name, n, metric in (("A/B, product click-through per viewer (delta method)", n_ctr, "ctr"),
                            ("A/B, conversion per viewer (Welch)", n_cv, "conversion")):  # fmt: skip
        if not math.isfinite(n):
            print(f"   {name}: A is not ahead in this sample")
            continue
        sessions = 2 * math.ceil(n) * per_viewer
        power = _power(lambda n=n, m=metric: ab_hit(math.ceil(n), m), reps)
        print(f"   {name}: {math.ceil(n)} viewers per arm = {sessions:.0f} sessions, power {power:.0%} -> "
              f"{sessions / n_il:.1f}x the sessions interleaving needs")  # fmt: skip
    low, high = _ratio_interval(rng, pool, chances, per_viewer)
    print(f"   the ratios' 95% bootstrap intervals (viewers and sessions resampled 200 times, sizes "
          f"recomputed): click-through [{low['ctr']:.1f}x, {high['ctr']:.1f}x], conversion "
          f"[{low['conversion']:.1f}x, {high['conversion']:.1f}x] (target: interleaving >= 10x fewer sessions)")  # fmt: skip


def _ratio_interval(
    rng: np.random.Generator, pool: dict[str, list[ViewerOutcome]], chances: list[tuple[float, float]],
    per_viewer: float, times: int = 200,
) -> tuple[dict[str, float], dict[str, float]]:  # fmt: skip
    """The sessions ratio is an estimate from finite pools: its 2.5% and 97.5% percentiles when the
    viewers (keeping their pairs) and sessions are resampled and every size recomputed."""
    ratios: dict[str, list[float]] = {"ctr": [], "conversion": []}
    viewers = len(pool["ranker-a"])
    for _ in range(times):
        picked = rng.integers(0, viewers, viewers)
        drawn = {arm: [v[i] for i in picked] for arm, v in pool.items()}
        _, _, n_il = _interleaving_needed([chances[i] for i in rng.integers(0, len(chances), len(chances))])
        for metric in ratios:
            n_ab = _ab_needed(drawn, metric)[1]
            ratios[metric].append(2 * n_ab * per_viewer / n_il if math.isfinite(n_il) else 0.0)
    low = {m: float(np.percentile(r, 2.5, method="lower")) for m, r in ratios.items()}
    high = {m: float(np.percentile(r, 97.5, method="higher")) for m, r in ratios.items()}
    return low, high


def example_report(rng: np.random.Generator, kind: str) -> None:
    """What `shoppable experiments report` prints, for one simulated experiment: an A/B test of 30,000
    viewers with a true +5% conversion lift, or an interleaving experiment of 1,500 viewers through the
    real feed (the two rankers of part 4)."""
    import asyncio

    from shoppable.domain.experiments.report import format_report

    if kind == "interleaving":
        population = Population(rng, 1500)
        outcomes, _, _ = asyncio.run(run_sessions(population, ExperimentKind.INTERLEAVING, range(1500), 11))
        variants = (
            Variant("ranker-a", 1, {"ranker": "ranker-a"}),
            Variant("ranker-b", 1, {"ranker": "ranker-b"}),
        )
        exp = Experiment(
            1, "rankers", "", ExperimentKind.INTERLEAVING, "feed", ExperimentStatus.RUNNING, variants,
            ("ctr", "add_to_cart_rate", "conversion", "items_per_session"),
        )  # fmt: skip
        exposures = {INTERLEAVED: sum(o.sessions for o in outcomes)}
        print(format_report(exp, analyze_interleaving(exp, outcomes, exposures, played, NOW)))
        return
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
    parser.add_argument(
        "--users", type=int, default=2000, help="Simulated viewers per A/B arm and in the interleaving pool."
    )
    parser.add_argument("--only", choices=["ab", "interleaving"], help="Run one part only.")
    parser.add_argument(
        "--example-report",
        nargs="?",
        const="ab",
        choices=["ab", "interleaving"],
        help="Print the report of one simulated experiment (A/B, or interleaving through the feed) and exit.",
    )
    args = parser.parse_args()
    print("$ " + shlex.join([sys.executable.rsplit("/", 1)[-1], *sys.argv]))
    rng = np.random.default_rng(args.seed)
    if args.example_report:
        example_report(rng, args.example_report)
        return
    started = time.perf_counter()
    if args.only != "interleaving":
        aa_and_ab(args.runs, rng)
    if args.only != "ab":
        interleaving_vs_ab(args.reps, args.users, rng)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
