"""Customer 360: everything known about one customer, computed once for the API and the profile page.

Identifiers with why they are linked, purchase value and RFM, survey history, sentiment by month,
topics raised, cases, merge history and a paged cross-channel timeline. A merged id resolves to the
live survivor and says so.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store import merges
from cxloop.store.tables import (
    cases,
    customer_identities,
    customer_merges,
    customers,
    events,
    feedback,
    feedback_topics,
)

#: Event types that are orders; their `value` is what the customer spent.
ORDER_EVENT_TYPES = ("purchase", "order")
REFUND_EVENT_TYPES = ("refund",)
CLOSED_CASE_STATUSES = ("resolved", "closed")


def _identities(conn: sa.Connection, customer_id: str) -> list[dict[str, Any]]:
    """Each identifier, and why it is on this profile: given by a source, or brought in by a merge."""
    rows = [
        dict(r)
        for r in conn.execute(
            sa.select(customer_identities)
            .where(customer_identities.c.customer_id == customer_id)
            .order_by(customer_identities.c.kind, customer_identities.c.created_at, customer_identities.c.id)
        ).mappings()
    ]
    merge_rows = (
        conn.execute(
            sa.select(customer_merges, customers.c.name.label("merged_name"))
            .join(customers, customers.c.id == customer_merges.c.merged_id)
            .where(customer_merges.c.survivor_id == customer_id, customer_merges.c.unmerged_at.is_(None))
            .order_by(customer_merges.c.merged_at)
        )
        .mappings()
        .all()
    )
    brought_by: dict[str, dict[str, Any]] = {}
    for record in merge_rows:  # oldest first, so the latest merge that moved an identifier wins
        for identity_id in record["snapshot"].get("moved", {}).get("customer_identities", []):
            brought_by[identity_id] = dict(record)
    for row in rows:
        merge = brought_by.get(row["id"])
        row["linked_because"] = (
            {"via": "source", "source": row["source"], "at": row["created_at"]}
            if merge is None
            else {
                "via": "merge",
                "merge_id": merge["id"],
                "merged_id": merge["merged_id"],
                "merged_name": merge["merged_name"],
                "rule": merge["rule"],
                "reasons": list(merge["reasons"]),
                "by": merge["merged_by"],
                "at": merge["merged_at"],
            }
        )
        row.pop("link_key", None)
        row.pop("batch_id", None)
    return rows


def _value(conn: sa.Connection, customer_id: str, now: datetime) -> dict[str, Any]:
    """Orders, spend and RFM: recency in days since the last order, frequency, monetary value."""
    mine = events.c.customer_id == customer_id
    orders = conn.execute(
        sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(events.c.value), 0), sa.func.max(events.c.occurred_at)
        ).where(mine, events.c.type.in_(ORDER_EVENT_TYPES))
    ).one()
    refunded = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(events.c.value), 0)).where(mine, events.c.type.in_(REFUND_EVENT_TYPES))
    ).scalar_one()
    count, spent, last_order = int(orders[0]), float(orders[1]), orders[2]
    return {
        "orders": count,
        "order_value": spent,
        "refunded": float(refunded),
        "net_value": spent - float(refunded),
        "average_order_value": spent / count if count else None,
        "last_order_at": last_order,
        "rfm": {
            "recency_days": (now - last_order).days if last_order else None,
            "frequency": count,
            "monetary": spent,
        },
    }


def _activity(conn: sa.Connection, customer_id: str) -> dict[str, Any]:
    timeline = timeline_query(customer_id).subquery()
    first, last, n_events, n_feedback = conn.execute(
        sa.select(
            sa.func.min(timeline.c.occurred_at),
            sa.func.max(timeline.c.occurred_at),
            sa.func.count().filter(timeline.c.record == "event"),
            sa.func.count().filter(timeline.c.record == "feedback"),
        )
    ).one()
    channels = conn.execute(
        sa.select(timeline.c.channel, sa.func.count()).group_by(timeline.c.channel).order_by(sa.func.count().desc())
    ).all()
    last_contact = conn.execute(
        sa.select(sa.func.max(feedback.c.occurred_at)).where(feedback.c.customer_id == customer_id)
    ).scalar_one()
    return {
        "first_seen_at": first,
        "last_seen_at": last,
        "last_contact_at": last_contact,
        "events": int(n_events),
        "feedback": int(n_feedback),
        "channels": [{"channel": c, "count": int(n)} for c, n in channels],
    }


def _voice(conn: sa.Connection, customer_id: str) -> dict[str, Any]:
    """Survey scores over time, average sentiment by month, and the topics the customer raised."""
    mine = feedback.c.customer_id == customer_id
    surveys = (
        conn.execute(
            sa.select(
                feedback.c.id, feedback.c.occurred_at, feedback.c.survey_type, feedback.c.score, feedback.c.channel
            )
            .where(mine, feedback.c.survey_type.is_not(None), feedback.c.score.is_not(None))
            .order_by(feedback.c.occurred_at)
        )
        .mappings()
        .all()
    )
    month = sa.func.date_trunc("month", feedback.c.occurred_at).label("month")
    sentiment = conn.execute(
        sa.select(month, sa.func.avg(feedback.c.sentiment_score), sa.func.count())
        .where(mine, feedback.c.sentiment_score.is_not(None))
        .group_by(month)
        .order_by(month)
    ).all()
    topics = conn.execute(
        sa.select(
            feedback_topics.c.topic,
            sa.func.count(),
            sa.func.count().filter(feedback_topics.c.sentiment == "negative"),
            sa.func.max(feedback_topics.c.occurred_at),
        )
        .join(feedback, feedback.c.id == feedback_topics.c.feedback_id)
        .where(mine)
        .group_by(feedback_topics.c.topic)
        .order_by(sa.func.count().desc(), feedback_topics.c.topic)
    ).all()
    return {
        "surveys": [dict(s) for s in surveys],
        "sentiment_by_month": [
            {"month": m.date() if isinstance(m, datetime) else m, "average": float(a), "count": int(n)}
            for m, a, n in sentiment
        ],
        "topics": [{"topic": t, "count": int(n), "negative": int(neg), "last_at": at} for t, n, neg, at in topics],
    }


def _cases(conn: sa.Connection, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    rows = conn.execute(
        sa.select(
            cases.c.id, cases.c.subject, cases.c.status, cases.c.priority, cases.c.created_at, cases.c.updated_at,
            cases.c.origin_feedback_id,
        )
        .where(cases.c.customer_id == customer_id)
        .order_by(cases.c.created_at.desc(), cases.c.id)
    ).mappings().all()  # fmt: skip
    items = [dict(r) for r in rows]
    return {
        "open": [c for c in items if c["status"] not in CLOSED_CASE_STATUSES],
        "closed": [c for c in items if c["status"] in CLOSED_CASE_STATUSES],
    }


def timeline_query(customer_id: str) -> sa.CompoundSelect[Any]:
    event_rows = sa.select(
        events.c.id,
        sa.literal("event").label("record"),
        events.c.occurred_at,
        events.c.channel,
        events.c.type.label("title"),
        sa.cast(events.c.value, sa.Float).label("value"),
        events.c.currency,
        sa.literal(None, sa.Text).label("text"),
        sa.literal(None, sa.String).label("survey_type"),
        sa.literal(None, sa.SmallInteger).label("score"),
        sa.literal(None, sa.String).label("sentiment_label"),
        events.c.journey_stage,
        sa.literal(None, sa.String).label("continues_id"),
    ).where(events.c.customer_id == customer_id)
    feedback_rows = sa.select(
        feedback.c.id,
        sa.literal("feedback").label("record"),
        feedback.c.occurred_at,
        feedback.c.channel,
        feedback.c.source.label("title"),
        sa.literal(None, sa.Float).label("value"),
        sa.literal(None, sa.String).label("currency"),
        sa.func.substr(feedback.c.text, 1, 400).label("text"),
        feedback.c.survey_type,
        feedback.c.score,
        feedback.c.sentiment_label,
        feedback.c.journey_stage,
        feedback.c.continues_id,
    ).where(feedback.c.customer_id == customer_id)
    return sa.union_all(event_rows, feedback_rows)


def timeline(conn: sa.Connection, customer_id: str, *, page: int, page_size: int) -> dict[str, Any]:
    """Events and feedback of every channel, newest first, one page at a time."""
    rows = timeline_query(customer_id).subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one()
    entries = (
        conn.execute(
            sa.select(rows)
            .order_by(rows.c.occurred_at.desc(), rows.c.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        .mappings()
        .all()
    )
    return {"items": [dict(e) for e in entries], "total": int(total), "page": page, "page_size": page_size}


def customer_360(
    conn: sa.Connection, customer_id: str, *, now: datetime, timeline_page: int = 1, timeline_page_size: int = 50
) -> dict[str, Any] | None:
    """The whole profile, or None for an unknown id. Results are materialized before the next query:
    DuckDB reuses the cursor."""
    live_id = merges.live_customer_id(conn, customer_id)
    if live_id is None:
        return None
    customer = dict(conn.execute(sa.select(customers).where(customers.c.id == live_id)).mappings().one())
    return {
        "id": live_id,
        "redirected_from": customer_id if live_id != customer_id else None,
        "customer": customer,
        "identities": _identities(conn, live_id),
        "activity": _activity(conn, live_id),
        "value": _value(conn, live_id, now),
        **_voice(conn, live_id),
        "cases": _cases(conn, live_id),
        "merges": merges.merge_history(conn, live_id),
        "timeline": timeline(conn, live_id, page=timeline_page, page_size=timeline_page_size),
    }
