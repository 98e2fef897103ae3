"""Governance: the hash-chained audit log, consent history, data-quality results and retention runs."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

# Append-only. Each entry's `hash` covers its own content and the previous entry's hash, so an edited,
# inserted or deleted row breaks the chain (`cxloop audit verify`). `seq` is dense and unique: the
# unique constraint is the last line of defence should two writers ever race past the append lock.
audit_log = sa.Table(
    "audit_log",
    metadata,
    id_column(primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False, unique=True),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target_kind", sa.String(64)),
    sa.Column("target_id", sa.String(200)),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
pg_index(audit_log.c.occurred_at)
pg_index(audit_log.c.target_kind, audit_log.c.target_id)

# One row per consent decision, never updated: the current state of a purpose is its latest row.
consents = sa.Table(
    "consents",
    metadata,
    id_column(primary_key=True),
    id_column("customer_id", nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),  # where the decision was given: web_form, call, ...
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    # Proof of the decision (form reference, call id, IP address): personal data, stored encrypted.
    sa.Column("evidence", sa.Text),
)
pg_index(consents.c.customer_id, consents.c.purpose, consents.c.recorded_at)

quality_checks = sa.Table(
    "quality_checks",
    metadata,
    id_column(primary_key=True),
    sa.Column("check", sa.String(64), nullable=False),  # e.g. batch.rejection_rate, table.freshness_hours
    sa.Column("subject", sa.String(200), nullable=False),  # e.g. feedback, feedback:callcenter
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("threshold", sa.Double, nullable=False),  # the warning threshold; details hold the failing one
    sa.Column("status", sa.String(8), nullable=False),  # ok | warn | fail
    sa.Column("measured_at", sa.DateTime, nullable=False),
    id_column("batch_id"),
    sa.Column("details", sa.JSON),
)
pg_index(quality_checks.c.check, quality_checks.c.subject, quality_checks.c.measured_at)

retention_runs = sa.Table(
    "retention_runs",
    metadata,
    id_column(primary_key=True),
    sa.Column("ran_at", sa.DateTime, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("results", sa.JSON, nullable=False),  # [{kind, days, count, oldest}]
)
