"""Alerts and notifications: alert rules, fired alerts, the delivery outbox, in-app notifications and
webhook endpoints."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

# Editable alert rules; `channels` says who hears about an alert:
# {"in_app": {"roles": [...], "teams": [...]}, "webhooks": true, "emails": ["ops@example.com"]}.
alert_rules = sa.Table(
    "alert_rules",
    metadata,
    id_column(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("trigger", sa.String(32), nullable=False),  # vip_negative | churn_intent | legal_threat | ...
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

# One row per (rule, subject) that fired: the unique key makes every trigger idempotent, so a scan
# that runs twice, or two workers seeing the same case history row, alert once.
alert_events = sa.Table(
    "alert_events",
    metadata,
    id_column(primary_key=True),
    id_column("rule_id", nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("subject_key", sa.String(200), nullable=False),  # feedback id, case history id, ...
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("rule_id", "subject_key"),
)
pg_index(alert_events.c.created_at)

# The outbox: written in the same transaction as what triggered it, sent later outside any
# transaction by the dispatcher. pending → sent, or failed (will retry at next_attempt_at) → dead.
notification_deliveries = sa.Table(
    "notification_deliveries",
    metadata,
    id_column(primary_key=True),
    id_column("alert_id"),
    sa.Column("kind", sa.String(32), nullable=False),  # webhook | email | customer_followup
    sa.Column("target", sa.String(320), nullable=False),  # webhook id, e-mail address or customer id
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("dedupe_key", sa.String(300), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
pg_index(notification_deliveries.c.status, notification_deliveries.c.next_attempt_at)

notifications = sa.Table(
    "notifications",
    metadata,
    id_column(primary_key=True),
    id_column("user_id", nullable=False),
    id_column("alert_id"),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text),
    sa.Column("link", sa.String(300)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("read_at", sa.DateTime),
    sa.UniqueConstraint("user_id", "alert_id"),
)
pg_index(notifications.c.user_id, notifications.c.created_at)

webhooks = sa.Table(
    "webhooks",
    metadata,
    id_column(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("secret", sa.Text, nullable=False),  # signs the body; never shown again after creation
    sa.Column("kind", sa.String(16), nullable=False),  # generic | slack
    sa.Column("events", sa.JSON, nullable=False),  # triggers to send, ["*"] for all
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
