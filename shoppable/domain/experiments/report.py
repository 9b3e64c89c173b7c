"""An experiment's results as text (with a lift chart for the terminal) and as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from shoppable.domain.experiments.analysis import Results
from shoppable.domain.experiments.interleaving import InterleavingOutcome
from shoppable.domain.experiments.model import Experiment, ExperimentKind
from shoppable.domain.experiments.stats import ALPHA

CHART_WIDTH = 41


def to_json(experiment: Experiment, results: Results) -> dict[str, Any]:
    body = asdict(results)
    body["computed_at"] = results.computed_at.isoformat()
    if results.interleaving is not None:
        teams = {"A": experiment.variants[0].key, "B": experiment.variants[-1].key}
        winner = results.interleaving.winner
        body["interleaving"]["winner"] = teams[winner] if winner is not None else None
        body["interleaving"]["sessions"] = results.interleaving.sessions
    return {
        "key": experiment.key,
        "status": experiment.status.value,
        "kind": experiment.kind.value,
        "window_days": experiment.window_days,
        "variants_config": [
            {"key": v.key, "weight": v.weight, "config": v.config} for v in experiment.variants
        ],
        "results": body,
    }


def _bar(low: float, lift: float, high: float, scale: float) -> str:
    """A line from -scale to +scale: [---*---] the interval, | zero."""
    cells = [" "] * CHART_WIDTH

    def at(x: float) -> int:
        return max(0, min(CHART_WIDTH - 1, round((x / scale + 1) / 2 * (CHART_WIDTH - 1))))

    for i in range(at(low), at(high) + 1):
        cells[i] = "-"
    cells[at(0.0)] = "|"
    cells[at(low)], cells[at(high)] = "[", "]"
    cells[at(lift)] = "*"
    return "".join(cells)


def _pct(x: float | None) -> str:
    return "      -" if x is None else f"{x * 100:+6.1f}%"


def _p(x: float | None) -> str:
    return "     -" if x is None else f"{x:6.4f}"


def format_report(experiment: Experiment, results: Results) -> str:
    lines = [
        f"Experiment {experiment.key} ({experiment.kind.value}, {experiment.status.value}) - "
        f"metrics over {experiment.window_days} days from each viewer's first exposure",
        f"SRM check: p = {results.srm_p_value:.4g} -> {'ok' if results.srm_ok else 'MISMATCH (alert below 0.001)'}",
        "",
        "variant        users  exposures  (weights: "
        + ", ".join(f"{v.key}={v.weight}" for v in experiment.variants)
        + ")",
    ]
    for v in results.variants:
        lines.append(f"{v.key:<12} {v.users:>7} {v.exposures:>10}")
    control = experiment.control.key
    spans = [
        max(abs(m.ci_low or 0), abs(m.ci_high or 0))
        for v in results.variants
        for m in v.metrics
        if m.ci_low is not None
    ]
    scale = max([0.01, *spans])
    interleaved = experiment.kind is ExperimentKind.INTERLEAVING
    lines += [
        "",
        "means over the interleaved feed (every viewer saw both rankers: guardrails, not a comparison)"
        if interleaved
        else f"lift against {control} with 95% interval; chart from {-scale * 100:.1f}% to {scale * 100:+.1f}%"
        " (| = no change)",
        f"{'metric':<20} {'variant':<10} {'mean':>12} {'lift':>8} {'95% CI':>17} {'p':>7} {'seq. p':>7}",
    ]
    for v in results.variants:
        for m in v.metrics:
            mean = f"{m.mean:12.4f}"
            if v.key == control or interleaved:
                lines.append(f"{m.name:<20} {v.key:<10} {mean}")
                continue
            interval = (
                f"[{_pct(m.ci_low).strip()}, {_pct(m.ci_high).strip()}]" if m.ci_low is not None else "-"
            )
            flag = " *" if m.p_value is not None and m.p_value < ALPHA else "  "
            chart = (
                _bar(m.ci_low, m.lift, m.ci_high, scale)
                if m.lift is not None and m.ci_low is not None and m.ci_high is not None
                else ""
            )
            lines.append(
                f"{m.name:<20} {v.key:<10} {mean} {_pct(m.lift)} {interval:>17} {_p(m.p_value)} "
                f"{_p(m.sequential_p_value)}{flag}{' CUPED' if m.cuped else '      '} {chart}"
            )
    if results.interleaving is not None:
        lines += ["", *interleaving_lines(experiment, results.interleaving)]
    lines += ["", *(f"! {w}" for w in results.warnings)]
    return "\n".join(lines)


def interleaving_lines(experiment: Experiment, i: InterleavingOutcome) -> list[str]:
    """Who wins and how sure: wins, the sign test, and the preference share's interval as a bar around
    50% (left of | prefers B, right prefers A)."""
    a, b = experiment.variants[0].key, experiment.variants[-1].key
    winner = {"A": a, "B": b}.get(i.winner or "", "none yet (p >= 0.05)")
    lines = [
        f"interleaving (team draft), {i.sessions} sessions: {i.wins_a} prefer {a} (A), {i.wins_b} prefer {b} (B), "
        f"{i.ties} ties; credit (clicks + adds to cart) A {i.credit_a:g}, B {i.credit_b:g}",
    ]
    if i.preference_a is not None and i.ci_low is not None and i.ci_high is not None:
        # The share preferring A, drawn as a lift around one half: 0.5 -> |, 1.0 -> right edge.
        bar = _bar(2 * i.ci_low - 1, 2 * i.preference_a - 1, 2 * i.ci_high - 1, 1.0)
        lines.append(
            f"share of preferring sessions that prefer A: {i.preference_a:.1%} [95% CI {i.ci_low:.1%}, "
            f"{i.ci_high:.1%}]  B {bar} A"
        )
    lines.append(f"sign test p = {i.p_value:.4g}; winner: {winner}")
    return lines
