"""Compute any catalog KPI for a period, sliced by grain and one dimension, against the period before."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import ibis

from cxloop.analytics import stats
from cxloop.analytics.catalog import GRAINS, KpiDefinition, check_dimension, get_kpi
from cxloop.analytics.compiled import run, schemas_of
from cxloop.analytics.kpis.base import COLUMN, CUSTOMER_TIER, FEEDBACK_TOPIC, KpiImplementation, Measure, as_int
from cxloop.analytics.kpis.cases import CASE_KPIS
from cxloop.analytics.kpis.customer_share import MAX_BUCKETS as MAX_MASK_BUCKETS
from cxloop.analytics.kpis.customer_share import customer_share_slices
from cxloop.analytics.kpis.queries import period_aggregates
from cxloop.analytics.kpis.survey import SURVEY_KPIS
from cxloop.analytics.kpis.text_commerce import TEXT_COMMERCE_KPIS
from cxloop.analytics.periods import default_days
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

IMPLEMENTATIONS: dict[str, KpiImplementation] = {k.id: k for k in (*SURVEY_KPIS, *CASE_KPIS, *TEXT_COMMERCE_KPIS)}
MAX_BUCKETS = 1000
EPOCH = datetime(1970, 1, 1)
MAX_DIMENSION_VALUES = 100  # by=topic on a large taxonomy: the busiest values, the rest reported as cut


@dataclass(frozen=True, slots=True)
class KpiQuery:
    kpi: str
    start: date | None = None  # business-local dates, both inclusive
    end: date | None = None
    by: str | None = None
    grain: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    compare: bool = False
    offset_minutes: int = 540


def _buckets(start: date, end: date, grain: str) -> list[date]:
    if grain == "day":
        first, step = start, None
    elif grain == "week":
        first, step = start - timedelta(days=start.weekday()), None
    else:
        first, step = start.replace(day=1), "month"
    out, day = [], first
    while day <= end:
        out.append(day)
        if len(out) > MAX_BUCKETS:
            raise InvalidInput(f"grain: more than {MAX_BUCKETS} {grain}s in the range; choose a coarser grain")
        if step == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=1 if grain == "day" else 7)
    return out


def _bucket_expr(t: ibis.Table, grain: str, offset: int) -> Any:
    local = t.at + ibis.interval(minutes=offset)
    return local.date() if grain == "day" else local.truncate("W" if grain == "week" else "M").date()


def _segment(t: ibis.Table, buckets: list[date], grain: str | None, offset: int) -> ibis.Value:
    """0 for a row of the previous period, 1 + the position of its bucket for one of the current period."""
    if not grain:
        position: ibis.Value = ibis.literal(0, "int64")
    elif grain in ("day", "week"):
        # Days and weeks have one length in local time: the position is a division, not a search.
        origin = int((_utc(buckets[0], offset) - EPOCH).total_seconds())
        length = 86_400 if grain == "day" else 604_800
        position = ((t.at.epoch_seconds() - origin) // length).cast("int64")
    else:
        position = sum((as_int(t.at >= ibis.timestamp(_utc(b, offset))) for b in buckets[1:]), ibis.literal(0, "int64"))
    return ibis.ifelse(t.current, position + 1, 0).cast("int64")


def _with_dimensions(wh: Warehouse, t: ibis.Table, impl: KpiImplementation, dims: list[str]) -> ibis.Table:
    """Adds one column per dimension, named after it; joins happen after the period filter."""
    for dim in dims:
        source = impl.dimensions[dim]
        if source.how == COLUMN:
            if source.column != dim:
                t = t.mutate(**{dim: t[source.column]})
            continue
        if source.how == FEEDBACK_TOPIC:
            topics = wh.table("feedback_topics")
            right = topics.select(_key=topics.feedback_id, _value=topics.topic)
        elif source.how == CUSTOMER_TIER:
            customers = wh.table("customers")
            right = customers.select(_key=customers.id, _value=customers.tier)
        else:
            teams = wh.table("teams")
            right = teams.select(_key=teams.id, _value=teams.name)
        joined = t.left_join(right, t[source.column] == right._key)
        t = joined.mutate(**{dim: joined._value}).drop("_key", "_value")
    return t


def _newest_record(wh: Warehouse, definition: KpiDefinition) -> datetime | None:
    """The newest timestamp of the KPI's time basis, over the whole table: an unfiltered MAX that DuckDB
    answers from its column statistics and PostgreSQL from an index, where the newest *qualifying*
    fact would cost a scan (and, for repurchase, a join) on every default request."""
    newest: list[datetime] = []
    for table, column in definition.time_columns:
        if not wh.has_columns(table, (column,)):
            continue
        t = wh.table(table)
        # Cast to nullable: MAX over an empty NOT NULL column is a NULL that Ibis would refuse.
        value = wh.scalar(t[column].max().cast(ibis.dtype("timestamp")))
        if value is not None:
            newest.append(value)
    return max(newest) if newest else None


def _period(wh: Warehouse, definition: KpiDefinition, query: KpiQuery) -> tuple[date, date] | None:
    """The period's first and last business-local day; by default the 30 days up to the newest record."""
    newest = None
    if query.end is None and (latest := _newest_record(wh, definition)) is not None:
        newest = (latest + timedelta(minutes=query.offset_minutes)).date()
    return default_days(query.start, query.end, newest)


class _NoFacts(Exception):
    """The KPI's facts builder found nothing to build on (answered as "no data")."""


def _schemas(wh: Warehouse, impl: KpiImplementation, dims: list[str]) -> tuple[Any, ...]:
    """The schemas the KPI's SQL was compiled against: another store with other column types gets its own."""
    joined = {FEEDBACK_TOPIC: "feedback_topics", CUSTOMER_TIER: "customers"}
    names = {
        *impl.requires,
        *(joined.get(impl.dimensions[d].how, "teams") for d in dims if impl.dimensions[d].how != COLUMN),
    }
    return schemas_of(wh, names)


def _utc(day: date, offset: int) -> datetime:
    return datetime(day.year, day.month, day.day) - timedelta(minutes=offset)


def _empty(definition: KpiDefinition, query: KpiQuery, reason: str, engine: str) -> dict[str, Any]:
    return {
        "kpi": definition.id,
        "unit": definition.unit,
        "status": "no_data",
        "reason": reason,
        "engine": engine,
        "period": None,
        "previous_period": None,
        "grain": query.grain,
        "by": query.by,
        "filters": query.filters,
        "total": {"value": None, "n": 0, "ci_low": None, "ci_high": None},
        "previous": None,
        "comparison": None,
        "rows": [],
    }


def compute_kpi(wh: Warehouse, query: KpiQuery) -> dict[str, Any]:
    """The KPI over the period, per slice, and optionally against the same-length period before.

    A slice with no data is `value: null, n: 0`; a store missing the KPI's tables answers
    `status: "no_data"` with the reason. Nothing here loops over facts in Python.
    """
    definition = get_kpi(query.kpi)
    check_dimension(definition, query.by)
    for name in query.filters:
        check_dimension(definition, name, "filter")
    if query.grain is not None and query.grain not in GRAINS:
        raise InvalidInput(f"grain must be one of {', '.join(GRAINS)}, not {query.grain!r}")
    impl = IMPLEMENTATIONS[definition.id]
    if missing := impl.missing(wh):
        return _empty(definition, query, f"the store has no {', '.join(missing)} data for this KPI yet", wh.engine)
    period = _period(wh, definition, query)
    if period is None:
        return _empty(definition, query, "no records in the store yet", wh.engine)
    start, end = period
    buckets = _buckets(start, end, query.grain) if query.grain else []
    offset = query.offset_minutes
    lo, hi = _utc(start, offset), _utc(end + timedelta(days=1), offset)
    dims = list(dict.fromkeys([*([query.by] if query.by else []), *query.filters]))
    keys = [*(["bucket"] if query.grain else []), *([query.by] if query.by else [])]
    # The request's shape, its dates and the schemas it reads name its SQL: the same question again
    # skips building and compiling the Ibis expressions.
    shape = (
        wh.engine,
        query.kpi,
        query.by,
        query.grain,
        tuple(sorted(query.filters.items())),
        query.compare,
        offset,
        lo,
        hi,
        _schemas(wh, impl, dims),
    )
    memo: dict[str, ibis.Table] = {}

    def slice_facts() -> ibis.Table:
        if "sliced" not in memo:
            built = impl.facts(wh)
            if built is None:
                raise _NoFacts
            window = built.filter(built.at >= (lo - (hi - lo) if query.compare else lo), built.at < hi)
            sliced = _with_dimensions(wh, window, impl, dims)
            for name, value in query.filters.items():
                sliced = sliced.filter(sliced[name] == value)
            memo["sliced"] = sliced.mutate(current=sliced.at >= lo)
        return memo["sliced"]

    def bucketed(t: ibis.Table) -> ibis.Table:
        return t.mutate(bucket=_bucket_expr(t, query.grain, offset)) if query.grain else t

    def segmented() -> ibis.Table:
        sliced = slice_facts()
        return sliced.mutate(segment=_segment(sliced, buckets, query.grain, offset))

    measure = impl.measure
    try:
        if measure.kind == "customer_share" and not query.by and len(buckets) <= MAX_MASK_BUCKETS:
            totals, found = customer_share_slices(wh, segmented, buckets, shape)
        else:
            totals, found = period_aggregates(wh, measure, slice_facts, keys, shape, bucketed)
    except _NoFacts:
        return _empty(definition, query, "no data", wh.engine)
    total = measure.point(totals.get(True, {}))
    result = _empty(definition, query, "", wh.engine)
    result.update(
        status="ok" if total["n"] else "no_data",
        reason=None if total["n"] else "no records in this period and slice",
        period={"from": start.isoformat(), "to": end.isoformat()},
        total=total,
        rows=_rows(measure, found, query, buckets) if keys else [],
    )
    if query.compare:
        days = (end - start).days + 1
        result["previous_period"] = {
            "from": (start - timedelta(days=days)).isoformat(),
            "to": (start - timedelta(days=1)).isoformat(),
        }
        previous = totals.get(False, {})
        result["previous"] = measure.point(previous)
        result["comparison"] = _comparison(wh, definition, impl, slice_facts, totals.get(True, {}), previous, shape)
    return result


def _rows(
    measure: Measure, found: dict[tuple[Any, ...], dict[str, Any]], query: KpiQuery, buckets: list[date]
) -> list[dict[str, Any]]:
    """Every (dimension value, bucket) slot in order; a slot without data is explicit no data."""
    if query.by:
        volume: dict[Any, int] = {}
        for key, r in found.items():
            volume[key[-1]] = volume.get(key[-1], 0) + int(r.get("n") or 0)
        values = sorted(volume, key=lambda v: (-volume[v], v is None, str(v)))[:MAX_DIMENSION_VALUES]
    else:
        values = [None]
    slots: list[date | None] = [*buckets] if buckets else [None]
    out: list[dict[str, Any]] = []
    for value in values:
        for bucket in slots:
            key = tuple(k for k, use in ((bucket, bool(query.grain)), (value, bool(query.by))) if use)
            row: dict[str, Any] = {}
            if query.grain:
                row["bucket"] = bucket.isoformat() if bucket else None
            if query.by:
                row[query.by] = value
            out.append({**row, **measure.point(found.get(key, {}))})
    return out


def _comparison(
    wh: Warehouse,
    definition: KpiDefinition,
    impl: KpiImplementation,
    sliced: Callable[[], ibis.Table],
    current: dict[str, Any],
    previous: dict[str, Any],
    shape: Hashable,
) -> dict[str, Any] | None:
    now, before = impl.measure.point(current), impl.measure.point(previous)
    if now["value"] is None or before["value"] is None:
        return None
    difference = now["value"] - before["value"]
    tested: stats.Comparison | None = None
    if definition.has_significance:
        if impl.measure.kind == "quantile":
            tested = _mann_whitney(wh, sliced, difference, shape)
        else:
            tested = impl.measure.compare(current, previous)
    better = difference > 0 if definition.higher_is_better else difference < 0
    return {
        "difference": round(difference, 6),
        "direction": "same" if difference == 0 else ("better" if better else "worse"),
        "test": tested.test if tested else None,
        "p_value": None if tested is None or tested.p_value is None else round(tested.p_value, 6),
        "significant": bool(tested and tested.significant),
        "ci_low": None if tested is None or tested.ci_low is None else round(tested.ci_low, 6),
        "ci_high": None if tested is None or tested.ci_high is None else round(tested.ci_high, 6),
    }


def _mann_whitney(
    wh: Warehouse, slice_facts: Callable[[], ibis.Table], difference: float, shape: Hashable
) -> stats.Comparison | None:
    """Rank sums in the database: one row per distinct value with its count in each period, the
    average rank of tied values from a running total, then the current period's rank sum."""

    def rank_sums() -> ibis.Table:
        sliced = slice_facts()
        g = sliced.select(x=sliced.x.cast("float64"), cur=ibis.ifelse(sliced.current, 1, 0))
        by_value = g.group_by("x").aggregate(c1=g.cur.sum(), c0=(1 - g.cur).sum())
        tied = by_value.mutate(t=by_value.c1 + by_value.c0)
        ranked = tied.mutate(upto=tied.t.sum().over(ibis.cumulative_window(order_by="x")))
        ranked = ranked.mutate(avg_rank=ranked.upto.cast("float64") - (ranked.t.cast("float64") - 1) / 2)
        sums = ranked.aggregate(
            n1=ranked.c1.sum(),
            n0=ranked.c0.sum(),
            r1=(ranked.c1.cast("float64") * ranked.avg_rank).sum(),
            ties=(ranked.t.cast("float64") ** 3 - ranked.t.cast("float64")).sum(),
        )
        return sums

    row = run(wh, rank_sums, (shape, "mann_whitney"))[0]
    return stats.mann_whitney(
        int(row["n1"] or 0), int(row["n0"] or 0), float(row["r1"] or 0), float(row["ties"] or 0), difference
    )
