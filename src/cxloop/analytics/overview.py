"""The overview: how much the customers said and did, per channel over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.store.tables import customers, events, feedback, intake_records

PERIODS = (7, 30, 90, 180, 365)


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: list[int]


@dataclass(frozen=True, slots=True)
class VolumeChart:
    buckets: list[date]  # first day of each bucket, in business-local time
    series: list[Series]  # one per channel, largest first


def local_day(column: sa.ColumnElement[datetime], utc_offset_minutes: int) -> sa.ColumnElement[Any]:
    """The business-local calendar day of a stored UTC time."""
    # A cast to DATE truncates by itself; date_trunc first cost a third of the 180-day overview.
    return sa.cast(column + sa.text(f"INTERVAL '{int(utc_offset_minutes)} minutes'"), sa.Date)


def latest_activity(conn: sa.Connection) -> datetime | None:
    """When the newest feedback or event happened; the overview's period ends there."""
    newest = [conn.execute(sa.select(sa.func.max(t.c.occurred_at))).scalar() for t in (feedback, events)]
    known = [moment for moment in newest if moment is not None]
    return max(known) if known else None


def _volume(
    conn: sa.Connection, table: sa.Table, start: datetime, end: datetime, offset: int, step: int
) -> VolumeChart:
    day = local_day(table.c.occurred_at, offset).label("day")
    query = (
        sa.select(day, table.c.channel, sa.func.count().label("n"))
        .where(table.c.occurred_at >= start, table.c.occurred_at < end)
        .group_by(day, table.c.channel)
    )
    return bucketed(((row.channel, row.day, int(row.n)) for row in conn.execute(query)), start, end, offset, step)


def bucketed(
    counts: Iterable[tuple[str, date, int]], start: datetime, end: datetime, offset: int, step: int
) -> VolumeChart:
    """(series name, local day, count) rows gathered into buckets of `step` days, largest series first."""
    first = (start + timedelta(minutes=offset)).date()
    n_buckets = max(1, ((end - start).days + step - 1) // step)
    series: dict[str, list[int]] = {}
    for name, day, n in counts:
        index = min((day - first).days // step, n_buckets - 1)
        if index >= 0:
            series.setdefault(name, [0] * n_buckets)[index] += n
    return VolumeChart(
        [first + timedelta(days=i * step) for i in range(n_buckets)],
        sorted((Series(name, values) for name, values in series.items()), key=lambda s: -sum(s.values)),
    )


def overview(conn: sa.Connection, *, days: int = 30, utc_offset_minutes: int = 540) -> dict[str, Any]:
    """Volumes of feedback and events by channel over the `days` up to the latest activity."""
    latest = latest_activity(conn)
    end = (latest or datetime(2000, 1, 1)) + timedelta(seconds=1)
    start = end - timedelta(days=days)
    step = 1 if days <= 90 else 7
    feedback_chart = _volume(conn, feedback, start, end, utc_offset_minutes, step)
    event_chart = _volume(conn, events, start, end, utc_offset_minutes, step)
    in_period = (feedback.c.occurred_at >= start) & (feedback.c.occurred_at < end)
    survey = conn.execute(
        sa.select(sa.func.count().label("responses"), sa.func.count(sa.distinct(feedback.c.customer_id))).where(
            in_period, feedback.c.survey_type.is_not(None)
        )
    ).one()
    pending = conn.execute(
        sa.select(sa.func.count()).select_from(intake_records).where(intake_records.c.status == "pending")
    ).scalar_one()
    return {
        "period": {"days": days, "start": start, "end": end, "bucket_days": step, "latest_activity": latest},
        "totals": {
            "feedback": sum(sum(s.values) for s in feedback_chart.series),
            "events": sum(sum(s.values) for s in event_chart.series),
            "survey_responses": int(survey[0]),
            "customers": int(conn.execute(sa.select(sa.func.count()).select_from(customers)).scalar_one()),
            "pending_intake": int(pending),
        },
        "feedback_by_channel": feedback_chart,
        "events_by_channel": event_chart,
    }
