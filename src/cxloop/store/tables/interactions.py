"""Events and feedback: what customers did and said."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

events = sa.Table(
    "events",
    metadata,
    id_column(primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    id_column("customer_id"),
    # customers.customer_key of `customer_id`, kept in step by intake and by merges: journeys group by it.
    sa.Column("customer_key", sa.BigInteger),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("occurred_utc_offset_minutes", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Numeric(18, 2)),
    sa.Column("currency", sa.String(3)),
    sa.Column("journey_stage", sa.String(32)),
    sa.Column("properties", sa.JSON),
    id_column("batch_id", nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)
pg_index(events.c.customer_id, events.c.occurred_at)
pg_index(events.c.occurred_at)

feedback = sa.Table(
    "feedback",
    metadata,
    id_column(primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    id_column("customer_id"),
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
    id_column("duplicate_of"),  # the earlier item this one repeats; nothing is dropped
    id_column("continues_id"),  # the same customer's earlier contact on the same matter, any channel
    id_column("batch_id", nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)
pg_index(feedback.c.customer_id, feedback.c.occurred_at)
pg_index(feedback.c.content_hash)
pg_index(feedback.c.occurred_at)
