"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:31:52.586907
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "case_history",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("case_id", sa.String(length=26), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_user_id", sa.String(length=26), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_history")),
    )
    create_postgres_index(
        op.f("ix_case_history_case_id_occurred_at"), "case_history", ["case_id", "occurred_at"], unique=False
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=True),
        sa.Column("origin_feedback_id", sa.String(length=26), nullable=True),
        sa.Column("team_id", sa.String(length=26), nullable=True),
        sa.Column("assignee_user_id", sa.String(length=26), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.String(length=26), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    create_postgres_index(op.f("ix_cases_customer_id"), "cases", ["customer_id"], unique=False)
    create_postgres_index(op.f("ix_cases_team_id_status"), "cases", ["team_id", "status"], unique=False)
    op.create_table(
        "customer_identities",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("raw_value", sa.Text(), nullable=False),
        sa.Column("is_valid", sa.Boolean(), nullable=False),
        sa.Column("link_key", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.String(length=26), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_identities")),
        sa.UniqueConstraint("link_key", name=op.f("uq_customer_identities_link_key")),
    )
    create_postgres_index(
        op.f("ix_customer_identities_customer_id"), "customer_identities", ["customer_id"], unique=False
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("customer_since", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.String(length=26), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_utc_offset_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("journey_stage", sa.String(length=32), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("batch_id", sa.String(length=26), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    create_postgres_index(
        op.f("ix_events_customer_id_occurred_at"), "events", ["customer_id", "occurred_at"], unique=False
    )
    create_postgres_index(op.f("ix_events_occurred_at"), "events", ["occurred_at"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=26), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("occurred_utc_offset_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("survey_type", sa.String(length=8), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.Column("journey_stage", sa.String(length=32), nullable=True),
        sa.Column("product", sa.Text(), nullable=True),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.String(length=26), nullable=False),
        sa.Column("ingested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    create_postgres_index(
        op.f("ix_feedback_customer_id_occurred_at"), "feedback", ["customer_id", "occurred_at"], unique=False
    )
    create_postgres_index(op.f("ix_feedback_occurred_at"), "feedback", ["occurred_at"], unique=False)
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batches")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ingest_batches_idempotency_key")),
    )
    op.create_table(
        "intake_records",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("batch_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("record_id", sa.String(length=26), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_records")),
        sa.UniqueConstraint("kind", "source", "external_id", name=op.f("uq_intake_records_kind_source_external_id")),
    )
    create_postgres_index(op.f("ix_intake_records_batch_id"), "intake_records", ["batch_id"], unique=False)
    create_postgres_index(op.f("ix_intake_records_status_id"), "intake_records", ["status", "id"], unique=False)
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.String(length=26), nullable=False),
        sa.Column("user_id", sa.String(length=26), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("teams")
    op.drop_table("team_members")
    drop_postgres_index(op.f("ix_intake_records_status_id"), table_name="intake_records")
    drop_postgres_index(op.f("ix_intake_records_batch_id"), table_name="intake_records")
    op.drop_table("intake_records")
    op.drop_table("ingest_batches")
    drop_postgres_index(op.f("ix_feedback_occurred_at"), table_name="feedback")
    drop_postgres_index(op.f("ix_feedback_customer_id_occurred_at"), table_name="feedback")
    op.drop_table("feedback")
    drop_postgres_index(op.f("ix_events_occurred_at"), table_name="events")
    drop_postgres_index(op.f("ix_events_customer_id_occurred_at"), table_name="events")
    op.drop_table("events")
    op.drop_table("customers")
    drop_postgres_index(op.f("ix_customer_identities_customer_id"), table_name="customer_identities")
    op.drop_table("customer_identities")
    drop_postgres_index(op.f("ix_cases_team_id_status"), table_name="cases")
    drop_postgres_index(op.f("ix_cases_customer_id"), table_name="cases")
    op.drop_table("cases")
    drop_postgres_index(op.f("ix_case_history_case_id_occurred_at"), table_name="case_history")
    op.drop_table("case_history")
    op.drop_table("api_tokens")
