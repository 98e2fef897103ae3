"""Conversion funnels: ordered steps per customer inside a conversion window, with drop-off and timing.

A customer enters on their first step-1 event in the period. Step k counts when the customer did
step k's event after the moment they reached step k-1 and within the window from step 1. Taking the
earliest qualifying event at every hop is the greedy match, and for a fixed entry it reaches the
deepest step possible, so counts are exact, and they can never grow from one step to the next.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

from cxloop.analytics.journeys._common import (
    Period,
    Window,
    customer_events,
    seconds_between,
    share,
    within,
)
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

#: Breakdown dimensions: the channel of the step-1 event, the channel of the customer's very first
#: event (where they came from), and the customer's tier and city from the profile.
DIMENSIONS = ("channel", "first_channel", "tier", "city")
UNKNOWN = "(unknown)"
BREAKDOWN_LIMIT = 20


def _entries(events: ibis.Table, first_step: str, start: Any, end: Any) -> ibis.Table:
    entry_events = within(events.filter(_.type == first_step), "occurred_at", start, end)
    return entry_events.group_by("customer_id").agg(t0=_.occurred_at.min())


def _hops(events: ibis.Table, entries: ibis.Table, steps: list[str], window: Window) -> list[ibis.Table]:
    """Per step, one row per customer who reached it, carrying t0..tk (and the breakdown `dim`).

    Each hop is built from the previous one only: a linear chain, so the plan stays small on every
    engine (a left-join ladder would repeat the earlier steps at every level).
    """
    hops = [entries]
    for k, step in enumerate(steps[1:], start=1):
        previous = hops[-1]
        candidates = events.filter(_.type == step).select(cid=_.customer_id, at=_.occurred_at)
        # Only customers who reached step k-1 can reach step k: this is what keeps counts monotone.
        # Columns are named through `_` after the join: referring back to `previous` confuses
        # Ibis's join dereferencing when `previous` itself came out of a join.
        joined = previous.join(candidates, previous.customer_id == candidates.cid).filter(
            _.at > _[f"t{k - 1}"], seconds_between(_.at, _.t0) <= window.seconds
        )
        hops.append(joined.group_by(list(previous.columns)).agg(**{f"t{k}": _.at.min()}))
    return hops


def _summary(hops: list[ibis.Table], keys: list[str]) -> ibis.Table:
    """One row per (step[, dim]): customers and median seconds from the previous step and from step 1."""
    parts = []
    for k, hop in enumerate(hops):
        if k:
            from_previous = seconds_between(hop[f"t{k}"], hop[f"t{k - 1}"]).median().cast("float64")
            from_start = seconds_between(hop[f"t{k}"], hop.t0).median().cast("float64")
        else:
            from_previous = from_start = ibis.null().cast("float64")
        aggs = {"n": hop.customer_id.count(), "from_previous": from_previous, "from_start": from_start}
        grouped = hop.group_by(keys).agg(**aggs) if keys else hop.aggregate(**aggs)
        parts.append(grouped.mutate(step=ibis.literal(k, "int64")))
    return ibis.union(*parts, distinct=False)


def _pivot(rows: list[dict[str, Any]], steps: list[str], key: str | None) -> dict[Any, dict[str, Any]]:
    """Summary rows → per group the flat n{k}/step{k}/total{k} shape `_steps` reads."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        flat = out.setdefault(row[key] if key else None, {})
        k = int(row["step"])
        flat[f"n{k}"], flat[f"step{k}"], flat[f"total{k}"] = row["n"], row["from_previous"], row["from_start"]
    return out


def _dimension(wh: Warehouse, events: ibis.Table, entries: ibis.Table, by: str, first_step: str) -> ibis.Table:
    """customer_id → dim for the entrants."""
    if by in ("tier", "city"):
        customers = wh.table("customers").select(pid=_.id, dim=_[by])
        return entries.join(customers, entries.customer_id == customers.pid).select("customer_id", "dim")
    if by == "channel":
        firsts = events.filter(_.type == first_step)
        joined = entries.join(firsts, (entries.customer_id == firsts.customer_id) & (entries.t0 == firsts.occurred_at))
    else:
        everything = customer_events(wh.table("events"))
        first_seen = everything.group_by(fid=_.customer_id).agg(first_at=_.occurred_at.min())
        joined = first_seen.join(
            everything, (first_seen.fid == everything.customer_id) & (first_seen.first_at == everything.occurred_at)
        )
    # Ties at the same instant are broken by name, the same way on every engine.
    return joined.group_by("customer_id").agg(dim=_.channel.min())


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
                "median_seconds_from_start": _seconds(row.get(f"total{k}")) if k else None,
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
    events = customer_events(wh.table("events")).filter(_.type.isin(sorted(set(steps))))
    # Later steps may happen after the period ends, as long as they are inside the window.
    events = within(events, "occurred_at", start, end + window.delta if end else None)
    entries = _entries(events, steps[0], start, end)
    overall = _pivot(wh.rows(_summary(_hops(events, entries, steps, window), [])), steps, None).get(None, {})
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
        dims = _dimension(wh, events, entries, by, steps[0]).select(did=_.customer_id, dim=_.dim)
        labelled = entries.left_join(dims, entries.customer_id == dims.did)
        labelled = labelled.select("customer_id", "t0", dim=ibis.coalesce(labelled.dim, UNKNOWN))
        groups = _pivot(wh.rows(_summary(_hops(events, labelled, steps, window), ["dim"])), steps, "dim")
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
