"""Frequentist analysis of an A/B test, as GrowthBook and Statsig do it.

- Means per viewer: Welch's t-test on the difference; the relative lift's 95% interval by the delta method
  (Var(mt/mc - 1) ~ Vt/mc^2 + mt^2 Vc/mc^4, V = s^2/n).
- Ratio metrics (clicks per impression): the delta method on the ratio of two per-viewer sums (Deng et al.
  2018), since impressions of one viewer are not independent.
- CUPED (Deng et al. 2013): the same metric in the window before exposure as covariate, theta pooled over
  both arms; used when it applies (a per-viewer mean metric with some pre-exposure variance).
- Sample ratio mismatch: Pearson's chi-square of users per variant against the configured weights; alert
  below p = 0.001.
- Peeking: fixed-horizon p-values are valid for one look at a sample size chosen in advance. Each result
  also carries an always-valid p-value of the mixture sequential probability ratio test (mSPRT, Johari et
  al. 2017, normal mixture with variance tau^2), safe to look at every day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sp

SRM_ALERT = 0.001
ALPHA = 0.05
MSPRT_TAU = 0.05
"""The mixing standard deviation of the mSPRT prior on the relative lift (effects around 5% expected)."""


@dataclass(frozen=True)
class Comparison:
    mean_control: float
    mean_treatment: float
    lift: float | None  # relative: mt / mc - 1
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    sequential_p_value: float | None


def mean_var(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    if n == 0:
        return 0.0, 0.0
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, var


def _relative(mc: float, mt: float, vc: float, vt: float, df: float | None) -> Comparison:
    """vc, vt: variances of the two means (not of the values)."""
    if mc == 0 or (vc + vt) <= 0:
        return Comparison(mc, mt, None, None, None, None, None)
    lift = mt / mc - 1
    var_lift = vt / mc**2 + mt**2 * vc / mc**4
    se = math.sqrt(var_lift)
    z = float(sp.norm.ppf(1 - ALPHA / 2) if df is None else sp.t.ppf(1 - ALPHA / 2, df))
    t = (mt - mc) / math.sqrt(vc + vt)
    p = 2 * (sp.norm.sf(abs(t)) if df is None else sp.t.sf(abs(t), df))
    return Comparison(mc, mt, lift, lift - z * se, lift + z * se, float(p), msprt_p_value(lift, var_lift))


def welch(control: Sequence[float], treatment: Sequence[float]) -> Comparison:
    """Difference of per-viewer means: Welch's t-test and the lift's delta-method interval."""
    nc, nt = len(control), len(treatment)
    mc, sc = mean_var(control)
    mt, st = mean_var(treatment)
    if nc < 2 or nt < 2:
        return Comparison(mc, mt, None, None, None, None, None)
    vc, vt = sc / nc, st / nt
    df = (vc + vt) ** 2 / (
        (vc**2 / (nc - 1) if nc > 1 else 0) + (vt**2 / (nt - 1) if nt > 1 else 0) or 1e-300
    )
    return _relative(mc, mt, vc, vt, df)


def cuped(
    control: Sequence[float],
    treatment: Sequence[float],
    control_pre: Sequence[float],
    treatment_pre: Sequence[float],
) -> Comparison | None:
    """Welch on CUPED-adjusted values (Y - theta (X - mean X)), None when the covariate has no variance."""
    xs = list(control_pre) + list(treatment_pre)
    ys = list(control) + list(treatment)
    mx, vx = mean_var(xs)
    if vx <= 0 or len(xs) < 4:
        return None
    my = math.fsum(ys) / len(ys)
    cov = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)
    theta = cov / vx
    adjusted_c = [y - theta * (x - mx) for y, x in zip(control, control_pre, strict=True)]
    adjusted_t = [y - theta * (x - mx) for y, x in zip(treatment, treatment_pre, strict=True)]
    result = welch(adjusted_c, adjusted_t)
    raw_c, raw_t = mean_var(control)[0], mean_var(treatment)[0]
    return Comparison(
        raw_c, raw_t, result.lift, result.ci_low, result.ci_high, result.p_value, result.sequential_p_value
    )


def _ratio_moments(num: Sequence[float], den: Sequence[float]) -> tuple[float, float]:
    """The ratio sum(num)/sum(den) and its delta-method variance."""
    n = len(num)
    mx, vx = mean_var(num)
    my, vy = mean_var(den)
    if n < 2 or my == 0:
        return (mx / my if my else 0.0), 0.0
    cov = math.fsum((x - mx) * (y - my) for x, y in zip(num, den, strict=True)) / (n - 1)
    ratio = mx / my
    var = (vx - 2 * ratio * cov + ratio**2 * vy) / (n * my**2)
    return ratio, max(var, 0.0)


def ratio(
    control_num: Sequence[float],
    control_den: Sequence[float],
    treatment_num: Sequence[float],
    treatment_den: Sequence[float],
) -> Comparison:
    rc, vc = _ratio_moments(control_num, control_den)
    rt, vt = _ratio_moments(treatment_num, treatment_den)
    if len(control_num) < 2 or len(treatment_num) < 2:
        return Comparison(rc, rt, None, None, None, None, None)
    return _relative(rc, rt, vc, vt, None)


def msprt_p_value(lift: float, var_lift: float, tau: float = MSPRT_TAU) -> float:
    """Always-valid p-value of a normal-mixture SPRT on the lift (one look; a running minimum over looks
    stays valid). Lambda = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V + tau^2))); p = min(1, 1/Lambda)."""
    if var_lift <= 0:
        return 1.0
    v, t2 = var_lift, tau * tau
    log_lambda = 0.5 * math.log(v / (v + t2)) + t2 * lift * lift / (2 * v * (v + t2))
    return float(min(1.0, math.exp(-log_lambda)))


def srm_p_value(observed: Sequence[int], weights: Sequence[int]) -> float:
    """Pearson chi-square goodness of fit of users per variant to the weights (1.0 with no users)."""
    total = sum(observed)
    if total == 0 or len(observed) < 2:
        return 1.0
    weight_sum = sum(weights)
    expected = [total * w / weight_sum for w in weights]
    chi2 = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    return float(sp.chi2.sf(chi2, len(observed) - 1))


def sign_test(wins_a: int, wins_b: int) -> float:
    """Two-sided binomial test of wins against 50/50, ties left out (interleaving)."""
    n = wins_a + wins_b
    if n == 0:
        return 1.0
    return float(sp.binomtest(wins_a, n, 0.5).pvalue)


def proportion_interval(successes: int, n: int) -> tuple[float, float]:
    """The 95% Clopper-Pearson (exact) interval of a binomial proportion; n > 0."""
    interval = sp.binomtest(successes, n, 0.5).proportion_ci(1 - ALPHA, method="exact")
    return float(interval.low), float(interval.high)
