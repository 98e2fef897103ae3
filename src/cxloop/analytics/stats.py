"""Confidence intervals and two-period significance tests, from the sufficient statistics the
warehouse returns (counts, sums, sums of squares, rank sums), never from rows pulled into Python."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as _scipy

Z95 = 1.959963984540054
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Estimate:
    value: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """The current period against the previous one."""

    test: str
    difference: float
    p_value: float | None
    ci_low: float | None = None  # of the difference, where the test gives one
    ci_high: float | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def proportion(hits: int, n: int) -> Estimate:
    """A share with its Wilson score interval (sound near 0 and 1, unlike the normal interval)."""
    p = hits / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    # Clamped to contain the point: at 0 or 1 rounding can leave the bound a hair on the wrong side.
    return Estimate(p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def nps(n: int, promoters: int, detractors: int) -> Estimate:
    """NPS ×100 with the normal interval from the variance of the estimator:
    Var(p₊ − p₋) = (p₊ + p₋ − (p₊ − p₋)²) / n."""
    value, se = _nps_and_se(n, promoters, detractors)
    return Estimate(value, max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se))


def _nps_and_se(n: int, promoters: int, detractors: int) -> tuple[float, float]:
    p_plus, p_minus = promoters / n, detractors / n
    variance = max(0.0, p_plus + p_minus - (p_plus - p_minus) ** 2) / n
    return 100.0 * (p_plus - p_minus), 100.0 * math.sqrt(variance)


def mean(n: int, total: float, total_squares: float) -> Estimate:
    """A mean with its t interval; no interval from a single value."""
    value = total / n
    if n < 2:
        return Estimate(value, None, None)
    half = float(_scipy.t.ppf(0.975, n - 1)) * math.sqrt(_sample_variance(n, total, total_squares) / n)
    return Estimate(value, value - half, value + half)


def _sample_variance(n: int, total: float, total_squares: float) -> float:
    # Clamped: the sum-of-squares form can dip a hair below zero through rounding.
    return max(0.0, (total_squares - total * total / n) / (n - 1))


def compare_proportions(h1: int, n1: int, h0: int, n0: int) -> Comparison:
    """Two-proportion z-test with the pooled standard error; the difference is current − previous."""
    p1, p0 = h1 / n1, h0 / n0
    pooled = (h1 + h0) / (n1 + n0)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    se_diff = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    p_value = two_sided_p((p1 - p0) / se) if se > 0 else (1.0 if p1 == p0 else 0.0)
    return Comparison("two_proportion_z", p1 - p0, p_value, p1 - p0 - Z95 * se_diff, p1 - p0 + Z95 * se_diff)


def compare_nps(current: tuple[int, int, int], previous: tuple[int, int, int]) -> Comparison:
    """NPS difference with its interval; the two periods are independent samples."""
    v1, se1 = _nps_and_se(*current)
    v0, se0 = _nps_and_se(*previous)
    se = math.hypot(se1, se0)
    diff = v1 - v0
    p_value = two_sided_p(diff / se) if se > 0 else (1.0 if diff == 0 else 0.0)
    return Comparison("nps_difference", diff, p_value, diff - Z95 * se, diff + Z95 * se)


def compare_means(current: tuple[int, float, float], previous: tuple[int, float, float]) -> Comparison | None:
    """Welch's t-test from (n, sum, sum of squares) of each period."""
    (n1, s1, q1), (n0, s0, q0) = current, previous
    if n1 < 2 or n0 < 2:
        return None
    v1, v0 = _sample_variance(n1, s1, q1) / n1, _sample_variance(n0, s0, q0) / n0
    diff = s1 / n1 - s0 / n0
    se = math.sqrt(v1 + v0)
    if se == 0:
        return Comparison("welch_t", diff, 1.0 if diff == 0 else 0.0, diff, diff)
    df = (v1 + v0) ** 2 / (v1 * v1 / (n1 - 1) + v0 * v0 / (n0 - 1)) if v1 * v0 > 0 else float(n1 + n0 - 2)
    t_crit = float(_scipy.t.ppf(0.975, df))
    p_value = float(2 * _scipy.t.sf(abs(diff / se), df))
    return Comparison("welch_t", diff, p_value, diff - t_crit * se, diff + t_crit * se)


def mann_whitney(n1: int, n0: int, rank_sum_1: float, tie_term: float, difference: float) -> Comparison | None:
    """Mann-Whitney U (normal approximation, tie-corrected) from the rank sum of the current period
    and Σ(t³ − t) over tied groups; `difference` is the change in medians, reported beside it."""
    if n1 == 0 or n0 == 0:
        return None
    total = n1 + n0
    u1 = rank_sum_1 - n1 * (n1 + 1) / 2
    variance = n1 * n0 / 12 * ((total + 1) - tie_term / (total * (total - 1))) if total > 1 else 0.0
    if variance <= 0:
        return Comparison("mann_whitney", difference, 1.0)
    z = (u1 - n1 * n0 / 2) / math.sqrt(variance)
    return Comparison("mann_whitney", difference, two_sided_p(z))


def compare_rates(c1: int, e1: int, c0: int, e0: int, scale: float) -> Comparison | None:
    """Two Poisson rates per exposure: z-test on the log rate ratio (needs events in both periods)."""
    if min(c1, c0) == 0 or min(e1, e0) == 0:
        return None
    diff = scale * (c1 / e1 - c0 / e0)
    z = math.log((c1 / e1) / (c0 / e0)) / math.sqrt(1 / c1 + 1 / c0)
    return Comparison("rate_ratio_z", diff, two_sided_p(z))
