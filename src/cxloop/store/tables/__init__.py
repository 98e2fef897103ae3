"""The schema, defined once. Every other module refers to these Table objects.

Conventions, for both DuckDB and PostgreSQL:
- Ids are 26-character ULID strings made in Python (`cxloop.domain.new_id`).
- Timestamps are naive UTC (`TIMESTAMP`); the sender's original offset is kept beside them in
  `*_utc_offset_minutes`, so local-time views can be rebuilt exactly.
- Every ingested row records its `source` system and its ingestion `batch_id`.
- No database-level foreign keys: DuckDB rejects updates to rows that a foreign key references, which
  would make merges and status changes impossible. Repositories keep references consistent.
- Secondary indexes exist only on PostgreSQL; DuckDB scans columnar segments with zone maps, and ART
  indexes would only slow its bulk loads.
"""

from __future__ import annotations

from cxloop.store.tables._base import metadata
from cxloop.store.tables.access import api_tokens, team_members, users
from cxloop.store.tables.actions import action_cases, action_feedback, improvement_actions
from cxloop.store.tables.customers import customer_identities, customers
from cxloop.store.tables.dsr import erasure_tombstones
from cxloop.store.tables.governance import audit_log, consents, quality_checks, retention_runs
from cxloop.store.tables.identity import customer_merges, match_candidates
from cxloop.store.tables.intake import ingest_batches, intake_records
from cxloop.store.tables.interactions import events, feedback
from cxloop.store.tables.loop import case_feedback, case_history, cases, routing_rules, teams
from cxloop.store.tables.notify import (
    alert_events,
    alert_rules,
    notification_deliveries,
    notifications,
    webhooks,
)
from cxloop.store.tables.text import emerging_issues, feedback_keywords, feedback_labels, feedback_topics

__all__ = [
    "action_cases",
    "action_feedback",
    "alert_events",
    "alert_rules",
    "api_tokens",
    "audit_log",
    "case_feedback",
    "case_history",
    "cases",
    "consents",
    "customer_identities",
    "customer_merges",
    "customers",
    "emerging_issues",
    "erasure_tombstones",
    "events",
    "feedback",
    "feedback_keywords",
    "feedback_labels",
    "feedback_topics",
    "improvement_actions",
    "ingest_batches",
    "intake_records",
    "match_candidates",
    "metadata",
    "notification_deliveries",
    "notifications",
    "quality_checks",
    "retention_runs",
    "routing_rules",
    "team_members",
    "teams",
    "users",
    "webhooks",
]
