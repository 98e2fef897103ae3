"""Journey analyses on a store, from the raw parameters people type: one entry point per analysis,
shared by the API, the pages and the CLI so each answer is computed once and rendered three ways."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import ibis

from cxloop.analytics.journeys._common import Period, event_type, parse_steps, parse_window
from cxloop.analytics.journeys.cohorts import cohort_retention
from cxloop.analytics.journeys.emotion import emotion_flow
from cxloop.analytics.journeys.funnels import funnel
from cxloop.analytics.journeys.impact import event_impact
from cxloop.analytics.journeys.paths import top_paths
from cxloop.analytics.periods import default_days
from cxloop.analytics.warehouse import Warehouse, open_warehouse
from cxloop.store.engine import Store


def funnel_report(
    store: Store,
    steps: list[str] | str,
    *,
    window: str = "7d",
    by: str | None = None,
    first: date | None = None,
    last: date | None = None,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    """Without dates, customers entering in the 30 days up to the newest event: the KPI explorer's
    default, and an answer in a fraction of the time the whole history takes on a large store.
    Everything the store holds is one `from` away (the funnel page offers it as "All data")."""
    parsed, span = parse_steps(steps), parse_window(window)
    Period(first, last)  # a reversed period is refused before any query runs
    with open_warehouse(store) as wh:
        newest = _event_days(wh, offset_minutes)[1] if last is None else None
        if first and newest and first > newest:
            newest = None  # a start after every event is an empty answer, not a reversed period
        resolved = default_days(first, last, newest)
        period = Period(*resolved) if resolved else Period(first, last)
        return funnel(wh, parsed, span, by=by or None, period=period, offset_minutes=offset_minutes)


def paths_report(
    store: Store,
    from_event: str,
    to_event: str | None = None,
    *,
    window: str = "30d",
    depth: int = 5,
    limit: int = 10,
    first: date | None = None,
    last: date | None = None,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    source = event_type(from_event, "from_event")
    target = event_type(to_event, "to_event") if to_event else None
    span, period = parse_window(window), Period(first, last)
    with open_warehouse(store) as wh:
        return top_paths(
            wh, source, target, span, depth=depth, limit=limit, period=period, offset_minutes=offset_minutes
        )


def cohorts_report(
    store: Store,
    *,
    grain: str = "week",
    event: str | None = None,
    active_event: str | None = None,
    periods: int = 12,
    first: date | None = None,
    last: date | None = None,
    offset_minutes: int = 0,
) -> dict[str, Any]:
    entering = event_type(event, "event") if event else None
    active = event_type(active_event, "active_event") if active_event else None
    period = Period(first, last)
    with open_warehouse(store) as wh:
        return cohort_retention(
            wh,
            grain=grain,
            event=entering,
            active_event=active,
            periods=periods,
            period=period,
            offset_minutes=offset_minutes,
        )


def emotion_report(
    store: Store, *, first: date | None = None, last: date | None = None, offset_minutes: int = 0
) -> dict[str, Any]:
    period = Period(first, last)
    with open_warehouse(store) as wh:
        return emotion_flow(wh, period=period, offset_minutes=offset_minutes)


def impact_report(
    store: Store, metric: str, on: date, *, days_before: int = 14, days_after: int = 14, offset_minutes: int = 0
) -> dict[str, Any]:
    with open_warehouse(store) as wh:
        return event_impact(
            wh, metric, on, days_before=days_before, days_after=days_after, offset_minutes=offset_minutes
        )


def event_days(store: Store, offset_minutes: int = 0) -> tuple[date | None, date | None]:
    """The business-local days of the oldest and the newest event, for period pickers."""
    with open_warehouse(store) as wh:
        return _event_days(wh, offset_minutes)


def _event_days(wh: Warehouse, offset_minutes: int) -> tuple[date | None, date | None]:
    # One unfiltered MIN and MAX: DuckDB answers them from column statistics, PostgreSQL from its index.
    events = wh.table("events")
    at = events.occurred_at.cast(ibis.dtype("timestamp"))
    span = wh.rows(events.aggregate(oldest=at.min(), newest=at.max()))[0]
    shift = timedelta(minutes=offset_minutes)

    def local(at: datetime | None) -> date | None:
        return (at + shift).date() if at is not None else None

    return local(span["oldest"]), local(span["newest"])


def event_types(store: Store, limit: int = 200) -> list[str]:
    """The event types seen, for pickers: people build funnels from what their data holds."""
    with open_warehouse(store) as wh:
        events = wh.table("events")
        return [str(r["type"]) for r in wh.rows(events.select("type").distinct().order_by("type").limit(limit))]
