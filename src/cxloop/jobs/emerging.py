"""Finding emerging issues: compare each day's topic and keyword counts with their baseline and
record what stands out, with example items. Run by the server's scheduler and `cxloop trends detect`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.analytics.emerging import Detection, detect_new_phrases, detect_spikes
from cxloop.analytics.trends import daily_counts
from cxloop.domain import new_id
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import emerging_issues, feedback_keywords, feedback_topics

logger = logging.getLogger(__name__)
BASELINE_WEEKS = 8


def _examples(conn: sa.Connection, detection: Detection, start: datetime, end: datetime) -> list[str]:
    table, column = (
        (feedback_topics, feedback_topics.c.topic)
        if detection.kind == "topic_spike"
        else (feedback_keywords, feedback_keywords.c.keyword)
    )
    query = (
        sa.select(table.c.feedback_id)
        .where(column == detection.subject, table.c.occurred_at >= start, table.c.occurred_at < end)
        .order_by(table.c.occurred_at.desc())
        .limit(5)
    )
    return [str(fid) for fid in conn.execute(query).scalars()]


def detect_days(store: Store, days: Iterable[date], *, offset_minutes: int = 540) -> list[dict[str, Any]]:
    """Detect and record emerging issues for each local day; already recorded ones are kept as they are.

    Counts are read once for the whole span (the earliest day's baseline to the last day), so a
    backfill over months costs two queries rather than two per day.
    """
    wanted = sorted(set(days))
    if not wanted:
        return []
    offset = timedelta(minutes=offset_minutes)
    window_start = datetime(wanted[0].year, wanted[0].month, wanted[0].day) - offset - timedelta(weeks=BASELINE_WEEKS)
    window_end = datetime(wanted[-1].year, wanted[-1].month, wanted[-1].day) - offset + timedelta(days=1)
    with store.read() as conn:
        topics = daily_counts(conn, "topic", window_start, window_end, offset_minutes=offset_minutes)
        keywords = daily_counts(conn, "keyword", window_start, window_end, offset_minutes=offset_minutes)
    history_start = (window_start + offset).date()
    recorded: list[dict[str, Any]] = []
    for day in wanted:
        # Each day sees only its own baseline window: earlier days, never later ones.
        since = day - timedelta(weeks=BASELINE_WEEKS)
        found = [
            *detect_spikes(topics, kind="topic_spike", day=day, history_start=max(history_start, since)),
            *detect_spikes(keywords, kind="keyword_spike", day=day, history_start=max(history_start, since)),
        ]
        recent = {k: series.get(day, 0) for k, series in keywords.items()}
        baseline = {k: sum(n for d, n in series.items() if since <= d < day) for k, series in keywords.items()}
        found += detect_new_phrases(recent, baseline, day=day)
        if found:
            recorded += _record(store, day, found, offset)
    logger.info("emerging issues: %s recorded", len(recorded))
    return recorded


def _record(store: Store, day: date, found: list[Detection], offset: timedelta) -> list[dict[str, Any]]:
    day_start = datetime(day.year, day.month, day.day) - offset  # local midnight in UTC
    recorded: list[dict[str, Any]] = []
    with store.write() as conn:
        known = {
            (k, s)
            for k, s in conn.execute(
                sa.select(emerging_issues.c.kind, emerging_issues.c.subject).where(emerging_issues.c.day == day)
            )
        }
        for detection in found:
            if (detection.kind, detection.subject) in known:
                continue
            known.add((detection.kind, detection.subject))
            row = {
                "id": new_id(),
                "kind": detection.kind,
                "subject": detection.subject[:200],
                "day": day,
                "observed": detection.observed,
                "expected": float(detection.expected),
                "lift": float(detection.lift),
                "score": float(detection.score),
                "examples": _examples(conn, detection, day_start, day_start + timedelta(days=1)),
                "status": "open",
                "detected_at": utc_now(),
            }
            conn.execute(emerging_issues.insert().values(**row))
            recorded.append(row)
    return recorded


def newest_local_day(store: Store, *, offset_minutes: int = 540) -> date | None:
    """The local day of the newest topic-tagged feedback, or None before any."""
    with store.read() as conn:
        newest = conn.execute(sa.select(sa.func.max(feedback_topics.c.occurred_at))).scalar()
    return (newest + timedelta(minutes=offset_minutes)).date() if newest else None


def detect_recent(store: Store, *, days: int = 2, offset_minutes: int = 540) -> list[dict[str, Any]]:
    """The scheduler's call: the last `days` local days up to the newest feedback."""
    last = newest_local_day(store, offset_minutes=offset_minutes)
    if last is None:
        return []
    return detect_days(store, [last - timedelta(days=i) for i in range(days)], offset_minutes=offset_minutes)
