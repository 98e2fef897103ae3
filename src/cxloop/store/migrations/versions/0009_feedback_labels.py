"""feedback labels: what each user-trained classifier run in the pipeline predicted

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEX = "ix_feedback_labels_model_label_occurred_at"


def upgrade() -> None:
    op.create_table(
        "feedback_labels",
        sa.Column("feedback_id", sa.String(length=26), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("feedback_id", "model", name=op.f("pk_feedback_labels")),
    )
    create_postgres_index(op.f(_INDEX), "feedback_labels", ["model", "label", "occurred_at"], unique=False)


def downgrade() -> None:
    drop_postgres_index(op.f(_INDEX), table_name="feedback_labels")
    op.drop_table("feedback_labels")
