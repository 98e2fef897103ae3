"""Top keywords per topic, channel, customer segment and period, with their change against the
period before. Keywords are stored already canonicalized through the synonym list
(`cxloop/text/synonyms.yaml`), so "환불"/"환불요청"/"refund" count as one where the list says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.analytics.overview import latest_activity
from cxloop.store.tables import customers, feedback, feedback_keywords, feedback_topics


def top_keywords(
    conn: sa.Connection,
    *,
    days: int = 30,
    topic: str | None = None,
    channel: str | None = None,
    tier: str | None = None,
    limit: int = 20,
) -> dict[str, Any]:
    """The most frequent keywords of the last `days` (ending at the newest data) in the chosen slice.

    Each keyword comes with its count, the share of items in the slice that mention it, and its
    count in the period before, so a word that is suddenly everywhere stands out from one that always is.
    """
    latest = latest_activity(conn)
    end = (latest or datetime(2000, 1, 1)) + timedelta(seconds=1)
    start, previous_start = end - timedelta(days=days), end - timedelta(days=2 * days)
    k = feedback_keywords.c
    conditions: list[sa.ColumnElement[bool]] = [k.occurred_at >= previous_start, k.occurred_at < end]
    if channel:
        conditions.append(k.channel == channel)
    if topic:
        in_topic = sa.select(feedback_topics.c.feedback_id).where(
            feedback_topics.c.topic == topic,
            feedback_topics.c.occurred_at >= previous_start,
            feedback_topics.c.occurred_at < end,
        )
        conditions.append(k.feedback_id.in_(in_topic))
    if tier:
        of_tier = (
            sa.select(feedback.c.id)
            .join(customers, customers.c.id == feedback.c.customer_id)
            .where(customers.c.tier == tier, feedback.c.occurred_at >= previous_start, feedback.c.occurred_at < end)
        )
        conditions.append(k.feedback_id.in_(of_tier))
    current = k.occurred_at >= start
    rows = conn.execute(
        sa.select(
            k.keyword,
            sa.func.count().filter(current).label("n"),
            sa.func.count().filter(~current).label("previous"),
        )
        .where(*conditions)
        .group_by(k.keyword)
        .having(sa.func.count().filter(current) > 0)
        .order_by(sa.func.count().filter(current).desc(), k.keyword)
        .limit(limit)
    ).all()
    items = conn.execute(sa.select(sa.func.count(sa.distinct(k.feedback_id))).where(*conditions, current)).scalar_one()
    return {
        "period": {"days": days, "start": start, "end": end},
        "slice": {"topic": topic, "channel": channel, "tier": tier},
        "items": int(items),
        "keywords": [
            {
                "keyword": r.keyword,
                "count": int(r.n),
                "share": int(r.n) / items if items else None,
                "previous_count": int(r.previous),
            }
            for r in rows
        ],
    }


def customer_tiers(conn: sa.Connection) -> list[str]:
    """The segments (customer tiers) present, for filter menus."""
    query = sa.select(customers.c.tier).where(customers.c.tier.is_not(None)).distinct().order_by(customers.c.tier)
    return [str(t) for t in conn.execute(query).scalars()]
