"""Repository for interaction events and feedback items. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from cxloop.store.customers import customer_keys
from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import events, feedback, feedback_keywords, feedback_labels, feedback_topics


def insert_events(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store events, each with its customer's surrogate key beside the id (journeys group by the key)."""
    keys = customer_keys(conn, (row["customer_id"] for row in rows if row.get("customer_id")))
    keyed = [{**row, "customer_key": keys.get(row.get("customer_id") or "")} for row in rows]
    dialect.bulk_insert(conn, events, keyed)


def insert_feedback(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, feedback, rows)


def insert_feedback_signals(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    """The topic, keyword and classifier-label rows of freshly stored feedback."""
    topic_rows, keyword_rows, label_rows = [], [], []
    for row in rows:
        for mention in row.get("topics") or []:
            topic_rows.append(
                {
                    "feedback_id": row["id"],
                    "topic": mention["topic"],
                    "sentiment": mention["sentiment"],
                    "score": mention["score"],
                    "occurred_at": row["occurred_at"],
                    "channel": row["channel"],
                }
            )
        for keyword in dict.fromkeys(row.get("keywords") or []):  # unique, order kept
            keyword_rows.append(
                {
                    "feedback_id": row["id"],
                    "keyword": keyword[:200],
                    "occurred_at": row["occurred_at"],
                    "channel": row["channel"],
                }
            )
        for prediction in row.get("labels") or []:
            label_rows.append(
                {
                    "feedback_id": row["id"],
                    "model": prediction["model"],
                    "label": str(prediction["label"])[:200],
                    "score": prediction["score"],
                    "occurred_at": row["occurred_at"],
                    "channel": row["channel"],
                }
            )
    dialect.bulk_insert(conn, feedback_topics, topic_rows)
    dialect.bulk_insert(conn, feedback_keywords, keyword_rows)
    dialect.bulk_insert(conn, feedback_labels, label_rows)
