"""How a KPI is implemented: a table of facts, how each dimension is reached, and a measure.

Every KPI's facts are an Ibis table with one row per counted thing (an answer, a case, an order):
`at` (the UTC timestamp that puts it in a period), the columns its dimensions come from, and the
measure's own columns. The measures turn facts into sufficient statistics in the database (counts,
sums, quantiles) and the value, interval and comparison are computed from those few numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis

from cxloop.analytics import stats
from cxloop.analytics.warehouse import Warehouse

#: How a dimension is reached from the facts: a column of the facts themselves, or a join from a key
#: column (feedback id → its topics, customer id → tier, team id → team name).
COLUMN, FEEDBACK_TOPIC, CUSTOMER_TIER, TEAM_NAME = "column", "feedback_topic", "customer_tier", "team_name"


@dataclass(frozen=True, slots=True)
class DimensionSource:
    how: str
    column: str


def column(name: str) -> DimensionSource:
    return DimensionSource(COLUMN, name)


@dataclass(frozen=True, slots=True)
class Measure:
    """Aggregation in the database, then value/interval/comparison from the aggregated numbers."""

    kind: str  # share | nps | mean | quantile | ratio | customer_share
    scale: float = 1.0  # percent KPIs are shares ×100; the sentiment index is a mean of ±1 ×100
    bounds: tuple[float, float] | None = None  # where the value can lie; intervals are clipped to it

    def aggregates(self, t: ibis.Table) -> dict[str, Any]:
        if self.kind in ("share", "customer_share"):
            return {"n": t.count(), "hits": as_int(t.hit).sum()}
        if self.kind == "nps":
            return {
                "n": t.count(),
                "promoters": as_int(t.score >= 9).sum(),
                "detractors": as_int(t.score <= 6).sum(),
            }
        if self.kind == "mean":
            x = t.x.cast("float64")
            aggs = {"n": t.count(), "total": x.sum(), "squares": (x * x).sum()}
            if "hit" in t.columns:
                aggs["hits"] = as_int(t.hit).sum()
            return aggs
        if self.kind == "quantile":
            x = t.x.cast("float64")
            return {"n": t.count(), "median": x.quantile(0.5), "p90": x.quantile(0.9)}
        if self.kind == "ratio":
            return {"n": as_int(t.den).sum(), "hits": as_int(t.num).sum()}
        raise ValueError(f"unknown measure kind {self.kind!r}")

    def aggregate(self, t: ibis.Table, keys: list[str]) -> ibis.Table:
        if self.kind == "customer_share":
            # A customer counts once per slice: first fold each customer's rows, then count customers.
            per_customer = t.group_by([*keys, "who"]).aggregate(den=as_int(t.den).max(), hit=as_int(t.num).max())
            t = per_customer.filter(per_customer.den == 1)
        aggs = self.aggregates(t)
        return t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)

    def point(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """value, interval and extras of one slice; a slice with nothing in it is explicit no data."""
        n = int(row.get("n") or 0)
        if n == 0:
            return {"value": None, "n": 0, "ci_low": None, "ci_high": None}
        extra: dict[str, Any] = {}
        if self.kind in ("share", "customer_share"):
            est = stats.proportion(int(row["hits"]), n)
            extra["numerator"] = int(row["hits"])
        elif self.kind == "nps":
            est = stats.nps(n, int(row["promoters"]), int(row["detractors"]))
            extra.update(promoters=int(row["promoters"]), detractors=int(row["detractors"]))
        elif self.kind == "mean":
            est = stats.mean(n, float(row["total"]), float(row["squares"]))
            if "hits" in row:
                extra["easy_share"] = _round(100.0 * int(row["hits"]) / n)
        elif self.kind == "quantile":
            est = stats.Estimate(float(row["median"]), None, None)
            extra["p90"] = _round(float(row["p90"]))
        else:  # ratio: numerator per denominator
            est = stats.Estimate(int(row["hits"]) / n, None, None)
            extra["numerator"] = int(row["hits"])
        low = None if est.ci_low is None else est.ci_low * self.scale
        high = None if est.ci_high is None else est.ci_high * self.scale
        if self.bounds is not None and low is not None and high is not None:
            low, high = max(self.bounds[0], low), min(self.bounds[1], high)
        return {
            "value": _round(est.value * self.scale),
            "n": n,
            "ci_low": None if low is None else _round(low),
            "ci_high": None if high is None else _round(high),
            **extra,
        }

    def compare(self, current: Mapping[str, Any], previous: Mapping[str, Any]) -> stats.Comparison | None:
        """The significance test for two periods' aggregates (quantiles are compared in compute.py,
        which needs a rank query); None when either period is empty or the test does not apply."""
        n1, n0 = int(current.get("n") or 0), int(previous.get("n") or 0)
        if n1 == 0 or n0 == 0:
            return None
        if self.kind in ("share", "customer_share"):
            result = stats.compare_proportions(int(current["hits"]), n1, int(previous["hits"]), n0)
        elif self.kind == "nps":
            result = stats.compare_nps(
                (n1, int(current["promoters"]), int(current["detractors"])),
                (n0, int(previous["promoters"]), int(previous["detractors"])),
            )
        elif self.kind == "mean":
            compared = stats.compare_means(
                (n1, float(current["total"]), float(current["squares"])),
                (n0, float(previous["total"]), float(previous["squares"])),
            )
            if compared is None:
                return None
            result = compared
        elif self.kind == "ratio":
            rate = stats.compare_rates(int(current["hits"]), n1, int(previous["hits"]), n0, 1.0)
            if rate is None:
                return None
            result = rate
        else:
            return None
        return _scaled(result, self.scale)


def as_int(value: Any) -> Any:
    """0/1 from a boolean: PostgreSQL has no boolean → bigint cast, so CASE works on every engine."""
    return ibis.ifelse(value, 1, 0) if value.type().is_boolean() else value


def _scaled(result: stats.Comparison, scale: float) -> stats.Comparison:
    def s(v: float | None) -> float | None:
        return None if v is None else v * scale

    return stats.Comparison(result.test, result.difference * scale, result.p_value, s(result.ci_low), s(result.ci_high))


def _round(value: float) -> float:
    return round(value, 6)


@dataclass(frozen=True, slots=True)
class KpiImplementation:
    id: str
    measure: Measure
    facts: Callable[[Warehouse], ibis.Table | None]
    dimensions: Mapping[str, DimensionSource] = field(default_factory=dict)
    #: Tables (with columns) that must exist; otherwise the KPI answers "no data" with this reason.
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def missing(self, wh: Warehouse) -> list[str]:
        return [name for name, cols in self.requires.items() if not wh.has_columns(name, cols)]


def epoch_hours(later: Any, earlier: Any, per: float = 3600.0) -> Any:
    """Wall-clock time between two timestamps in hours (or days with per=86400), on every backend."""
    return (later.epoch_seconds() - earlier.epoch_seconds()).cast("float64") / per
