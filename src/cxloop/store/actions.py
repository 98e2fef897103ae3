"""Repository for improvement actions and the feedback and cases linked to them. Functions take a
connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import (
    action_cases,
    action_feedback,
    case_feedback,
    cases,
    feedback,
    feedback_topics,
    improvement_actions,
)

_CHUNK = 5000


def insert_action(conn: sa.Connection, **values: Any) -> None:
    conn.execute(improvement_actions.insert().values(**values))


def find_action(conn: sa.Connection, action_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(improvement_actions).where(improvement_actions.c.id == action_id)).mappings().first()
    return dict(row) if row else None


def list_actions(conn: sa.Connection, *, status: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Actions with how much feedback each has linked, newest first."""
    linked = (
        sa.select(action_feedback.c.action_id, sa.func.count().label("linked"))
        .group_by(action_feedback.c.action_id)
        .subquery()
    )
    query = sa.select(improvement_actions, sa.func.coalesce(linked.c.linked, 0).label("linked_feedback")).outerjoin(
        linked, linked.c.action_id == improvement_actions.c.id
    )
    if status:
        query = query.where(improvement_actions.c.status == status)
    query = query.order_by(improvement_actions.c.created_at.desc(), improvement_actions.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def update_action(conn: sa.Connection, action_id: str, version: int, **values: Any) -> bool:
    """Update when the stored version matches; False means someone changed it meanwhile."""
    result = conn.execute(
        improvement_actions.update()
        .where(improvement_actions.c.id == action_id, improvement_actions.c.version == version)
        .values(**values, version=version + 1)
        .returning(improvement_actions.c.id)  # RETURNING because DuckDB reports no rowcount for UPDATE
    )
    return result.first() is not None


def existing_feedback(conn: sa.Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        query = sa.select(feedback.c.id).where(feedback.c.id.in_(unique[start : start + _CHUNK]))
        found |= {str(i) for i in conn.execute(query).scalars()}
    return found


def topic_feedback_ids(conn: sa.Connection, topic: str, since: datetime, until: datetime) -> list[str]:
    query = sa.select(feedback_topics.c.feedback_id).where(
        feedback_topics.c.topic == topic,
        feedback_topics.c.occurred_at >= since,
        feedback_topics.c.occurred_at < until,
    )
    return [str(i) for i in conn.execute(query).scalars()]


def link_feedback(
    conn: sa.Connection, dialect: StoreDialect, action_id: str, feedback_ids: Sequence[str], now: datetime
) -> int:
    """Link feedback to the action; already linked items are left as they are. Returns new links."""
    rows = [{"action_id": action_id, "feedback_id": fid, "linked_at": now} for fid in dict.fromkeys(feedback_ids)]
    inserted = dialect.bulk_insert(
        conn, action_feedback, rows, skip_conflicts_on=("action_id", "feedback_id"), returning=("feedback_id",)
    )
    return len(inserted)


def linked_feedback(conn: sa.Connection, action_id: str, *, limit: int = 50) -> list[dict[str, Any]]:
    query = (
        sa.select(
            feedback.c.id,
            feedback.c.customer_id,
            feedback.c.channel,
            feedback.c.occurred_at,
            feedback.c.text,
            feedback.c.sentiment_label,
            action_feedback.c.linked_at,
        )
        .join(action_feedback, action_feedback.c.feedback_id == feedback.c.id)
        .where(action_feedback.c.action_id == action_id)
        .order_by(feedback.c.occurred_at.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def linked_summary(conn: sa.Connection, action_id: str) -> dict[str, Any]:
    """How many items and customers are linked, and when the earliest one was heard."""
    row = conn.execute(
        sa.select(
            sa.func.count().label("items"),
            sa.func.count(sa.distinct(feedback.c.customer_id)).label("customers"),
            sa.func.min(feedback.c.occurred_at).label("first_heard_at"),
        )
        .join(action_feedback, action_feedback.c.feedback_id == feedback.c.id)
        .where(action_feedback.c.action_id == action_id)
    ).one()
    return {"items": int(row.items), "customers": int(row.customers), "first_heard_at": row.first_heard_at}


def linked_customer_ids(conn: sa.Connection, action_id: str) -> list[str]:
    query = (
        sa.select(feedback.c.customer_id)
        .join(action_feedback, action_feedback.c.feedback_id == feedback.c.id)
        .where(action_feedback.c.action_id == action_id, feedback.c.customer_id.is_not(None))
        .distinct()
    )
    return sorted(str(c) for c in conn.execute(query).scalars())


def dominant_topic(conn: sa.Connection, feedback_ids: Sequence[str]) -> str | None:
    """The topic most of these items mention, to measure an action created from cases."""
    if not feedback_ids:
        return None
    query = (
        sa.select(feedback_topics.c.topic, sa.func.count().label("n"))
        .where(feedback_topics.c.feedback_id.in_(list(feedback_ids)[:_CHUNK]))
        .group_by(feedback_topics.c.topic)
        .order_by(sa.desc("n"), feedback_topics.c.topic)
        .limit(1)
    )
    row = conn.execute(query).first()
    return str(row[0]) if row else None


def case_feedback_ids(conn: sa.Connection, case_ids: Sequence[str]) -> tuple[set[str], list[str]]:
    """(cases that exist, the feedback of those cases: the one that opened each and any that joined)."""
    rows = conn.execute(sa.select(cases.c.id, cases.c.origin_feedback_id).where(cases.c.id.in_(list(case_ids)))).all()
    found = {str(r.id) for r in rows}
    ids = [str(r.origin_feedback_id) for r in rows if r.origin_feedback_id]
    if found:
        joined = sa.select(case_feedback.c.feedback_id).where(case_feedback.c.case_id.in_(sorted(found)))
        ids += [str(f) for f in conn.execute(joined).scalars()]
    return found, list(dict.fromkeys(ids))


def link_cases(conn: sa.Connection, dialect: StoreDialect, action_id: str, case_ids: Sequence[str]) -> None:
    rows = [{"action_id": action_id, "case_id": c} for c in dict.fromkeys(case_ids)]
    dialect.bulk_insert(conn, action_cases, rows, skip_conflicts_on=("action_id", "case_id"))


def action_case_ids(conn: sa.Connection, action_id: str) -> list[str]:
    query = sa.select(action_cases.c.case_id).where(action_cases.c.action_id == action_id)
    return sorted(str(c) for c in conn.execute(query).scalars())


def actions_to_review(conn: sa.Connection) -> list[dict[str, Any]]:
    """Shipped actions whose after window has not been judged final yet."""
    query = sa.select(improvement_actions).where(improvement_actions.c.status == "shipped")
    rows = [dict(r) for r in conn.execute(query).mappings()]
    return [r for r in rows if not (r["verdict"] or {}).get("final")]
