"""Event impact: a metric before and after a dated happening (an app release, a promotion), per day,
with a significance test.

Days are business-local; the event's own day belongs to "after". Shares (negative share, conversion)
are compared as pooled proportions with a chi-square test; indexes built from coded answers (sentiment
index, NPS: +100 / 0 / -100 per item) with Welch's t-test from the pooled counts; daily event counts
with Welch's t-test over the days, where days without any event count as 0.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import ibis
from ibis import _
from scipy import stats

from cxloop.analytics.journeys._common import event_type, local_time, within
from cxloop.analytics.journeys.emotion import nps, sentiment_aggregates, sentiment_index
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

METRICS = ("negative_share", "sentiment_index", "nps", "conversion", "purchases")
ALPHA = 0.05


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def _daily(wh: Warehouse, metric: str, first: date, last: date, offset: int) -> dict[date, dict[str, Any]]:
    table_name = "feedback" if metric in ("negative_share", "sentiment_index", "nps") else "events"
    table = wh.table(table_name)
    table = within(table, "occurred_at", _utc(first, offset), _utc(last + timedelta(days=1), offset))
    table = table.mutate(day=local_time(table.occurred_at, offset).date())
    if table_name == "feedback":
        grouped = table.group_by("day").agg(**sentiment_aggregates(table))
    elif metric == "conversion":
        active = table.filter(_.customer_id.notnull())
        buyers = active.filter(_.type == "purchase")
        grouped = (
            active.group_by("day")
            .agg(active=_.customer_id.nunique())
            .left_join(buyers.group_by(bday=_.day).agg(buyers=_.customer_id.nunique()), _.day == _.bday)
            .select("day", "active", buyers=ibis.coalesce(_.buyers, 0))
        )
    else:
        kind = "purchase" if metric == "purchases" else metric.split(":", 1)[1]
        grouped = table.filter(_.type == kind).group_by("day").agg(count=_.count())
    return {row["day"]: row for row in wh.rows(grouped)}


def _utc(day: date, offset: int) -> datetime:
    return datetime.combine(day, datetime.min.time()) - timedelta(minutes=offset)


def _value(metric: str, row: dict[str, Any]) -> float | None:
    if metric == "negative_share":
        scored = int(row.get("scored") or 0)
        return int(row.get("negative") or 0) / scored if scored else None
    if metric == "sentiment_index":
        return sentiment_index(row)
    if metric == "nps":
        return nps(row)
    if metric == "conversion":
        active = int(row.get("active") or 0)
        return int(row.get("buyers") or 0) / active if active else None
    return float(row.get("count") or 0)


def _pool(rows: list[dict[str, Any]]) -> dict[str, int]:
    keys = {k for row in rows for k in row if k != "day"}
    return {k: sum(int(row.get(k) or 0) for row in rows) for k in keys}


def _coded_test(before: dict[str, int], after: dict[str, int], pos: str, neg: str, n: str) -> float | None:
    """Welch's t-test on items coded +100 (pos) / 0 / -100 (neg), from the counts alone."""

    def moments(c: dict[str, int]) -> tuple[float, float, int]:
        total = c.get(n, 0)
        if total < 2:
            return 0.0, 0.0, total
        mean = 100.0 * (c.get(pos, 0) - c.get(neg, 0)) / total
        square = 10_000.0 * (c.get(pos, 0) + c.get(neg, 0)) / total
        return mean, math.sqrt(max(square - mean * mean, 0.0) * total / (total - 1)), total

    (m1, s1, n1), (m2, s2, n2) = moments(before), moments(after)
    if n1 < 2 or n2 < 2 or (s1 == 0 and s2 == 0):
        return None
    return float(stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue)


def _proportion_test(a: tuple[int, int], b: tuple[int, int]) -> float | None:
    """Chi-square test of two proportions (hits, total)."""
    table = [[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]]
    if min(a[1], b[1]) == 0 or sum(r[0] for r in table) == 0 or sum(r[1] for r in table) == 0:
        return None
    return float(stats.chi2_contingency(table).pvalue)


def _test(
    metric: str, before: list[dict[str, Any]], after: list[dict[str, Any]], series: list[float]
) -> tuple[str, float | None]:
    pb, pa_ = _pool(before), _pool(after)
    if metric == "negative_share":
        return "chi-square", _proportion_test(
            (pb.get("negative", 0), pb.get("scored", 0)), (pa_.get("negative", 0), pa_.get("scored", 0))
        )
    if metric == "conversion":
        return "chi-square", _proportion_test(
            (pb.get("buyers", 0), pb.get("active", 0)), (pa_.get("buyers", 0), pa_.get("active", 0))
        )
    if metric == "sentiment_index":
        return "welch-t", _coded_test(pb, pa_, "positive", "negative", "scored")
    if metric == "nps":
        return "welch-t", _coded_test(pb, pa_, "promoters", "detractors", "nps_answers")
    split = len(before)
    first, second = series[:split], series[split:]
    if len(first) < 2 or len(second) < 2 or (len(set(first)) == 1 and len(set(second)) == 1):
        return "welch-t", None
    return "welch-t", float(stats.ttest_ind(first, second, equal_var=False).pvalue)


def _pooled_value(metric: str, rows: list[dict[str, Any]]) -> float | None:
    if metric in ("purchases",) or metric.startswith("events:"):
        return sum(float(r.get("count") or 0) for r in rows) / len(rows) if rows else None
    return _value(metric, _pool(rows))


def event_impact(
    wh: Warehouse, metric: str, on: date, *, days_before: int = 14, days_after: int = 14, offset_minutes: int = 0
) -> dict[str, Any]:
    """Daily values in the two windows, the pooled value of each, the change and its p-value."""
    if metric not in METRICS and not metric.startswith("events:"):
        raise InvalidInput(
            f"unknown metric {metric!r}: use one of {', '.join(METRICS)} or events:<event type>",
            details={"field": "kpi"},
        )
    if metric.startswith("events:"):
        event_type(metric.split(":", 1)[1], "kpi")
    for name, value in (("days_before", days_before), ("days_after", days_after)):
        if not 2 <= value <= 90:
            raise InvalidInput(f"{name} must be between 2 and 90", details={"field": name})
    first, last = on - timedelta(days=days_before), on + timedelta(days=days_after - 1)
    daily = _daily(wh, metric, first, last, offset_minutes)
    rows = [{"day": d, **daily.get(d, {})} for d in _days(first, days_before + days_after)]
    before, after = rows[:days_before], rows[days_before:]
    values = [_value(metric, r) for r in rows]
    counts_only = [v or 0.0 for v in values]
    test, p_value = _test(metric, before, after, counts_only)
    value_before, value_after = _pooled_value(metric, before), _pooled_value(metric, after)
    change = value_after - value_before if value_before is not None and value_after is not None else None
    return {
        "metric": metric,
        "date": on,
        "days_before": days_before,
        "days_after": days_after,
        "series": [
            {"day": r["day"], "value": v, "after": i >= days_before}
            for i, (r, v) in enumerate(zip(rows, values, strict=True))
        ],
        "before": value_before,
        "after": value_after,
        "change": change,
        "test": test,
        "p_value": p_value,
        "significant": p_value is not None and p_value < ALPHA,
        "empty": not daily,
    }
