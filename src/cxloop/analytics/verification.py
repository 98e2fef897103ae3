"""Was an improvement action followed by a real improvement? Before/after statistics for one topic.

The topic's mentions in the `before_days` before `shipped_at` are compared with those in the
`after_days` after it:
- negative share, with a two-proportion z-test (the 2×2 chi-square without continuity correction);
- volume per day;
- CSAT and NPS scores of the affected customers (those who mentioned the topic before the change,
  plus the customers of the feedback linked to the action), with a Mann-Whitney U test.

Outcomes: `verified` (negative share dropped, p < ALPHA), `not_verified`, or `insufficient_data`
(fewer than `min_mentions` mentions on a side, or less than MIN_AFTER_DAYS of the after window has
passed). Until the after window is complete the verdict is provisional (`final: false`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from scipy import stats

from cxloop.analytics import stats as kpi_stats
from cxloop.analytics.kpis.survey import CSAT_SATISFIED
from cxloop.analytics.overview import local_day
from cxloop.notify.triggers import two_proportion_p
from cxloop.store.tables import feedback, feedback_topics

ALPHA = 0.05
MIN_MENTIONS = 30  # per window
MIN_SCORES = 10  # per window, for the score tests
MIN_AFTER_DAYS = 7
SURVEYS = ("csat", "nps")


@dataclass(frozen=True, slots=True)
class Windows:
    before_start: datetime
    shipped_at: datetime
    after_end: datetime  # the planned end
    observed_end: datetime  # min(planned end, now)

    @classmethod
    def around(cls, shipped_at: datetime, before_days: int, after_days: int, now: datetime) -> Windows:
        after_end = shipped_at + timedelta(days=after_days)
        return cls(
            shipped_at - timedelta(days=before_days), shipped_at, after_end, max(shipped_at, min(after_end, now))
        )

    @property
    def complete(self) -> bool:
        return self.observed_end >= self.after_end

    @property
    def after_days_observed(self) -> float:
        return (self.observed_end - self.shipped_at).total_seconds() / 86400

    @property
    def before_days(self) -> float:
        return (self.shipped_at - self.before_start).total_seconds() / 86400

    def to_dict(self) -> dict[str, Any]:
        return {
            "before_start": self.before_start.isoformat(),
            "shipped_at": self.shipped_at.isoformat(),
            "after_end": self.after_end.isoformat(),
            "observed_end": self.observed_end.isoformat(),
            "after_complete": self.complete,
        }


def _mentions(conn: sa.Connection, topic: str, w: Windows) -> dict[str, tuple[int, int]]:
    """side → (negative, total) topic mentions."""
    after = feedback_topics.c.occurred_at >= w.shipped_at
    negative = feedback_topics.c.sentiment == "negative"
    row = conn.execute(
        sa.select(
            sa.func.count().filter(~after).label("n_before"),
            sa.func.count().filter(~after, negative).label("k_before"),
            sa.func.count().filter(after).label("n_after"),
            sa.func.count().filter(after, negative).label("k_after"),
        ).where(
            feedback_topics.c.topic == topic,
            feedback_topics.c.occurred_at >= w.before_start,
            feedback_topics.c.occurred_at < w.observed_end,
        )
    ).one()
    return {"before": (int(row.k_before), int(row.n_before)), "after": (int(row.k_after), int(row.n_after))}


def daily_series(conn: sa.Connection, topic: str, w: Windows, offset_minutes: int) -> list[dict[str, Any]]:
    """Per local day from the start of the before window to the observed end: mentions and negatives."""
    day = local_day(feedback_topics.c.occurred_at, offset_minutes).label("day")
    rows = conn.execute(
        sa.select(
            day,
            sa.func.count().label("n"),
            sa.func.count().filter(feedback_topics.c.sentiment == "negative").label("negative"),
        )
        .where(
            feedback_topics.c.topic == topic,
            feedback_topics.c.occurred_at >= w.before_start,
            feedback_topics.c.occurred_at < w.observed_end,
        )
        .group_by(day)
    ).all()
    counts = {r.day: (int(r.n), int(r.negative)) for r in rows}
    offset = timedelta(minutes=offset_minutes)
    first: date = (w.before_start + offset).date()
    last: date = (w.observed_end - timedelta(microseconds=1) + offset).date()
    shipped_day = (w.shipped_at + offset).date()
    series = []
    current = first
    while current <= last:
        n, k = counts.get(current, (0, 0))
        series.append({"day": current.isoformat(), "mentions": n, "negative": k, "after": current >= shipped_day})
        current += timedelta(days=1)
    return series


def _affected_customers(conn: sa.Connection, topic: str, w: Windows, linked_customers: Sequence[str]) -> set[str]:
    query = (
        sa.select(feedback.c.customer_id)
        .join(feedback_topics, feedback_topics.c.feedback_id == feedback.c.id)
        .where(
            feedback_topics.c.topic == topic,
            feedback_topics.c.occurred_at >= w.before_start,
            feedback_topics.c.occurred_at < w.shipped_at,
            feedback.c.customer_id.is_not(None),
        )
        .distinct()
    )
    return {str(c) for c in conn.execute(query).scalars()} | {c for c in linked_customers if c}


def _scores(conn: sa.Connection, customers: set[str], w: Windows) -> dict[str, dict[str, list[int]]]:
    """survey type → side → scores of the affected customers."""
    found: dict[str, dict[str, list[int]]] = {s: {"before": [], "after": []} for s in SURVEYS}
    ids = sorted(customers)
    for start in range(0, len(ids), 5000):  # keeps the IN list within every driver's limits
        query = sa.select(feedback.c.survey_type, feedback.c.score, feedback.c.occurred_at).where(
            feedback.c.customer_id.in_(ids[start : start + 5000]),
            feedback.c.survey_type.in_(SURVEYS),
            feedback.c.score.is_not(None),
            feedback.c.occurred_at >= w.before_start,
            feedback.c.occurred_at < w.observed_end,
        )
        for survey, score, occurred in conn.execute(query):
            found[str(survey)]["before" if occurred < w.shipped_at else "after"].append(int(score))
    return found


def _survey_value(survey: str, scores: list[int]) -> float | None:
    """The catalog's KPI over the scores: CSAT is the share of 4–5, NPS promoters minus detractors (×100)."""
    if not scores:
        return None
    if survey == "csat":
        return round(100.0 * kpi_stats.proportion(sum(s >= CSAT_SATISFIED for s in scores), len(scores)).value, 1)
    return round(kpi_stats.nps(len(scores), sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)).value, 1)


def _score_test(survey: str, before: list[int], after: list[int]) -> dict[str, Any]:
    """The KPI on each side for people to read, and a rank test on the raw scores for the verdict."""
    result: dict[str, Any] = {
        "n_before": len(before),
        "n_after": len(after),
        "value_before": _survey_value(survey, before),
        "value_after": _survey_value(survey, after),
        "mean_before": round(sum(before) / len(before), 3) if before else None,
        "mean_after": round(sum(after) / len(after), 3) if after else None,
        "test": "mann_whitney_u",
        "p_value": None,
    }
    if len(before) >= MIN_SCORES and len(after) >= MIN_SCORES and len(set(before) | set(after)) > 1:
        result["p_value"] = float(stats.mannwhitneyu(before, after, alternative="two-sided").pvalue)
    return result


def measure_topic(
    conn: sa.Connection,
    topic: str | None,
    *,
    shipped_at: datetime,
    before_days: int,
    after_days: int,
    now: datetime,
    linked_customers: Sequence[str] = (),
    min_mentions: int = MIN_MENTIONS,
    offset_minutes: int = 540,
) -> dict[str, Any]:
    """The evidence and the outcome, as JSON-ready data (stored as the action's verdict)."""
    w = Windows.around(shipped_at, before_days, after_days, now)
    evidence: dict[str, Any] = {"topic": topic, "windows": w.to_dict(), "alpha": ALPHA, "min_mentions": min_mentions}
    if not topic:
        return {
            **evidence, "outcome": "insufficient_data", "final": w.complete, "reason": "the action has no topic",
            "reason_code": "no_topic", "reason_values": {},
        }  # fmt: skip
    mentions = _mentions(conn, topic, w)
    (k_b, n_b), (k_a, n_a) = mentions["before"], mentions["after"]
    share_b = k_b / n_b if n_b else None
    share_a = k_a / n_a if n_a else None
    p_value = two_proportion_p(k_b, n_b, k_a, n_a) if n_b and n_a else None
    scores = _scores(conn, _affected_customers(conn, topic, w, linked_customers), w)
    evidence.update(
        before={"mentions": n_b, "negative": k_b, "negative_share": share_b, "per_day": n_b / max(w.before_days, 1e-9)},
        after={
            "mentions": n_a,
            "negative": k_a,
            "negative_share": share_a,
            "per_day": n_a / w.after_days_observed if w.after_days_observed > 0 else None,
            "days_observed": round(w.after_days_observed, 2),
        },
        negative_share_test={"test": "two_proportion_z", "p_value": p_value},
        scores={survey: _score_test(survey, sides["before"], sides["after"]) for survey, sides in scores.items()},
    )
    if n_b < min_mentions or n_a < min_mentions:
        values: dict[str, Any] = {"min": min_mentions, "before": n_b, "after": n_a}
        reason = f"needs at least {min_mentions} mentions on each side (before {n_b}, after {n_a})"
        return _verdict(evidence, "insufficient_data", w, reason, "too_few_mentions", values)
    if w.after_days_observed < MIN_AFTER_DAYS:
        values = {"days": f"{w.after_days_observed:.1f}", "min": MIN_AFTER_DAYS}
        reason = f"only {values['days']} of the after window's days have passed (needs {MIN_AFTER_DAYS})"
        return _verdict(evidence, "insufficient_data", w, reason, "too_few_days", values)
    dropped = share_a is not None and share_b is not None and share_a < share_b
    verified = dropped and p_value is not None and p_value < ALPHA
    values = {"before": f"{share_b:.1%}", "after": f"{share_a:.1%}", "p": f"{p_value:.3g}"}
    if verified:
        reason = f"negative share fell from {values['before']} to {values['after']} (p = {values['p']})"
        return _verdict(evidence, "verified", w, reason, "dropped", values)
    reason = f"negative share {values['before']} → {values['after']} is not a significant drop (p = {values['p']})"
    return _verdict(evidence, "not_verified", w, reason, "no_drop", values)


def _verdict(
    evidence: dict[str, Any], outcome: str, w: Windows, reason: str, code: str, values: dict[str, Any]
) -> dict[str, Any]:
    """`reason` in English for the API and logs; `reason_code` and `reason_values` for the UI's languages."""
    return {
        **evidence, "outcome": outcome, "final": w.complete, "reason": reason, "reason_code": code,
        "reason_values": values,
    }  # fmt: skip
