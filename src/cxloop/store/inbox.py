"""Reading feedback for the inbox: filters, search, pages, and one item in full."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store.search import LIKE_ESCAPE, contains_pattern
from cxloop.store.tables import customers, feedback, feedback_labels, feedback_topics, intake_records

PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True, slots=True)
class InboxFilter:
    channel: str | None = None
    language: str | None = None
    survey_type: str | None = None
    source: str | None = None
    customer_id: str | None = None
    search: str | None = None
    topic: str | None = None
    sentiment: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (feedback.c.channel, self.channel),
            (feedback.c.language, self.language),
            (feedback.c.survey_type, self.survey_type),
            (feedback.c.source, self.source),
            (feedback.c.customer_id, self.customer_id),
            (feedback.c.sentiment_label, self.sentiment),
        ):
            if value:
                found.append(column == value)
        if self.search:
            # Bound parameter with LIKE wildcards escaped: user text never becomes SQL or a pattern.
            found.append(feedback.c.text.ilike(contains_pattern(self.search), escape=LIKE_ESCAPE))
        if self.topic:
            mentions = sa.select(feedback_topics.c.feedback_id).where(feedback_topics.c.topic == self.topic)
            found.append(feedback.c.id.in_(mentions))
        if self.occurred_from:
            found.append(feedback.c.occurred_at >= self.occurred_from)
        if self.occurred_to:
            found.append(feedback.c.occurred_at < self.occurred_to)
        return found


def list_feedback(conn: sa.Connection, where: InboxFilter, *, page: int, page_size: int) -> dict[str, Any]:
    """One page of feedback, newest first, with the total that matches."""
    conditions = where.conditions()
    total = conn.execute(sa.select(sa.func.count()).select_from(feedback).where(*conditions)).scalar_one()
    # The page is chosen from feedback alone (a top-N over one table), and only its rows are joined to
    # customers: joining first made DuckDB hash-join a million rows to show fifty.
    page_rows = (
        sa.select(
            feedback.c.id,
            feedback.c.occurred_at,
            feedback.c.channel,
            feedback.c.source,
            feedback.c.language,
            feedback.c.survey_type,
            feedback.c.score,
            feedback.c.rating,
            feedback.c.sentiment_label,
            feedback.c.priority,
            feedback.c.flags,
            feedback.c.duplicate_of,
            sa.func.substr(feedback.c.text, 1, 280).label("excerpt"),
            feedback.c.customer_id,
        )
        .where(*conditions)
        .order_by(feedback.c.occurred_at.desc(), feedback.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery("page_rows")
    )
    query = (
        sa.select(page_rows, customers.c.name.label("customer_name"))
        .select_from(page_rows.outerjoin(customers, customers.c.id == page_rows.c.customer_id))
        .order_by(page_rows.c.occurred_at.desc(), page_rows.c.id.desc())
    )
    items = [dict(r) for r in conn.execute(query).mappings()]
    return {"items": items, "total": int(total), "page": page, "page_size": page_size}


def get_feedback(conn: sa.Connection, feedback_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(feedback).where(feedback.c.id == feedback_id)).mappings().first()
    if row is None:
        return None
    item = dict(row)
    item["customer"] = None
    if item["customer_id"]:
        customer = (
            conn.execute(
                sa.select(customers.c.id, customers.c.name, customers.c.tier).where(
                    customers.c.id == item["customer_id"]
                )
            )
            .mappings()
            .first()
        )
        item["customer"] = dict(customer) if customer else None
    intake = (
        conn.execute(
            sa.select(intake_records.c.status, intake_records.c.received_at, intake_records.c.processed_at).where(
                intake_records.c.record_id == feedback_id
            )
        )
        .mappings()
        .first()
    )
    item["intake"] = dict(intake) if intake else None
    labels = sa.select(feedback_labels.c.model, feedback_labels.c.label, feedback_labels.c.score)
    labels = labels.where(feedback_labels.c.feedback_id == feedback_id).order_by(feedback_labels.c.model)
    item["labels"] = [dict(r) for r in conn.execute(labels).mappings()]  # from CXLOOP_CLASSIFIERS
    return item


def facet_values(conn: sa.Connection) -> dict[str, list[str]]:
    """Distinct sources and languages present, for the inbox filter menus."""
    return {
        name: [
            str(v) for (v,) in conn.execute(sa.select(column).distinct().where(column.is_not(None)).order_by(column))
        ]
        for name, column in (("source", feedback.c.source), ("language", feedback.c.language))
    }
