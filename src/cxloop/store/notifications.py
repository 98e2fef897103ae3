"""Repository for alert rules, fired alerts, the delivery outbox, in-app notifications and webhooks.
Functions take a connection and never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import (
    alert_events,
    alert_rules,
    notification_deliveries,
    notifications,
    team_members,
    teams,
    users,
    webhooks,
)

DELIVERY_STATUSES = ("pending", "sent", "failed", "dead")

# -- rules ---------------------------------------------------------------------------------------


def list_rules(conn: sa.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(alert_rules).order_by(alert_rules.c.name)).mappings()]


def insert_rules(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(alert_rules.insert(), [dict(r) for r in rows])


def delete_rules(conn: sa.Connection, ids: Sequence[str]) -> None:
    if ids:
        conn.execute(alert_rules.delete().where(alert_rules.c.id.in_(list(ids))))


def update_rule(conn: sa.Connection, rule_id: str, version: int, **values: Any) -> bool:
    """Update when the stored version matches; False means the rule changed (or does not exist)."""
    result = conn.execute(
        alert_rules.update()
        .where(alert_rules.c.id == rule_id, alert_rules.c.version == version)
        .values(**values, version=version + 1)
        .returning(alert_rules.c.id)  # RETURNING because DuckDB reports no rowcount for UPDATE
    )
    return result.first() is not None


# -- alerts and recipients --------------------------------------------------------------------------


def insert_alert_events(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert alerts whose (rule, subject) has not fired yet; returns the ids actually inserted."""
    inserted = dialect.bulk_insert(
        conn, alert_events, rows, skip_conflicts_on=("rule_id", "subject_key"), returning=("id",)
    )
    return {str(r[0]) for r in inserted}


def fired_subjects(conn: sa.Connection, rule_id: str, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    query = sa.select(alert_events.c.subject_key).where(
        alert_events.c.rule_id == rule_id, alert_events.c.subject_key.in_(list(keys))
    )
    return {str(k) for k in conn.execute(query).scalars()}


def list_alerts(conn: sa.Connection, limit: int = 50) -> list[dict[str, Any]]:
    query = sa.select(alert_events).order_by(alert_events.c.created_at.desc(), alert_events.c.id.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


def recipient_user_ids(conn: sa.Connection, roles: Sequence[str], team_refs: Sequence[str]) -> list[str]:
    """Active users with one of `roles`, or members of a team given by id or name."""
    found: set[str] = set()
    if roles:
        query = sa.select(users.c.id).where(users.c.role.in_(list(roles)), users.c.is_active.is_(True))
        found |= {str(u) for u in conn.execute(query).scalars()}
    if team_refs:
        query = (
            sa.select(team_members.c.user_id)
            .join(teams, teams.c.id == team_members.c.team_id)
            .join(users, users.c.id == team_members.c.user_id)
            .where(
                sa.or_(teams.c.id.in_(list(team_refs)), teams.c.name.in_(list(team_refs))), users.c.is_active.is_(True)
            )
        )
        found |= {str(u) for u in conn.execute(query).scalars()}
    return sorted(found)


# -- in-app notifications ---------------------------------------------------------------------------


def insert_notifications(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, notifications, rows, skip_conflicts_on=("user_id", "alert_id"))


def list_notifications(
    conn: sa.Connection, user_id: str, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    query = sa.select(notifications).where(notifications.c.user_id == user_id)
    if unread_only:
        query = query.where(notifications.c.read_at.is_(None))
    query = query.order_by(notifications.c.created_at.desc(), notifications.c.id.desc()).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(query).mappings()]


def unread_count(conn: sa.Connection, user_id: str) -> int:
    query = sa.select(sa.func.count()).where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    return int(conn.execute(query).scalar_one())


def mark_read(conn: sa.Connection, user_id: str, ids: Sequence[str] | None, at: datetime) -> int:
    """Mark the user's own notifications read (all unread ones when `ids` is None)."""
    condition = sa.and_(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    if ids is not None:
        condition = sa.and_(condition, notifications.c.id.in_(list(ids)))
    query = notifications.update().where(condition).values(read_at=at).returning(notifications.c.id)
    return len(conn.execute(query).all())


# -- webhooks --------------------------------------------------------------------------------------


def insert_webhook(conn: sa.Connection, **values: Any) -> None:
    conn.execute(webhooks.insert().values(**values))


def list_webhooks(conn: sa.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(webhooks).order_by(webhooks.c.created_at)).mappings()]


def find_webhook(conn: sa.Connection, webhook_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()
    return dict(row) if row else None


def update_webhook(conn: sa.Connection, webhook_id: str, **values: Any) -> None:
    conn.execute(webhooks.update().where(webhooks.c.id == webhook_id).values(**values))


def delete_webhook(conn: sa.Connection, webhook_id: str) -> int:
    return len(conn.execute(webhooks.delete().where(webhooks.c.id == webhook_id).returning(webhooks.c.id)).all())


# -- the outbox ------------------------------------------------------------------------------------


def insert_deliveries(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> int:
    inserted = dialect.bulk_insert(
        conn, notification_deliveries, rows, skip_conflicts_on=("dedupe_key",), returning=("id",)
    )
    return len(inserted)


def claim_due(
    conn: sa.Connection, dialect: StoreDialect, now: datetime, limit: int, lease: timedelta
) -> list[dict[str, Any]]:
    """Take up to `limit` deliveries that are due, count the attempt, and push their next attempt past
    the lease so no other dispatcher takes them while this one sends (PostgreSQL also skips rows
    another transaction is claiming)."""
    query = (
        sa.select(notification_deliveries)
        .where(
            notification_deliveries.c.status.in_(("pending", "failed")),
            notification_deliveries.c.next_attempt_at <= now,
        )
        .order_by(notification_deliveries.c.next_attempt_at, notification_deliveries.c.id)
        .limit(limit)
    )
    if dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    if rows:
        conn.execute(
            notification_deliveries.update()
            .where(notification_deliveries.c.id.in_([r["id"] for r in rows]))
            .values(
                attempts=notification_deliveries.c.attempts + 1,
                next_attempt_at=now + lease,
                updated_at=now,
            )
        )
        for row in rows:
            row["attempts"] += 1
    return rows


def record_outcome(conn: sa.Connection, delivery_id: str, **values: Any) -> None:
    conn.execute(notification_deliveries.update().where(notification_deliveries.c.id == delivery_id).values(**values))


def list_deliveries(
    conn: sa.Connection, *, status: str | None = None, kind: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    query = sa.select(notification_deliveries)
    if status:
        query = query.where(notification_deliveries.c.status == status)
    if kind:
        query = query.where(notification_deliveries.c.kind == kind)
    query = query.order_by(notification_deliveries.c.updated_at.desc(), notification_deliveries.c.id.desc())
    return [dict(r) for r in conn.execute(query.limit(limit)).mappings()]


def find_delivery(conn: sa.Connection, delivery_id: str) -> dict[str, Any] | None:
    query = sa.select(notification_deliveries).where(notification_deliveries.c.id == delivery_id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def delivery_counts(conn: sa.Connection) -> dict[str, int]:
    query = sa.select(notification_deliveries.c.status, sa.func.count()).group_by(notification_deliveries.c.status)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update({str(s): int(n) for s, n in conn.execute(query)})
    return counts
