"""Conversion funnels: ordered steps per customer inside a conversion window, with drop-off and timing.

A customer enters on their first step-1 event in the period. Step k counts when the customer did
step k's event after the moment they reached step k-1 and within the window from step 1. Taking the
earliest qualifying event at every hop is the greedy match, and for a fixed entry it reaches the
deepest step possible, so counts are exact, and they can never grow from one step to the next.

How it is computed (the same Ibis on every engine; at 10M events grouping the event log per customer
is the cost, so the log is grouped once, by the customer's integer surrogate key `customer_key`, which
is a third cheaper than the 26-character id, and joined never on the common path):

1. One grouped pass per customer: t0 = first step-1 event in the period, m_k = first event of each
   later step's type anywhere in the scanned range.
2. For most customers the greedy match is read straight off those minima: when they strictly increase
   (t0 < m1 < m2 ...), the earliest step-k event is also the earliest one after step k-1, so t_k = m_k
   if it is inside the window (and if it is not, no later step-k event is either). A customer whose
   minima are out of order somewhere (m_k <= m_{k-1}: an earlier purchase with no checkout, a view before the
   visit, a funnel that repeats an event type) is "unsettled".
3. Only those unsettled customers are matched hop by hop on their own events inside their window.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import ibis
from ibis import _

from cxloop.analytics.compiled import run, schemas_of
from cxloop.analytics.journeys._common import Period, Window, seconds_between, share, within
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

#: Breakdown dimensions: the channel of the step-1 event, the channel of the customer's very first
#: event (where they came from), and the customer's tier and city from the profile.
DIMENSIONS = ("channel", "first_channel", "tier", "city")
UNKNOWN = "(unknown)"
BREAKDOWN_LIMIT = 20


def _keyed(events: ibis.Table) -> ibis.Table:
    """Events attributed to a customer, as `customer` (their surrogate key), type, channel and time."""
    return events.filter(_.customer_key.notnull()).select(
        customer=_.customer_key, type=_.type, channel=_.channel, occurred_at=_.occurred_at
    )


def _firsts(events: ibis.Table, steps: list[str], end: datetime | None) -> ibis.Table:
    """Per entrant: t0 (first step-1 event in the period) and m1.. (first event of each later step's type)."""
    step_one = events.type == steps[0]
    if end is not None:  # `events` runs on past the period so later steps can finish inside the window
        step_one = step_one & (events.occurred_at < ibis.timestamp(end))
    # min(CASE ...) rather than min(...) FILTER: the same answer, a little cheaper on DuckDB.
    aggs = {"t0": _when(step_one, events.occurred_at).min()}
    aggs |= {f"m{k}": _when(events.type == step, events.occurred_at).min() for k, step in enumerate(steps) if k}
    return events.group_by("customer").agg(**aggs).filter(_.t0.notnull())


def _when(condition: ibis.BooleanValue, value: ibis.Value) -> ibis.Value:
    return ibis.ifelse(condition, value, ibis.null(value.type().copy(nullable=True)))


def _settle(firsts: ibis.Table, n: int, window: Window) -> ibis.Table:
    """customer, t0..t{n-1} read off the minima (null from the first step not reached), and `unsettled`.

    A customer is unsettled when any m_k <= m_{k-1} (m_0 = t0): some step-k event is not after the
    first step-(k-1) one. That is a superset of the customers the minima cannot decide, so it is safe,
    and it keeps every expression flat (no step refers to the previous step's result). For everyone
    else the minima strictly increase, so step k is reached exactly when m_1..m_k exist and m_k is
    inside the window from t0. Flags are coalesced: NULL would drop a customer from both branches.
    """
    previous = firsts.t0
    # A timestamp compare against t0 + window: cheaper per customer than epoch arithmetic, and exact
    # to the microsecond on every engine (Spark's epoch seconds are whole).
    deadline = firsts.t0 + window.interval
    unsettled = ibis.literal(False)
    present = ibis.literal(True)
    times: dict[str, ibis.Value] = {"t0": firsts.t0}
    for k in range(1, n):
        first = firsts[f"m{k}"]
        unsettled = unsettled | (first <= previous).fill_null(False)
        inside = present & (first <= deadline).fill_null(False)
        times[f"t{k}"] = ibis.ifelse(inside, first, ibis.null("timestamp"))
        present = present & first.notnull()
        previous = first
    return firsts.select("customer", **times, unsettled=unsettled)


def _matched(log: ibis.Table, unsettled: ibis.Table, steps: list[str], window: Window) -> ibis.Table:
    """customer, t0..t{n-1} for the unsettled customers, matched exactly hop by hop on their own events.

    Reads the raw event log, not the filtered one the minima came from: a relation used twice becomes
    a materialized CTE on DuckDB (8M rows written for nothing), and the join to the few unsettled
    customers is all the filtering this branch needs. Each hop left-joins the previous one only (a
    linear chain): Spark inlines every reference, and a ladder that revisits earlier hops multiplies
    the plan until the driver runs out of memory.
    """
    wide = unsettled.select("customer", "t0")
    keys = wide.select(eid=_.customer, e0=_.t0)
    later = log.select(customer=_.customer_key, type=_.type, occurred_at=_.occurred_at)
    own = later.join(keys, later.customer == keys.eid).filter(
        _.occurred_at > _.e0, _.occurred_at <= _.e0 + window.interval
    )
    for k, step in enumerate(steps[1:], start=1):
        # `occurred_at <= e0` never holds in `own`; naming e0 keeps the type test above the join to the
        # few unsettled customers. On the type alone, DuckDB pushes every hop's test into the scan as one
        # OR chain, evaluated on every event in the period (a third of the query's time).
        candidates = own.filter((_.type == step) | (_.occurred_at <= _.e0)).select(cid=_.customer, at=_.occurred_at)
        # No later step-k event (or no step k-1 at all) leaves t{k} NULL; earlier times ride along as keys.
        joined = wide.left_join(candidates, (wide.customer == candidates.cid) & (candidates.at > wide[f"t{k - 1}"]))
        wide = joined.group_by(list(wide.columns)).agg(**{f"t{k}": _.at.min()})
    return wide


def _per_customer(
    log: ibis.Table, events: ibis.Table, steps: list[str], window: Window, end: datetime | None
) -> ibis.Table:
    """One row per entrant: customer, t0..t{n-1}, null from the first step they did not reach."""
    settled = _settle(_firsts(events, steps, end), len(steps), window)
    columns = ["customer", *(f"t{k}" for k in range(len(steps)))]
    easy = settled.filter(~settled.unsettled).select(*columns)
    hard = _matched(log, settled.filter(settled.unsettled), steps, window).select(*columns)
    return ibis.union(easy, hard.cast(easy.schema()), distinct=False)


def _summary(customers: ibis.Table, n: int, keys: list[str]) -> ibis.Table:
    """Per group: n{k} customers reaching step k, and median seconds from the previous step (step{k})
    and from step 1 (total{k})."""
    c = customers
    aggs: dict[str, ibis.Value] = {"n0": c.customer.count()}
    for k in range(1, n):
        aggs[f"n{k}"] = c[f"t{k}"].count()
        aggs[f"step{k}"] = seconds_between(c[f"t{k}"], c[f"t{k - 1}"]).median().cast("float64")
        if k > 1:  # from step 1 to step 2 is both; a median costs a sort, so it is taken once
            aggs[f"total{k}"] = seconds_between(c[f"t{k}"], c.t0).median().cast("float64")
    return c.group_by(keys).agg(**aggs) if keys else c.aggregate(**aggs)


def _dimension(wh: Warehouse, events: ibis.Table, entries: ibis.Table, by: str, first_step: str) -> ibis.Table:
    """customer → dim for the entrants."""
    if by in ("tier", "city"):
        customers = wh.table("customers").select(pkey=_.customer_key, dim=_[by])
        return entries.join(customers, entries.customer == customers.pkey).select("customer", "dim")
    if by == "channel":
        firsts = events.filter(_.type == first_step)
        joined = entries.join(firsts, (entries.customer == firsts.customer) & (entries.t0 == firsts.occurred_at))
    else:
        everything = _keyed(wh.table("events"))
        first_seen = everything.group_by(fid=_.customer).agg(first_at=_.occurred_at.min())
        joined = first_seen.join(
            everything, (first_seen.fid == everything.customer) & (first_seen.first_at == everything.occurred_at)
        )
    # Ties at the same instant are broken by name, the same way on every engine.
    return joined.group_by("customer").agg(dim=_.channel.min())


def _steps(row: dict[str, Any], steps: list[str]) -> list[dict[str, Any]]:
    entered = int(row.get("n0") or 0)
    out: list[dict[str, Any]] = []
    for k, step in enumerate(steps):
        count = int(row.get(f"n{k}") or 0)
        previous = int(row.get(f"n{k - 1}") or 0) if k else count
        out.append(
            {
                "step": k + 1,
                "event": step,
                "customers": count,
                "conversion": share(count, entered),
                "from_previous": share(count, previous),
                "drop_off": previous - count,
                "drop_off_share": share(previous - count, previous) if k else 0.0 if count else None,
                "median_seconds_from_previous": _seconds(row.get(f"step{k}")) if k else None,
                "median_seconds_from_start": _seconds(row.get(f"total{k}", row.get(f"step{k}"))) if k else None,
            }
        )
    return out


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def funnel(
    wh: Warehouse,
    steps: list[str],
    window: Window,
    *,
    by: str | None = None,
    period: Period | None = None,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    """Customers reaching each step, conversion and drop-off per step, median time to convert, and an
    optional breakdown of the same by a dimension."""
    if len(steps) < 2:
        raise InvalidInput("a funnel needs at least 2 steps", details={"field": "steps"})
    if by is not None and by not in DIMENSIONS:
        raise InvalidInput(
            f"cannot break a funnel down by {by!r}: use one of {', '.join(DIMENSIONS)}", details={"field": "by"}
        )
    period = period or Period()
    start, end = period.utc_bounds(offset_minutes)
    # The same funnel asked again runs its cached SQL: building and compiling it costs ~90 ms of Python.
    shape = ("funnel", tuple(steps), window.seconds, start, end, schemas_of(wh, ("events",)))
    built: dict[str, ibis.Table] = {}

    def scanned() -> tuple[ibis.Table, ibis.Table]:
        """(the step events in range, one row per entrant), built once per call and only when needed."""
        if not built:
            # One scan: only the step types, only from the period start to the end of the last window.
            events = _keyed(wh.table("events")).filter(_.type.isin(sorted(set(steps))))
            scanned_until = end + window.delta if end else None
            built["events"] = within(events, "occurred_at", start, scanned_until)
            # The unsettled customers' own events lie in the same range: bounding the raw log by it lets
            # the engine skip the rest of the table (zone maps, an index) before the join to those few.
            log = within(wh.table("events"), "occurred_at", start, scanned_until)
            built["customers"] = _per_customer(log, built["events"], steps, window, end)
        return built["events"], built["customers"]

    overall = _first_row(run(wh, lambda: _summary(scanned()[1], len(steps), []), shape))
    result: dict[str, Any] = {
        "steps": _steps(overall, steps),
        "window": window.text,
        "window_seconds": window.seconds,
        "period": {"from": period.first, "to": period.last},
        "entered": int(overall.get("n0") or 0),
        "converted": int(overall.get(f"n{len(steps) - 1}") or 0),
        "by": by,
        "breakdown": [],
    }
    result["conversion"] = share(result["converted"], result["entered"])
    result["empty"] = result["entered"] == 0
    if by is not None and not result["empty"]:

        def broken_down() -> ibis.Table:
            events, customers = scanned()
            dims = _dimension(wh, events, customers, by, steps[0]).select(did=_.customer, dim=_.dim)
            labelled = customers.left_join(dims, customers.customer == dims.did)
            labelled = labelled.drop("did").mutate(dim=ibis.coalesce(labelled.dim, UNKNOWN))
            return _summary(labelled, len(steps), ["dim"])

        by_shape = (*shape, by, schemas_of(wh, ("customers",)) if by in ("tier", "city") else ())
        groups = {row["dim"]: row for row in run(wh, broken_down, by_shape)}
        ranked = sorted(groups.items(), key=lambda kv: (-int(kv[1].get("n0") or 0), str(kv[0])))[:BREAKDOWN_LIMIT]
        result["breakdown"] = [
            {
                "group": group,
                "entered": int(row.get("n0") or 0),
                "conversion": share(row.get(f"n{len(steps) - 1}"), row.get("n0")),
                "steps": _steps(row, steps),
            }
            for group, row in ranked
        ]
    return result


def _first_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return rows[0] if rows else {}
