"""Seeded feedback for verification tests: a topic's mentions per day with an exact negative share,
and survey answers from the customers who mentioned it. Rows go straight into the real store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cxloop.domain import new_id
from cxloop.store.engine import Store
from cxloop.store.tables import feedback, feedback_topics


def seed_topic(
    store: Store,
    topic: str,
    *,
    start: datetime,
    days: int,
    per_day: int,
    negative_per_day: int,
    customers: list[str],
    survey: tuple[str, int] | None = None,
) -> list[str]:
    """`per_day` mentions a day for `days` days from `start`, `negative_per_day` of them negative; with
    `survey`, each mention's customer also answers that survey with that score the same day."""
    feedback_rows: list[dict[str, Any]] = []
    topic_rows: list[dict[str, Any]] = []
    batch = new_id()
    for day in range(days):
        for i in range(per_day):
            moment = start + timedelta(days=day, hours=1 + i % 20, minutes=i)
            customer = customers[(day * per_day + i) % len(customers)]
            fid = new_id()
            sentiment = "negative" if i < negative_per_day else "neutral"
            feedback_rows.append(_feedback(fid, moment, customer, batch, sentiment=sentiment, text=f"{topic} {i}"))
            topic_rows.append(
                {"feedback_id": fid, "topic": topic, "sentiment": sentiment, "score": 0.5, "occurred_at": moment,
                 "channel": "chat"}
            )  # fmt: skip
            if survey:
                feedback_rows.append(
                    _feedback(new_id(), moment + timedelta(minutes=5), customer, batch, survey_type=survey[0],
                              score=survey[1], channel="survey")
                )  # fmt: skip
    with store.write() as conn:
        store.dialect.bulk_insert(conn, feedback, feedback_rows)
        store.dialect.bulk_insert(conn, feedback_topics, topic_rows)
    return [r["feedback_id"] for r in topic_rows]


def _feedback(fid: str, moment: datetime, customer: str, batch: str, **values: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "source": "seed",
        "external_id": fid,
        "customer_id": customer,
        "channel": values.pop("channel", "chat"),
        "occurred_at": moment,
        "occurred_utc_offset_minutes": 540,
        "sentiment_label": values.pop("sentiment", None),
        "batch_id": batch,
        "ingested_at": moment,
        **values,
    }
