"""Per-customer shares (conversion, repurchase) folded in one grouped pass over the facts.

A customer counts once per slice, so a per-customer share folds each customer's rows before counting.
Folded once per slice (the two period totals, then the buckets), millions of event rows are grouped by
customer twice, and that hashing is nearly all the cost. Here each customer's rows are folded once, into
two bit masks: one over the rows that put the customer in the denominator, one over the numerator rows.
Bit 0 stands for the previous period and bit 1 + i for bucket i of the current one. Every slice's count
is then a sum of bit tests over the customers: the same numbers, from one grouping.

A BIGINT holds 63 bits, so up to 62 buckets take this path; a finer request (90 days by day) and any
breakdown by a dimension take the general one in `queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import date
from typing import Any

import ibis

from cxloop.analytics.compiled import Row, run
from cxloop.analytics.kpis.base import as_int
from cxloop.analytics.warehouse import Warehouse

MAX_BUCKETS = 62


def _bit(mask: ibis.Value, position: int) -> ibis.Value:
    return (mask >> position) & 1


def _folded(facts: ibis.Table, buckets: int) -> ibis.Table:
    """One row: n/hits of the previous period (p_*), the current one (c_*) and each bucket (b{i}_*)."""
    # A BIGINT one shifted by an INTEGER: PostgreSQL has `bigint << integer` only, and a plain 1 would be
    # a 32-bit integer there.
    flag = ibis.literal(1).cast("int64") << facts.segment.cast("int32")
    per_customer = facts.group_by("who").aggregate(
        den=ibis.ifelse(facts.den, flag, 0).bit_or(),
        num=ibis.ifelse(facts.num, flag, 0).bit_or(),
    )
    den, num = per_customer.den, per_customer.num
    in_current = (den >> 1) != 0
    aggs: dict[str, Any] = {
        "p_n": _bit(den, 0).sum(),
        "p_hits": (_bit(den, 0) & _bit(num, 0)).sum(),
        "c_n": as_int(in_current).sum(),
        "c_hits": as_int(in_current & ((num >> 1) != 0)).sum(),
    }
    for i in range(buckets):
        aggs[f"b{i}_n"] = _bit(den, i + 1).sum()
        aggs[f"b{i}_hits"] = (_bit(den, i + 1) & _bit(num, i + 1)).sum()
    return per_customer.aggregate(**aggs)


def customer_share_slices(
    wh: Warehouse,
    facts: Callable[[], ibis.Table],
    buckets: Sequence[date],
    shape: Hashable | None,
) -> tuple[dict[bool, Row], dict[tuple[Any, ...], Row]]:
    """({current?: totals}, {(bucket,): row}) like `queries.period_aggregates`, for facts carrying `who`,
    `den`, `num` and `segment` (0 for the previous period, 1 + bucket position for the current one).
    Without buckets only the totals are filled."""
    if len(buckets) > MAX_BUCKETS:
        raise ValueError(f"at most {MAX_BUCKETS} buckets fit the masks, got {len(buckets)}")
    row = run(wh, lambda: _folded(facts(), len(buckets)), shape)[0]

    def counts(prefix: str) -> Row:
        return {"n": int(row[f"{prefix}_n"] or 0), "hits": int(row[f"{prefix}_hits"] or 0)}

    totals = {True: counts("c"), False: counts("p")}
    found = {(bucket,): counts(f"b{i}") for i, bucket in enumerate(buckets) if row[f"b{i}_n"]}
    return totals, found
