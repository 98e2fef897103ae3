"""governance: audit log, consents, data-quality checks, retention runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=64), nullable=True),
        sa.Column("target_id", sa.String(length=200), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    create_postgres_index(op.f("ix_audit_log_occurred_at"), "audit_log", ["occurred_at"])
    create_postgres_index(op.f("ix_audit_log_target_kind_target_id"), "audit_log", ["target_kind", "target_id"])
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    create_postgres_index(
        op.f("ix_consents_customer_id_purpose_recorded_at"), "consents", ["customer_id", "purpose", "recorded_at"]
    )
    op.create_table(
        "quality_checks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("measured_at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.String(length=26), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_checks")),
    )
    create_postgres_index(
        op.f("ix_quality_checks_check_subject_measured_at"), "quality_checks", ["check", "subject", "measured_at"]
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )


def downgrade() -> None:
    op.drop_table("retention_runs")
    drop_postgres_index(op.f("ix_quality_checks_check_subject_measured_at"), table_name="quality_checks")
    op.drop_table("quality_checks")
    drop_postgres_index(op.f("ix_consents_customer_id_purpose_recorded_at"), table_name="consents")
    op.drop_table("consents")
    drop_postgres_index(op.f("ix_audit_log_target_kind_target_id"), table_name="audit_log")
    drop_postgres_index(op.f("ix_audit_log_occurred_at"), table_name="audit_log")
    op.drop_table("audit_log")
