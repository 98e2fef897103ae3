"""The closed loop: teams, cases and their append-only history."""

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
)
pg_index(cases.c.customer_id)
pg_index(cases.c.team_id, cases.c.status)

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
