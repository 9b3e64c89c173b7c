"""From per-viewer outcomes to an experiment's results: means, lifts, intervals, SRM, interleaving."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shoppable.domain.experiments import interleaving, stats
from shoppable.domain.experiments.interleaving import InterleavingOutcome
from shoppable.domain.experiments.model import Experiment, ExperimentKind
from shoppable.domain.feed.model import ItemKind

INTERLEAVED = "interleaved"
"""The variant every viewer of an interleaving experiment is exposed to (both rankers at once)."""
REVENUE = "revenue_per_viewer"

PEEKING_WARNING = (
    "pValue and the interval are fixed-horizon: valid when read once, at a sample size chosen before "
    "starting. To look every day, decide on sequentialPValue (mSPRT, always valid) instead."
)


@dataclass(frozen=True)
class ViewerOutcome:
    """One exposed viewer (assignment unit) in the metric window from their first exposure, and the same
    length of time before it (for CUPED)."""

    unit: str
    variant: str
    sessions: int = 0
    impressions: int = 0
    clicks: int = 0
    add_to_carts: int = 0
    orders: int = 0
    revenue_minor: Mapping[str, int] = field(default_factory=dict)
    """Order totals after refunds by currency: amounts in two currencies are never added up."""
    hides: int = 0
    unfollows: int = 0
    latency_ms: float = 0.0
    pre_add_to_carts: int = 0
    pre_orders: int = 0
    pre_revenue_minor: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class InterleavedSession:
    """One session of an interleaving experiment: the team of each product card it served, and what the
    viewer clicked or added to a cart in it, as (item, "CLICK" | "ADD_TO_CART")."""

    session_id: str
    unit: str
    teams: Mapping[tuple[ItemKind, int], str]
    engaged: Sequence[tuple[tuple[ItemKind, int], str]]


@dataclass(frozen=True)
class MetricResult:
    name: str
    mean: float
    lift: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    sequential_p_value: float | None = None
    cuped: bool = False


@dataclass(frozen=True)
class VariantResult:
    key: str
    users: int
    exposures: int
    metrics: list[MetricResult]


@dataclass(frozen=True)
class Results:
    computed_at: datetime
    srm_p_value: float
    srm_ok: bool
    variants: list[VariantResult]
    interleaving: InterleavingOutcome | None = None
    warnings: list[str] = field(default_factory=list)


Per = Callable[[ViewerOutcome], float]
_MEANS: dict[str, tuple[Per, Per | None]] = {
    "add_to_cart_rate": (lambda o: float(o.add_to_carts > 0), lambda o: float(o.pre_add_to_carts > 0)),
    "conversion": (lambda o: float(o.orders > 0), lambda o: float(o.pre_orders > 0)),
    "hides_per_viewer": (lambda o: float(o.hides), None),
    "unfollows_per_viewer": (lambda o: float(o.unfollows), None),
    "feed_latency_ms": (lambda o: o.latency_ms, None),
}
_RATIOS: dict[str, tuple[Per, Per]] = {
    "ctr": (lambda o: float(o.clicks), lambda o: float(o.impressions)),
    "items_per_session": (lambda o: float(o.impressions), lambda o: float(o.sessions)),
}


def _means(metric: str) -> tuple[Per, Per | None]:
    """Per-viewer value and pre-period covariate of a mean metric; `revenue_per_viewer:EUR` is the
    revenue in one currency (a viewer without orders in it counts 0)."""
    if metric.startswith(f"{REVENUE}:"):
        currency = metric.split(":", 1)[1]
        return (
            lambda o: float(o.revenue_minor.get(currency, 0)),
            lambda o: float(o.pre_revenue_minor.get(currency, 0)),
        )
    return _MEANS[metric]


def expand(metrics: Sequence[str], outcomes: Sequence[ViewerOutcome]) -> list[str]:
    """The experiment's metrics as reported: revenue once per currency seen (one currency is never
    converted into another here), or plain `revenue_per_viewer` at 0 while nobody has ordered."""
    currencies = sorted({c for o in outcomes for c in (*o.revenue_minor, *o.pre_revenue_minor)})
    expanded: list[str] = []
    for metric in metrics:
        if metric == REVENUE and currencies:
            expanded += [f"{REVENUE}:{c}" for c in currencies]
        else:
            expanded.append(metric)
    return expanded


def compare(
    metric: str, control: Sequence[ViewerOutcome], treatment: Sequence[ViewerOutcome]
) -> MetricResult:
    """The treatment's metric against the control's (CUPED when the pre-period covariate helps)."""
    if metric in _RATIOS:
        num, den = _RATIOS[metric]
        c = stats.ratio(
            [num(o) for o in control],
            [den(o) for o in control],
            [num(o) for o in treatment],
            [den(o) for o in treatment],
        )
        return MetricResult(
            metric, c.mean_treatment, c.lift, c.ci_low, c.ci_high, c.p_value, c.sequential_p_value
        )
    if metric == REVENUE:
        return MetricResult(metric, 0.0)  # nobody ordered in any currency
    value, pre = _means(metric)
    ys_c, ys_t = [value(o) for o in control], [value(o) for o in treatment]
    result = None
    if pre is not None:
        result = stats.cuped(ys_c, ys_t, [pre(o) for o in control], [pre(o) for o in treatment])
    used_cuped = result is not None
    c = result or stats.welch(ys_c, ys_t)
    return MetricResult(
        metric, c.mean_treatment, c.lift, c.ci_low, c.ci_high, c.p_value, c.sequential_p_value, used_cuped
    )


def metric_mean(metric: str, outcomes: Sequence[ViewerOutcome]) -> float:
    if metric in _RATIOS:
        num, den = _RATIOS[metric]
        total = sum(den(o) for o in outcomes)
        return sum(num(o) for o in outcomes) / total if total else 0.0
    if metric == REVENUE:
        return 0.0
    value = _means(metric)[0]
    return sum(value(o) for o in outcomes) / len(outcomes) if outcomes else 0.0


def analyze(
    experiment: Experiment,
    outcomes: Sequence[ViewerOutcome],
    exposures: dict[str, int],
    now: datetime,
    interleaving: InterleavingOutcome | None = None,
) -> Results:
    by_variant: dict[str, list[ViewerOutcome]] = {v.key: [] for v in experiment.variants}
    for outcome in outcomes:
        by_variant.setdefault(outcome.variant, []).append(outcome)
    keys = [v.key for v in experiment.variants]
    srm = stats.srm_p_value([len(by_variant[k]) for k in keys], [v.weight for v in experiment.variants])
    control = by_variant[experiment.control.key]
    variants: list[VariantResult] = []
    for variant in experiment.variants:
        group = by_variant[variant.key]
        metrics = []
        for metric in expand(experiment.metrics, outcomes):
            if variant.key == experiment.control.key or experiment.kind is ExperimentKind.INTERLEAVING:
                metrics.append(MetricResult(metric, metric_mean(metric, group)))
            else:
                metrics.append(compare(metric, control, group))
        variants.append(VariantResult(variant.key, len(group), exposures.get(variant.key, 0), metrics))
    warnings = [PEEKING_WARNING]
    if srm < stats.SRM_ALERT:
        warnings.insert(
            0, f"Sample ratio mismatch (p = {srm:.2g} < {stats.SRM_ALERT}): do not trust these results."
        )
    return Results(now, srm, srm >= stats.SRM_ALERT, variants, interleaving, warnings)


INTERLEAVING_NOTE = (
    "Interleaving: every viewer sees both rankers, so there is no sample ratio to check. The winner is the "
    "ranker more sessions prefer (more clicks and adds to cart on its items), by a two-sided sign test."
)


def analyze_interleaving(
    experiment: Experiment,
    outcomes: Sequence[ViewerOutcome],
    exposures: dict[str, int],
    sessions: Sequence[InterleavedSession],
    now: datetime,
) -> Results:
    """One group of viewers (each saw both rankers) with the experiment's metrics as means (guardrails
    to watch, not comparisons), and the rankers' per-session preference."""
    metrics = [MetricResult(m, metric_mean(m, outcomes)) for m in expand(experiment.metrics, outcomes)]
    group = VariantResult(INTERLEAVED, len(outcomes), sum(exposures.values()), metrics)
    preference = interleaving.outcome(interleaving.session_credit(s.teams, s.engaged) for s in sessions)
    return Results(now, 1.0, True, [group], preference, [INTERLEAVING_NOTE])
