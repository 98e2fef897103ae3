"""The closed loop: teams, cases, their append-only history, linked feedback and routing rules."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

teams = sa.Table(
    "teams",
    metadata,
    id_column(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
)

# Priorities are urgent | high | normal | low; statuses and transitions live in cxloop.route.lifecycle.
cases = sa.Table(
    "cases",
    metadata,
    id_column(primary_key=True),
    id_column("customer_id"),
    id_column("origin_feedback_id"),
    id_column("team_id"),
    id_column("assignee_user_id"),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: 409 on mismatch
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    id_column("batch_id"),
    # Added by migration 0005: routing, SLA and closed-loop measures.
    sa.Column("channel", sa.String(32)),
    sa.Column("language", sa.String(8)),
    sa.Column("topic", sa.String(64)),
    sa.Column("tags", sa.JSON),
    sa.Column("sla_policy", sa.String(32)),
    sa.Column("assigned_at", sa.DateTime),
    sa.Column("first_response_due_at", sa.DateTime),
    sa.Column("resolution_due_at", sa.DateTime),
    sa.Column("first_response_at", sa.DateTime),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("closed_at", sa.DateTime),
    # A warning is recorded once per target, like a breach; these say that it has been.
    sa.Column("first_response_warned_at", sa.DateTime),
    sa.Column("resolution_warned_at", sa.DateTime),
    sa.Column("first_response_breached_at", sa.DateTime),
    sa.Column("resolution_breached_at", sa.DateTime),
    sa.Column("reopen_count", sa.Integer, server_default="0"),
    sa.Column("recontact_count", sa.Integer, server_default="0"),
    sa.Column("fcr", sa.Boolean),  # NULL until resolved: true when resolved with no recontact, no reopen
    id_column("rule_id"),
)
pg_index(cases.c.customer_id)
pg_index(cases.c.team_id, cases.c.status)
pg_index(cases.c.assignee_user_id, cases.c.status)
pg_index(cases.c.status, cases.c.resolution_due_at)

# Append-only: repositories only ever insert here. It is the audit trail of a case and the source of
# the time-based KPIs (first response, resolution, reopen).
case_history = sa.Table(
    "case_history",
    metadata,
    id_column(primary_key=True),
    id_column("case_id", nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    id_column("actor_user_id"),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("changes", sa.JSON, nullable=False),  # {field: [before, after]}
    sa.Column("note", sa.Text),
)
pg_index(case_history.c.case_id, case_history.c.occurred_at)

# Which feedback items a case covers: the one that opened it and every recontact that joined it.
case_feedback = sa.Table(
    "case_feedback",
    metadata,
    id_column("case_id", primary_key=True),
    id_column("feedback_id", primary_key=True),
    sa.Column("joined_at", sa.DateTime, nullable=False),
    sa.Column("is_recontact", sa.Boolean, nullable=False),
)
pg_index(case_feedback.c.feedback_id)

# Every saved version of the routing rules is kept; the highest version is the one in force.
routing_rules = sa.Table(
    "routing_rules",
    metadata,
    id_column(primary_key=True),
    sa.Column("version", sa.Integer, nullable=False, unique=True),
    sa.Column("document", sa.JSON, nullable=False),  # the validated rule set, as a dict
    sa.Column("source_text", sa.Text, nullable=False),  # the YAML as it was saved
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(200)),
)
