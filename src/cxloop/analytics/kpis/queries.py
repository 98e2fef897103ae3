"""One round trip per KPI request: the totals of both periods and the slice rows in a single query.

Additive measures (share, nps, mean, ratio) are sums of counts, so one GROUP BY (period, bucket,
dimension) answers both: the rows are the current period's groups and each period's total is the sum
of its groups (exact for the integer counts; `math.fsum` keeps the float sums to the last bit that
matters). Quantiles and per-customer shares are not additive: their totals and rows are two
aggregates glued with UNION ALL: still one round trip and one compile.

The SQL is kept per request shape and only executed again (`cxloop.analytics.compiled`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

import ibis

from cxloop.analytics.compiled import Row, run
from cxloop.analytics.kpis.base import Measure
from cxloop.analytics.warehouse import Warehouse

ADDITIVE = ("share", "nps", "mean", "ratio")
_PART = "_part"  # 0: a period's total, 1: a current-period slice row (their keys may be NULL either way)


def period_aggregates(
    wh: Warehouse,
    measure: Measure,
    slice_facts: Callable[[], ibis.Table],
    keys: list[str],
    shape: Hashable | None,
    bucketed: Callable[[ibis.Table], ibis.Table],
) -> tuple[dict[bool, Row], dict[tuple[Any, ...], Row]]:
    """({current?: totals}, {slice key: current-period row}) from one query.

    `slice_facts()` builds the facts with a boolean `current` column (False for the comparison period) and the dimension
    columns; `bucketed` adds the `bucket` column when the keys have one (computed per row, so only on
    the rows that need it).
    """
    if not keys:
        only = run(wh, lambda: measure.aggregate(slice_facts(), ["current"]), shape)
        return {bool(r["current"]): r for r in only}, {}
    if measure.kind in ADDITIVE:
        fine = run(wh, lambda: measure.aggregate(bucketed(slice_facts()), ["current", *keys]), shape)
        found = {tuple(r[k] for k in keys): r for r in fine if r["current"]}
        return _summed(fine, ["current", *keys]), found

    def both_parts() -> ibis.Table:
        # Not additive: the period totals and the current period's slices are aggregated separately
        # (a finer customer fold shared by both costs more than it saves: twice the groups to hash).
        sliced = slice_facts()
        current = bucketed(sliced.filter(sliced.current))
        return _glued(measure.aggregate(sliced, ["current"]), measure.aggregate(current, keys), current, keys)

    both = run(wh, both_parts, shape)
    totals = {bool(r["current"]): r for r in both if r[_PART] == 0}
    found = {tuple(r[k] for k in keys): r for r in both if r[_PART] == 1}
    return totals, found


def _glued(totals: ibis.Table, rows: ibis.Table, sliced: ibis.Table, keys: list[str]) -> ibis.Table:
    measures = [c for c in totals.columns if c != "current"]
    head = totals.select(
        ibis.literal(0).name(_PART),
        totals.current,
        *[ibis.null(sliced[k].type()).name(k) for k in keys],
        *[totals[c] for c in measures],
    )
    tail = rows.select(
        ibis.literal(1).name(_PART),
        ibis.literal(True).name("current"),
        *[rows[k] for k in keys],
        *[rows[c].cast(totals[c].type()).name(c) for c in measures],
    )
    return head.union(tail, distinct=False)


def _summed(rows: list[Row], keys: list[str]) -> dict[bool, Row]:
    by_period: dict[bool, list[Row]] = {}
    for r in rows:
        by_period.setdefault(bool(r["current"]), []).append(r)
    out: dict[bool, Row] = {}
    for period, group in by_period.items():
        total: Row = {"current": period}
        for column in group[0]:
            if column in keys:
                continue
            values = [r[column] for r in group if r[column] is not None]
            if not values:
                total[column] = None
            elif all(isinstance(v, int) for v in values):
                total[column] = sum(values)
            else:
                total[column] = math.fsum(float(v) for v in values)
        out[period] = total
    return out
