"""Improvement actions: what the company changed because of feedback, and the feedback behind it."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

improvement_actions = sa.Table(
    "improvement_actions",
    metadata,
    id_column(primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("topic", sa.String(64)),  # the taxonomy topic the action should improve
    id_column("emerging_issue_id"),
    id_column("owner_user_id"),
    id_column("team_id"),
    sa.Column("due_date", sa.Date),
    sa.Column("status", sa.String(16), nullable=False),  # planned | in_progress | shipped | verified | not_verified
    sa.Column("shipped_at", sa.DateTime),
    sa.Column("before_days", sa.Integer, nullable=False),  # verification windows either side of shipped_at
    sa.Column("after_days", sa.Integer, nullable=False),
    sa.Column("verdict", sa.JSON),  # the evidence of the last evaluation
    sa.Column("evaluated_at", sa.DateTime),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: 409 on mismatch
)
pg_index(improvement_actions.c.status)

action_feedback = sa.Table(
    "action_feedback",
    metadata,
    id_column("action_id", primary_key=True),
    id_column("feedback_id", primary_key=True),
    sa.Column("linked_at", sa.DateTime, nullable=False),
)
pg_index(action_feedback.c.feedback_id)

# The cases an action was created from, kept so the action page can point back at them.
action_cases = sa.Table(
    "action_cases",
    metadata,
    id_column("action_id", primary_key=True),
    id_column("case_id", primary_key=True),
)
