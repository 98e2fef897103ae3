"""identity resolution

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("merged_into", sa.String(length=26), nullable=True))
    op.add_column("feedback", sa.Column("continues_id", sa.String(length=26), nullable=True))
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("survivor_id", sa.String(length=26), nullable=False),
        sa.Column("merged_id", sa.String(length=26), nullable=False),
        sa.Column("merged_by", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("unmerged_at", sa.DateTime(), nullable=True),
        sa.Column("unmerged_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_merges")),
    )
    create_postgres_index(op.f("ix_customer_merges_survivor_id"), "customer_merges", ["survivor_id"])
    create_postgres_index(op.f("ix_customer_merges_merged_id"), "customer_merges", ["merged_id"])
    op.create_table(
        "match_candidates",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("left_customer_id", sa.String(length=26), nullable=False),
        sa.Column("right_customer_id", sa.String(length=26), nullable=False),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("merge_id", sa.String(length=26), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_candidates")),
        sa.UniqueConstraint(
            "left_customer_id",
            "right_customer_id",
            name=op.f("uq_match_candidates_left_customer_id_right_customer_id"),
        ),
    )
    create_postgres_index(op.f("ix_match_candidates_status_probability"), "match_candidates", ["status", "probability"])


def downgrade() -> None:
    drop_postgres_index(op.f("ix_match_candidates_status_probability"), table_name="match_candidates")
    op.drop_table("match_candidates")
    drop_postgres_index(op.f("ix_customer_merges_merged_id"), table_name="customer_merges")
    drop_postgres_index(op.f("ix_customer_merges_survivor_id"), table_name="customer_merges")
    op.drop_table("customer_merges")
    op.drop_column("feedback", "continues_id")
    op.drop_column("customers", "merged_into")
