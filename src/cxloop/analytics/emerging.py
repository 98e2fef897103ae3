"""Emerging issues: topic and keyword volume spikes, and new phrases, against a weekday-aware baseline.

Pure functions over daily counts; the store counts, these decide. Each ``Detection`` becomes an
emerging-issue record (the caller attaches example items for its subject and day).

How a day's count is judged (``detect_spikes``):

1. **Baseline.** The ``baseline_weeks`` before the day, cut at the start of the data. Fewer than
   ``MIN_BASELINE_DAYS`` (two of every weekday) → no detection at all (the conservative rule): with
   less history the weekday profile is guesswork and every ordinary Monday would look like news.
2. **Past spikes don't define normal.** A baseline day far above the median ``m`` of its weekday
   (above ``max(2m, m + 5√m) + 3``, i.e. beyond Poisson noise and beyond double) is clipped to that
   bound, so last month's incident does not hide this month's.
3. **Weekday profile.** A factor per weekday (its mean over the overall mean, over the whole
   baseline), shrunk toward 1 by ``PROFILE_PSEUDO_COUNT`` counts so a sparse series gets no
   invented seasonality. A busy Saturday is compared with Saturdays.
4. **Level.** The deseasonalised mean of the last ``LEVEL_DAYS`` days, so a slow trend moves the
   baseline with it. Half a count is added (Jeffreys prior): a series of zeros expects a little
   more than nothing, and a first appearance can still be scored.
5. **Expected** = level × weekday factor.
6. **Score.** Counts are modelled as negative binomial: the extra variance is the series' own day-to-
   day overdispersion (method of moments on the baseline) plus the uncertainty of the level itself
   (a Poisson-gamma predictive: ``1 / level count``). The score is the upper-tail probability of the
   observed count under a *tolerated* mean of ``min_lift × expected``, expressed in standard-normal
   units (a one-sided z). It is therefore high only when the day is *both* clearly above the
   baseline in relative terms (at least ``min_lift``, default 1.25) *and* statistically surprising: a large,
   stable series moving by 10 % is never an issue, and 3 mentions where 1 is usual are not either.
   A detection needs ``score ≥ threshold`` and ``observed ≥ min_count``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

__all__ = ["KINDS", "MIN_BASELINE_DAYS", "Detection", "detect_new_phrases", "detect_spikes", "surprise"]

KINDS = ("topic_spike", "keyword_spike", "new_phrase")
#: Less baseline than this and nothing is detected.
MIN_BASELINE_DAYS = 14
#: The recent window the level is taken from.
LEVEL_DAYS = 14
#: Counts of prior weight pulling each weekday factor toward 1.
PROFILE_PSEUDO_COUNT = 5.0
#: Upper bound of the fitted overdispersion (variance = mean + dispersion × mean²).
MAX_DISPERSION = 1.0
_JEFFREYS = 0.5
_STANDARD_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class Detection:
    """One subject (a topic, keyword or phrase) that stood out on ``day``."""

    kind: str  # "topic_spike" | "keyword_spike" | "new_phrase"
    subject: str
    day: date
    observed: int
    expected: float  # baseline expectation for that day (weekday-adjusted); 0.0 for a never-seen phrase
    score: float  # one-sided z of observed against min_lift × expected; see the module docstring
    baseline_days: int

    @property
    def lift(self) -> float:
        """How many times the expected volume was observed (inf when nothing was expected)."""
        return self.observed / self.expected if self.expected > 0 else math.inf


@dataclass(frozen=True, slots=True)
class _Baseline:
    expected: float
    dispersion: float  # NB alpha, overdispersion plus the uncertainty of the level


def detect_spikes(
    daily: Mapping[str, Mapping[date, int]],
    *,
    kind: str,
    day: date,
    baseline_weeks: int = 8,
    min_count: int = 5,
    threshold: float = 4.0,
    min_lift: float = 1.25,
    history_start: date | None = None,
) -> list[Detection]:
    """Subjects whose count on ``day`` is a spike against their weekday-aware baseline, best first.

    ``daily`` maps subject → day → count; missing days count as zero. The data are taken to start
    at ``history_start``, or else at the earliest day in any series of ``daily`` (so a subject
    that was silent all along has a baseline of zeros, not none). Only days before ``day`` form the
    baseline. Deterministic: ties in score are ordered by subject.
    """
    if kind not in KINDS[:2]:
        raise ValueError(f"kind must be one of {KINDS[:2]}, not {kind!r}")
    if baseline_weeks < 2:
        raise ValueError("baseline_weeks must be at least 2")
    if history_start is None:
        starts = [min(series) for series in daily.values() if series]
        if not starts:
            return []
        history_start = min(starts)
    first = max(day - timedelta(weeks=baseline_weeks), history_start)
    baseline_days = (day - first).days
    if baseline_days < MIN_BASELINE_DAYS:
        return []
    dates = [first + timedelta(days=offset) for offset in range(baseline_days)]
    weekdays = np.array([d.weekday() for d in dates], dtype=np.int64)
    found: list[Detection] = []
    for subject, series in daily.items():
        observed = int(series.get(day, 0))
        if observed < min_count:
            continue
        counts = np.array([max(series.get(d, 0), 0) for d in dates], dtype=np.float64)
        baseline = _fit_baseline(counts, weekdays, day.weekday())
        score = surprise(observed, min_lift * baseline.expected, baseline.dispersion)
        if score >= threshold:
            found.append(
                Detection(kind, subject, day, observed, round(baseline.expected, 4), round(score, 4), baseline_days)
            )
    return sorted(found, key=lambda d: (-d.score, d.subject))


def detect_new_phrases(
    recent: Mapping[str, int],
    baseline: Mapping[str, int],
    *,
    day: date,
    min_count: int = 5,
    recent_days: int = 1,
    baseline_days: int = 56,
    max_baseline_count: int = 0,
    threshold: float = 4.0,
) -> list[Detection]:
    """Phrases used at least ``min_count`` times in the recent window and (almost) never before.

    ``recent`` counts phrases in the ``recent_days`` ending on ``day``; ``baseline`` counts them in
    the ``baseline_days`` before that. A phrase is new when its baseline count is at most
    ``max_baseline_count`` (default: never seen) and its recent count is surprising for the rate the
    baseline allows (Jeffreys prior, same score as spikes with no lift tolerance): 5 mentions today
    after 8 silent weeks qualify, 5 mentions in a fortnight after a fortnight of silence do not.
    With less than ``MIN_BASELINE_DAYS`` of baseline nothing is new, because everything would be.
    """
    if recent_days < 1:
        raise ValueError("recent_days must be at least 1")
    if baseline_days < MIN_BASELINE_DAYS:
        return []
    found: list[Detection] = []
    for phrase, count in recent.items():
        before = max(int(baseline.get(phrase, 0)), 0)
        if count < min_count or before > max_baseline_count:
            continue
        rate_window = recent_days / baseline_days
        score = surprise(int(count), (before + _JEFFREYS) * rate_window, 1.0 / (before + _JEFFREYS))
        if score >= threshold:
            found.append(
                Detection(
                    "new_phrase",
                    phrase,
                    day,
                    int(count),
                    round(before * rate_window, 4),
                    round(score, 4),
                    baseline_days,
                )
            )
    return sorted(found, key=lambda d: (-d.score, d.subject))


def _fit_baseline(counts: npt.NDArray[np.float64], weekdays: npt.NDArray[np.int64], weekday: int) -> _Baseline:
    """Expected count on ``weekday`` and NB dispersion from a baseline of daily ``counts``."""
    # 1. Clip past spikes at max(2 × median, median + 5 √median) + 3, medians per weekday.
    medians = np.zeros(7)
    for w in range(7):
        values = counts[weekdays == w]
        if len(values):
            medians[w] = float(np.median(values))
    typical = medians[weekdays]
    clipped = np.minimum(counts, np.maximum(2.0 * typical, typical + 5.0 * np.sqrt(typical)) + 3.0)
    # 2. Weekday factors, shrunk toward 1.
    mean = float(clipped.mean())
    factors = np.ones(7)
    if mean > 0:
        for w in range(7):
            on_day = weekdays == w
            if on_day.any():
                total = float(clipped[on_day].sum())
                factors[w] = (total + PROFILE_PSEUDO_COUNT) / (float(on_day.sum()) * mean + PROFILE_PSEUDO_COUNT)
    day_factors = factors[weekdays]
    # 3. Level from the recent days, deseasonalised.
    recent = slice(max(len(counts) - LEVEL_DAYS, 0), None)
    level_count = float(clipped[recent].sum())
    level = (level_count + _JEFFREYS) / float(day_factors[recent].sum())
    # 4. Overdispersion against a week-by-week level, so a trend is not mistaken for noise.
    fitted = np.empty_like(clipped)
    for start in range(len(clipped) % 7 - 7 if len(clipped) % 7 else 0, len(clipped), 7):
        week = slice(max(start, 0), start + 7)
        fitted[week] = day_factors[week] * (clipped[week].sum() / day_factors[week].sum())
    spread = float(((clipped - fitted) ** 2 - fitted).sum())
    scale = float((fitted**2).sum())
    overdispersion = min(max(spread / scale, 0.0), MAX_DISPERSION) if scale > 0 else 0.0
    return _Baseline(level * float(factors[weekday]), overdispersion + 1.0 / (level_count + _JEFFREYS))


def surprise(observed: int, mean: float, dispersion: float = 0.0) -> float:
    """One-sided z of seeing ``observed`` or more under a negative binomial (Poisson when dispersion 0).

    0.0 when ``observed`` is not above ``mean``. Large tails are computed in log space, so a count of
    500 where 1 is expected gives a finite, ordered score rather than infinity.
    """
    if observed <= mean or observed <= 0:
        return 0.0
    if mean <= 0:
        return math.inf
    log_tail = _log_upper_tail(observed, mean, dispersion)
    if log_tail > -700.0:
        tail = math.exp(log_tail)
        return 0.0 if tail >= 0.5 else -_STANDARD_NORMAL.inv_cdf(tail)
    # Beyond double precision: invert Q(z) ≈ φ(z) / z by fixed-point iteration.
    z = math.sqrt(-2.0 * log_tail)
    for _ in range(4):
        z = math.sqrt(2.0 * (-log_tail - math.log(z) - 0.5 * math.log(2.0 * math.pi)))
    return z


def _log_upper_tail(k: int, mean: float, dispersion: float) -> float:
    """log P(X ≥ k) for k above the mean, summing the pmf upward until the rest is negligible."""
    poisson = dispersion < 1e-9
    r = math.inf if poisson else 1.0 / dispersion
    if poisson:
        log_pmf = -mean + k * math.log(mean) - math.lgamma(k + 1)
        success = 0.0
    else:
        success = mean / (r + mean)
        log_pmf = (
            math.lgamma(k + r) - math.lgamma(r) - math.lgamma(k + 1) + r * math.log1p(-success) + k * math.log(success)
        )
    # Terms relative to pmf(k); past the mean each ratio is below 1 and falls, so the remainder
    # after a term t with ratio q is at most t·q/(1-q).
    total, term, x = 1.0, 1.0, k
    for _ in range(1_000_000):
        ratio = mean / (x + 1) if poisson else (x + r) / (x + 1) * success
        term *= ratio
        total += term
        x += 1
        if ratio < 1.0 and term * ratio / (1.0 - ratio) < 1e-12 * total:
            break
    return log_pmf + math.log(total)
