"""feedback enrichment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:55:39.267376
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feedback", sa.Column("text_raw", sa.Text(), nullable=True))
    op.add_column("feedback", sa.Column("pii_kinds", sa.JSON(), nullable=True))
    op.add_column("feedback", sa.Column("sentiment_label", sa.String(length=16), nullable=True))
    op.add_column("feedback", sa.Column("sentiment_score", sa.Float(), nullable=True))
    op.add_column("feedback", sa.Column("topics", sa.JSON(), nullable=True))
    op.add_column("feedback", sa.Column("keywords", sa.JSON(), nullable=True))
    op.add_column("feedback", sa.Column("flags", sa.JSON(), nullable=True))
    op.add_column("feedback", sa.Column("priority", sa.SmallInteger(), nullable=True))
    op.add_column("feedback", sa.Column("content_hash", sa.String(length=40), nullable=True))
    op.add_column("feedback", sa.Column("duplicate_of", sa.String(length=26), nullable=True))
    create_postgres_index(op.f("ix_feedback_content_hash"), "feedback", ["content_hash"], unique=False)


def downgrade() -> None:
    drop_postgres_index(op.f("ix_feedback_content_hash"), table_name="feedback")
    op.drop_column("feedback", "duplicate_of")
    op.drop_column("feedback", "content_hash")
    op.drop_column("feedback", "priority")
    op.drop_column("feedback", "flags")
    op.drop_column("feedback", "keywords")
    op.drop_column("feedback", "topics")
    op.drop_column("feedback", "sentiment_score")
    op.drop_column("feedback", "sentiment_label")
    op.drop_column("feedback", "pii_kinds")
    op.drop_column("feedback", "text_raw")
