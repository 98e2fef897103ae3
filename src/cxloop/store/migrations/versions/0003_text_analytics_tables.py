"""text analytics tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 14:16:52.253415
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emerging_issues",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("lift", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emerging_issues")),
        sa.UniqueConstraint("kind", "subject", "day", name=op.f("uq_emerging_issues_kind_subject_day")),
    )
    op.create_table(
        "feedback_keywords",
        sa.Column("feedback_id", sa.String(length=26), nullable=False),
        sa.Column("keyword", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", "keyword", name=op.f("pk_feedback_keywords")),
    )
    create_postgres_index(
        op.f("ix_feedback_keywords_keyword_occurred_at"), "feedback_keywords", ["keyword", "occurred_at"], unique=False
    )
    op.create_table(
        "feedback_topics",
        sa.Column("feedback_id", sa.String(length=26), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("sentiment", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", "topic", name=op.f("pk_feedback_topics")),
    )
    create_postgres_index(
        op.f("ix_feedback_topics_topic_occurred_at"), "feedback_topics", ["topic", "occurred_at"], unique=False
    )


def downgrade() -> None:
    drop_postgres_index(op.f("ix_feedback_topics_topic_occurred_at"), table_name="feedback_topics")
    op.drop_table("feedback_topics")
    drop_postgres_index(op.f("ix_feedback_keywords_keyword_occurred_at"), table_name="feedback_keywords")
    op.drop_table("feedback_keywords")
    op.drop_table("emerging_issues")
