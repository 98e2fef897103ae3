"""Data-subject requests: the tombstone an erasure leaves behind (no personal data in it)."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata

# One row per erasure. `customer_hashes` are blind indexes (HMAC) of the erased customer ids, so a
# steward can later answer "was customer X erased?" without the tombstone naming anyone; `counts`
# says how many rows each table lost or had anonymized.
erasure_tombstones = sa.Table(
    "erasure_tombstones",
    metadata,
    id_column(primary_key=True),
    sa.Column("erased_at", sa.DateTime, nullable=False),
    sa.Column("erased_by", sa.String(200), nullable=False),
    sa.Column("customer_hashes", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
)
