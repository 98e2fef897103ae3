"""Cohort retention: customers grouped by the week or month they were first seen, and the share of
each cohort active in every later period.

A cohort is the business-local week (Monday first) or month of a customer's first event, or of
their first event of a chosen type. Period 0 is the cohort's own period, where every member is active
by definition; later cells are the share of the cohort with any event (or any event of a chosen
type) in that period. Periods after the newest data are not observed yet and are NULL, not 0.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import ibis
from ibis import _

from cxloop.analytics.journeys._common import Period, customer_events, local_time, share, within
from cxloop.analytics.warehouse import Warehouse
from cxloop.errors import InvalidInput

GRAINS = {"week": "W", "month": "M"}
MAX_PERIODS = 26


def _index(period: ibis.Value, cohort: ibis.Value, grain: str) -> ibis.Value:
    """Whole periods from the cohort's period to the activity's period, the same on every engine."""
    if grain == "month":
        return (period.year() * 12 + period.month()) - (cohort.year() * 12 + cohort.month())
    # Both are Monday midnights, so the difference is a whole number of weeks (rounding absorbs DST-free
    # epoch arithmetic on engines that return floats).
    return ((period.epoch_seconds() - cohort.epoch_seconds()) / 604_800).round().cast("int64")


def _periods_between(first: date, last: date, grain: str) -> int:
    if grain == "month":
        return (last.year * 12 + last.month) - (first.year * 12 + first.month)
    return (last - first).days // 7


def _as_date(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def cohort_retention(
    wh: Warehouse,
    *,
    grain: str = "week",
    event: str | None = None,
    active_event: str | None = None,
    period: Period | None = None,
    periods: int = 12,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    """The retention matrix; cohorts are limited to first-seen dates in `period`."""
    if grain not in GRAINS:
        raise InvalidInput(f"grain {grain!r} is not supported: use week or month", details={"field": "grain"})
    if not 1 <= periods <= MAX_PERIODS:
        raise InvalidInput(f"periods must be between 1 and {MAX_PERIODS}", details={"field": "periods"})
    period = period or Period()
    unit = GRAINS[grain]
    events = customer_events(wh.table("events"))
    events = events.mutate(bucket=local_time(events.occurred_at, offset_minutes).truncate(unit))
    entering = events.filter(_.type == event) if event else events
    first_seen = entering.group_by("customer_id").agg(first_at=_.occurred_at.min())
    first_seen = within(first_seen, "first_at", *period.utc_bounds(offset_minutes))
    first_seen = first_seen.mutate(cohort=local_time(_.first_at, offset_minutes).truncate(unit))

    active = events.filter(_.type == active_event) if active_event else events
    activity = active.select(aid=_.customer_id, bucket=_.bucket)
    joined = first_seen.join(activity, first_seen.customer_id == activity.aid).filter(_.bucket > _.cohort)
    later = joined.select("customer_id", "cohort", idx=_index(joined.bucket, joined.cohort, grain))
    later = later.filter(_.idx <= periods).distinct()
    cells = later.group_by(["cohort", "idx"]).agg(active=_.customer_id.count())
    sizes = first_seen.group_by("cohort").agg(size=_.customer_id.count())

    size_rows = wh.rows(sizes.order_by("cohort"))
    result: dict[str, Any] = {"grain": grain, "event": event, "active_event": active_event, "periods": periods}
    if not size_rows:
        return {**result, "cohorts": [], "average": [], "empty": True}
    newest = wh.scalar(local_time(events.occurred_at.max(), offset_minutes).truncate(unit))
    cell_rows = wh.rows(cells)
    counts = {(_as_date(r["cohort"]), int(r["idx"])): int(r["active"]) for r in cell_rows}
    cohorts = []
    for row in size_rows:
        cohort, size = _as_date(row["cohort"]), int(row["size"])
        observed = _periods_between(cohort, _as_date(newest), grain)
        retention: list[float | None] = [
            1.0 if i == 0 else share(counts.get((cohort, i), 0), size) if i <= observed else None
            for i in range(periods + 1)
        ]
        cohorts.append(
            {
                "cohort": cohort,
                "size": size,
                "active": [counts.get((cohort, i), 0) for i in range(periods + 1)],
                "retention": retention,
            }
        )
    result["cohorts"] = cohorts
    result["average"] = _weighted_average(cohorts, periods)
    result["empty"] = False
    return result


def _weighted_average(cohorts: list[dict[str, Any]], periods: int) -> list[float | None]:
    """Per period, active members over members of the cohorts that have reached that period."""
    average: list[float | None] = []
    for i in range(periods + 1):
        reached = [c for c in cohorts if c["retention"][i] is not None]
        members = sum(c["size"] for c in reached)
        average.append(share(sum(c["size"] if i == 0 else c["active"][i] for c in reached), members))
    return average
