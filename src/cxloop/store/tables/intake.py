"""Ingestion: batches and the durable intake queue."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    id_column(primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),  # api | file | demo
    sa.Column("file_name", sa.Text),
    sa.Column("idempotency_key", sa.String(200), unique=True),
    sa.Column("submitted_by", sa.String(200)),  # token or user name
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("record_count", sa.Integer, nullable=False),
    sa.Column("accepted_count", sa.Integer, nullable=False),
    sa.Column("duplicate_count", sa.Integer, nullable=False),
    sa.Column("rejected_count", sa.Integer, nullable=False),
    sa.Column("rejections", sa.JSON, nullable=False),  # [{row, field, reason}], capped
)

# The durable intake queue: a record is committed here before the 2xx answer, and the pipeline
# worker turns it into domain rows afterwards. (kind, source, external_id) makes ingestion idempotent.
intake_records = sa.Table(
    "intake_records",
    metadata,
    id_column(primary_key=True),
    id_column("batch_id", nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("processed_at", sa.DateTime),
    id_column("record_id"),
    sa.UniqueConstraint("kind", "source", "external_id"),
)
pg_index(intake_records.c.status, intake_records.c.id)
pg_index(intake_records.c.batch_id)
