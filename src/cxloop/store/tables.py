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

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id(name: str = "id", *, primary_key: bool = False, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(26), primary_key=primary_key, nullable=nullable and not primary_key)


def _pg_index(*columns: sa.Column[object]) -> sa.Index:
    return sa.Index(None, *columns).ddl_if(dialect="postgresql")


# -- ingestion ---------------------------------------------------------------------------------

ingest_batches = sa.Table(
    "ingest_batches",
    metadata,
    _id(primary_key=True),
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
    _id(primary_key=True),
    _id("batch_id", nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("processed_at", sa.DateTime),
    _id("record_id"),
    sa.UniqueConstraint("kind", "source", "external_id"),
)
_pg_index(intake_records.c.status, intake_records.c.id)
_pg_index(intake_records.c.batch_id)

# -- customers ---------------------------------------------------------------------------------

customers = sa.Table(
    "customers",
    metadata,
    _id(primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("gender", sa.String(16)),
    sa.Column("city", sa.Text),
    sa.Column("tier", sa.String(32)),
    sa.Column("customer_since", sa.DateTime),  # the source system's created_at
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    _id("batch_id"),
)

# One row per identifier seen for a customer. `link_key` is "kind:namespace:value" for identifiers
# that may link records, and NULL for malformed ones, which are kept as given but never used to link.
customer_identities = sa.Table(
    "customer_identities",
    metadata,
    _id(primary_key=True),
    _id("customer_id", nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("namespace", sa.String(100), nullable=False),  # issuing system for external ids
    sa.Column("value", sa.Text, nullable=False),  # normalized when valid, as given otherwise
    sa.Column("raw_value", sa.Text, nullable=False),
    sa.Column("is_valid", sa.Boolean, nullable=False),
    sa.Column("link_key", sa.Text, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    _id("batch_id"),
)
_pg_index(customer_identities.c.customer_id)

# -- interactions ------------------------------------------------------------------------------

events = sa.Table(
    "events",
    metadata,
    _id(primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    _id("customer_id"),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("occurred_utc_offset_minutes", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Numeric(18, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("journey_stage", sa.String(32)),
    sa.Column("properties", sa.JSON),
    _id("batch_id", nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)
_pg_index(events.c.customer_id, events.c.occurred_at)
_pg_index(events.c.occurred_at)

feedback = sa.Table(
    "feedback",
    metadata,
    _id(primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    _id("customer_id"),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("occurred_utc_offset_minutes", sa.SmallInteger, nullable=False),
    # `text` is what people and analytics see: PII masked. The original is kept only in the protected
    # `text_raw`, and only when masking changed something; governance encrypts it.
    sa.Column("text", sa.Text),
    sa.Column("text_raw", sa.Text),
    sa.Column("language", sa.String(8)),
    sa.Column("rating", sa.SmallInteger),
    sa.Column("survey_type", sa.String(8)),
    sa.Column("score", sa.SmallInteger),
    sa.Column("journey_stage", sa.String(32)),
    sa.Column("product", sa.Text),
    sa.Column("order_id", sa.String(200)),
    # Enrichment, written by the text stages.
    sa.Column("pii_kinds", sa.JSON),  # ["phone", "email", ...] found and masked
    sa.Column("sentiment_label", sa.String(16)),
    sa.Column("sentiment_score", sa.Float),
    sa.Column("topics", sa.JSON),  # [{"topic", "sentiment", "score", "start", "end"}]
    sa.Column("keywords", sa.JSON),  # ["배송", "안 오다", ...]
    sa.Column("flags", sa.JSON),  # ["churn_intent", ...]
    sa.Column("priority", sa.SmallInteger),  # 0-100, used by routing
    sa.Column("content_hash", sa.String(40)),  # of the normalized masked text, for exact duplicates
    _id("duplicate_of"),  # the earlier item this one repeats; nothing is dropped
    _id("batch_id", nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)
_pg_index(feedback.c.customer_id, feedback.c.occurred_at)
_pg_index(feedback.c.content_hash)
_pg_index(feedback.c.occurred_at)

# -- closed loop -------------------------------------------------------------------------------

teams = sa.Table(
    "teams",
    metadata,
    _id(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("description", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
)

cases = sa.Table(
    "cases",
    metadata,
    _id(primary_key=True),
    _id("customer_id"),
    _id("origin_feedback_id"),
    _id("team_id"),
    _id("assignee_user_id"),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # optimistic concurrency: 409 on mismatch
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    _id("batch_id"),
)
_pg_index(cases.c.customer_id)
_pg_index(cases.c.team_id, cases.c.status)

# Append-only: repositories only ever insert here. It is the audit trail of a case and the source of
# the time-based KPIs (first response, resolution, reopen).
case_history = sa.Table(
    "case_history",
    metadata,
    _id(primary_key=True),
    _id("case_id", nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    _id("actor_user_id"),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("changes", sa.JSON, nullable=False),  # {field: [before, after]}
    sa.Column("note", sa.Text),
)
_pg_index(case_history.c.case_id, case_history.c.occurred_at)

# -- people and access -------------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    _id(primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("locale", sa.String(8)),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("last_login_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
)

team_members = sa.Table(
    "team_members",
    metadata,
    _id("team_id", primary_key=True),
    _id("user_id", primary_key=True),
    sa.Column("skills", sa.JSON),  # e.g. {"languages": ["ko", "en"]}
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 hex of the secret
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in listings to recognise a token
    sa.Column("scopes", sa.String(200), nullable=False),  # comma-separated TokenScope values
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("created_by", sa.String(200)),
)

# -- text analytics ----------------------------------------------------------------------------

# One row per topic a feedback item mentions, so trends and KPIs by topic are plain GROUP BYs on
# every backend. `occurred_at` and `channel` are copied from the feedback to keep those queries
# free of joins.
feedback_topics = sa.Table(
    "feedback_topics",
    metadata,
    _id("feedback_id", primary_key=True),
    sa.Column("topic", sa.String(64), primary_key=True),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
)
_pg_index(feedback_topics.c.topic, feedback_topics.c.occurred_at)

feedback_keywords = sa.Table(
    "feedback_keywords",
    metadata,
    _id("feedback_id", primary_key=True),
    sa.Column("keyword", sa.String(200), primary_key=True),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
)
_pg_index(feedback_keywords.c.keyword, feedback_keywords.c.occurred_at)

emerging_issues = sa.Table(
    "emerging_issues",
    metadata,
    _id(primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),  # topic_spike | keyword_spike | new_phrase
    sa.Column("subject", sa.String(200), nullable=False),  # topic id or keyword
    sa.Column("day", sa.Date, nullable=False),  # business-local day of the spike
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
    sa.Column("lift", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("examples", sa.JSON, nullable=False),  # feedback ids
    sa.Column("status", sa.String(16), nullable=False),  # open | acknowledged | closed
    sa.Column("detected_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("kind", "subject", "day"),
)
