"""routing and cases

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CASE_COLUMNS = (
    ("channel", sa.String(length=32)),
    ("language", sa.String(length=8)),
    ("topic", sa.String(length=64)),
    ("tags", sa.JSON()),
    ("sla_policy", sa.String(length=32)),
    ("assigned_at", sa.DateTime()),
    ("first_response_due_at", sa.DateTime()),
    ("resolution_due_at", sa.DateTime()),
    ("first_response_at", sa.DateTime()),
    ("resolved_at", sa.DateTime()),
    ("closed_at", sa.DateTime()),
    ("first_response_warned_at", sa.DateTime()),
    ("resolution_warned_at", sa.DateTime()),
    ("first_response_breached_at", sa.DateTime()),
    ("resolution_breached_at", sa.DateTime()),
    ("fcr", sa.Boolean()),
    ("rule_id", sa.String(length=26)),
)


def upgrade() -> None:
    for name, type_ in _CASE_COLUMNS:
        op.add_column("cases", sa.Column(name, type_, nullable=True))
    # Nullable with a default: DuckDB cannot add a NOT NULL column to an existing table.
    op.add_column("cases", sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=True))
    op.add_column("cases", sa.Column("recontact_count", sa.Integer(), server_default="0", nullable=True))
    create_postgres_index(
        op.f("ix_cases_assignee_user_id_status"), "cases", ["assignee_user_id", "status"], unique=False
    )
    create_postgres_index(op.f("ix_cases_status_resolution_due_at"), "cases", ["status", "resolution_due_at"])
    op.create_table(
        "case_feedback",
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("feedback_id", sa.String(length=26), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("is_recontact", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "feedback_id", name=op.f("pk_case_feedback")),
    )
    create_postgres_index(op.f("ix_case_feedback_feedback_id"), "case_feedback", ["feedback_id"], unique=False)
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("version", name=op.f("uq_routing_rules_version")),
    )


def downgrade() -> None:
    op.drop_table("routing_rules")
    drop_postgres_index(op.f("ix_case_feedback_feedback_id"), table_name="case_feedback")
    op.drop_table("case_feedback")
    drop_postgres_index(op.f("ix_cases_status_resolution_due_at"), table_name="cases")
    drop_postgres_index(op.f("ix_cases_assignee_user_id_status"), table_name="cases")
    for name in ("recontact_count", "reopen_count", *(n for n, _ in reversed(_CASE_COLUMNS))):
        op.drop_column("cases", name)
