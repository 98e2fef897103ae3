"""governance II: erasure tombstones (data-subject requests); field encryption of feedback.text_raw

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:00:00

`feedback.text_raw` needs no schema change: the pipeline now seals new values with the key ring, and
rows written before this revision (plaintext) are sealed by `cxloop keys reencrypt`, which encrypts
legacy plaintext of every registered column in resumable batches. Readers accept both meanwhile.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_tombstones",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=False),
        sa.Column("erased_by", sa.String(length=200), nullable=False),
        sa.Column("customer_hashes", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_tombstones")),
    )


def downgrade() -> None:
    op.drop_table("erasure_tombstones")
