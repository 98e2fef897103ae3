"""Topic trends: volume and negative share per topic over time, and daily counts for spike detection."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.analytics.overview import bucketed, latest_activity, local_day
from cxloop.domain import SOLICITED_CHANNELS
from cxloop.store.tables import emerging_issues, feedback, feedback_keywords, feedback_topics


def daily_counts(
    conn: sa.Connection,
    what: str,
    since: datetime,
    until: datetime,
    *,
    offset_minutes: int = 540,
    min_total: int = 5,
    exclude_channels: tuple[str, ...] = SOLICITED_CHANNELS,
) -> dict[str, dict[date, int]]:
    """subject → local day → items, for topics (`what="topic"`) or keywords (`what="keyword"`).

    Subjects with fewer than `min_total` items in the whole window are left out: they cannot spike.
    Survey answers are left out by default: a survey wave is scheduled by the company, and its
    volume would make every topic look like it spiked.
    """
    table, subject = (
        (feedback_topics, feedback_topics.c.topic)
        if what == "topic"
        else (feedback_keywords, feedback_keywords.c.keyword)
    )
    day = local_day(table.c.occurred_at, offset_minutes).label("day")
    in_window = (table.c.occurred_at >= since) & (table.c.occurred_at < until)
    if exclude_channels:
        in_window = in_window & table.c.channel.not_in(exclude_channels)
    frequent = sa.select(subject).where(in_window).group_by(subject).having(sa.func.count() >= min_total).subquery()
    query = (
        sa.select(subject.label("subject"), day, sa.func.count().label("n"))
        .where(in_window, subject.in_(sa.select(frequent.c[0])))
        .group_by(subject, day)
    )
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in conn.execute(query):
        counts[str(row.subject)][row.day] = int(row.n)
    return dict(counts)


def topic_trends(conn: sa.Connection, *, days: int = 90, offset_minutes: int = 540) -> dict[str, Any]:
    """Topic volume per day (or week) with each topic's negative share, now and in the period before."""
    latest = latest_activity(conn)
    end = (latest or datetime(2000, 1, 1)) + timedelta(seconds=1)
    start, previous_start = end - timedelta(days=days), end - timedelta(days=2 * days)
    step = 1 if days <= 90 else 7
    day = local_day(feedback_topics.c.occurred_at, offset_minutes).label("day")
    rows = conn.execute(
        sa.select(feedback_topics.c.topic, day, sa.func.count().label("n"))
        .where(feedback_topics.c.occurred_at >= start, feedback_topics.c.occurred_at < end)
        .group_by(feedback_topics.c.topic, day)
    ).all()
    negative = sa.func.count().filter(feedback_topics.c.sentiment == "negative")
    summary_rows = conn.execute(
        sa.select(
            feedback_topics.c.topic,
            sa.func.count().filter(feedback_topics.c.occurred_at >= start).label("volume"),
            negative.filter(feedback_topics.c.occurred_at >= start).label("negative"),
            sa.func.count().filter(feedback_topics.c.occurred_at < start).label("previous_volume"),
            negative.filter(feedback_topics.c.occurred_at < start).label("previous_negative"),
        )
        .where(feedback_topics.c.occurred_at >= previous_start, feedback_topics.c.occurred_at < end)
        .group_by(feedback_topics.c.topic)
    ).all()
    # The previous period only compares when the data reach back over all of it; a period that is
    # mostly before the first record would show every topic growing by thousands of percent.
    earliest = conn.execute(sa.select(sa.func.min(feedback_topics.c.occurred_at))).scalar()
    comparable = earliest is not None and earliest <= previous_start
    summary = sorted(
        (
            {
                "topic": r.topic,
                "volume": int(r.volume),
                "negative_share": (r.negative / r.volume) if r.volume else None,
                "previous_volume": int(r.previous_volume) if comparable else None,
                "previous_negative_share": (r.previous_negative / r.previous_volume)
                if comparable and r.previous_volume
                else None,
            }
            for r in summary_rows
        ),
        key=lambda s: -s["volume"],
    )
    chart = bucketed(((row.topic, row.day, int(row.n)) for row in rows), start, end, offset_minutes, step)
    return {
        "period": {"days": days, "start": start, "end": end, "bucket_days": step},
        "chart": chart,
        "topics": summary,
    }


def list_emerging_issues(conn: sa.Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    """Most recent detections first, each with up to three example feedback excerpts."""
    issues = [
        dict(r)
        for r in conn.execute(
            sa.select(emerging_issues)
            .order_by(emerging_issues.c.day.desc(), emerging_issues.c.score.desc())
            .limit(limit)
        ).mappings()
    ]
    example_ids = sorted({fid for issue in issues for fid in (issue["examples"] or [])[:3]})
    excerpts: dict[str, str] = {}
    if example_ids:
        query = sa.select(feedback.c.id, sa.func.substr(feedback.c.text, 1, 160)).where(feedback.c.id.in_(example_ids))
        excerpts = {str(fid): str(text or "") for fid, text in conn.execute(query)}
    for issue in issues:
        issue["example_items"] = [
            {"id": fid, "excerpt": excerpts.get(fid, "")} for fid in (issue["examples"] or [])[:3] if fid in excerpts
        ]
    return issues
