"""Text analytics: per-topic and per-keyword rows, and emerging issues."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

# One row per topic a feedback item mentions, so trends and KPIs by topic are plain GROUP BYs on
# every backend. `occurred_at` and `channel` are copied from the feedback to keep those queries
# free of joins.
feedback_topics = sa.Table(
    "feedback_topics",
    metadata,
    id_column("feedback_id", primary_key=True),
    sa.Column("topic", sa.String(64), primary_key=True),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
)
pg_index(feedback_topics.c.topic, feedback_topics.c.occurred_at)

feedback_keywords = sa.Table(
    "feedback_keywords",
    metadata,
    id_column("feedback_id", primary_key=True),
    sa.Column("keyword", sa.String(200), primary_key=True),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
)
pg_index(feedback_keywords.c.keyword, feedback_keywords.c.occurred_at)

# One row per feedback item and user-trained classifier run as the `enrich.classify` pipeline stage
# (CXLOOP_CLASSIFIERS): the label it predicted from the masked text and its calibrated probability.
feedback_labels = sa.Table(
    "feedback_labels",
    metadata,
    id_column("feedback_id", primary_key=True),
    sa.Column("model", sa.String(64), primary_key=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("occurred_at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
)
pg_index(feedback_labels.c.model, feedback_labels.c.label, feedback_labels.c.occurred_at)

emerging_issues = sa.Table(
    "emerging_issues",
    metadata,
    id_column(primary_key=True),
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
