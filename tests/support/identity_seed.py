"""Customers with identifiers, events, feedback and cases, written straight to a store for identity tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.store.customers import customer_keys, reserve_customer_keys
from cxloop.store.engine import Store
from cxloop.store.tables import cases, customer_identities, customers, events, feedback, feedback_topics

T0 = datetime(2026, 5, 1, 9, 0)
STATE_TABLES = (customers, customer_identities, events, feedback, cases)


def add_customer(
    conn: sa.Connection,
    *,
    name: str | None,
    email: str | None = None,
    phone: str | None = None,
    external_id: str | None = None,
    created_at: datetime = T0,
    **attributes: Any,
) -> str:
    """One customer with its identifiers (already normalized, as the identify stage stores them)."""
    customer_id = new_id()
    conn.execute(
        customers.insert().values(
            id=customer_id,
            name=name,
            created_at=created_at,
            updated_at=created_at,
            source="crm",
            customer_key=reserve_customer_keys(conn, 1)[0],
            **attributes,
        )
    )
    for kind, namespace, value in (("email", "", email), ("phone", "", phone), ("external_id", "crm", external_id)):
        if value:
            conn.execute(
                customer_identities.insert().values(
                    id=new_id(), customer_id=customer_id, kind=kind, namespace=namespace, value=value,
                    raw_value=value, is_valid=True, link_key=f"{kind}:{namespace}:{value}", created_at=created_at,
                    source="crm",
                )
            )  # fmt: skip
    return customer_id


def add_event(
    conn: sa.Connection, customer_id: str, type_: str, at: datetime, *, value: float | None = None, channel: str = "web"
) -> str:
    event_id = new_id()
    conn.execute(
        events.insert().values(
            id=event_id, source="shop", external_id=event_id, customer_id=customer_id,
            customer_key=customer_keys(conn, [customer_id])[customer_id], type=type_, channel=channel,
            occurred_at=at, occurred_utc_offset_minutes=540, value=value, currency="KRW" if value else None,
            batch_id=new_id(), ingested_at=at,
        )
    )  # fmt: skip
    return event_id


def add_feedback(
    conn: sa.Connection,
    customer_id: str | None,
    text: str,
    at: datetime,
    *,
    channel: str = "chat",
    topics: list[str] | None = None,
    survey: tuple[str, int] | None = None,
    sentiment: float | None = None,
) -> str:
    feedback_id = new_id()
    conn.execute(
        feedback.insert().values(
            id=feedback_id, source=channel, external_id=feedback_id, customer_id=customer_id, channel=channel,
            occurred_at=at, occurred_utc_offset_minutes=540, text=text,
            survey_type=survey[0] if survey else None, score=survey[1] if survey else None,
            sentiment_score=sentiment,
            sentiment_label=None if sentiment is None else ("negative" if sentiment < 0 else "positive"),
            topics=[{"topic": t, "sentiment": "negative", "score": 0.9, "start": 0, "end": 1} for t in topics or []],
            batch_id=new_id(), ingested_at=at,
        )
    )  # fmt: skip
    for topic in topics or []:
        conn.execute(
            feedback_topics.insert().values(
                feedback_id=feedback_id, topic=topic, sentiment="negative", score=0.9, occurred_at=at, channel=channel
            )
        )
    return feedback_id


def add_case(conn: sa.Connection, customer_id: str, subject: str, *, status: str = "new") -> str:
    case_id = new_id()
    conn.execute(
        cases.insert().values(
            id=case_id, customer_id=customer_id, subject=subject, status=status, priority="p3", version=1,
            created_at=T0, updated_at=T0, source="tests",
        )
    )  # fmt: skip
    return case_id


def rich_customer(conn: sa.Connection, tag: str, *, created_at: datetime = T0, **attributes: Any) -> str:
    """A customer with two identifiers, a purchase, a visit, two feedback items and a case."""
    customer_id = add_customer(
        conn, name=attributes.pop("name", f"고객 {tag}"), email=f"{tag}@example.com",
        phone=attributes.pop("phone", None), external_id=f"C-{tag}", created_at=created_at, **attributes,
    )  # fmt: skip
    add_event(conn, customer_id, "purchase", created_at + timedelta(days=1), value=30000)
    add_event(conn, customer_id, "visit", created_at + timedelta(days=2))
    add_feedback(conn, customer_id, f"{tag}: 배송이 늦어요", created_at + timedelta(days=3), topics=["delivery"])
    add_feedback(conn, customer_id, f"{tag}: 설문", created_at + timedelta(days=4), channel="survey", survey=("nps", 7))
    add_case(conn, customer_id, f"{tag} 배송 지연")
    return customer_id


def state(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a merge touches, sorted: equal before and after a merge round trip."""
    with store.read() as conn:
        return {
            table.name: sorted(
                (dict(r) for r in conn.execute(sa.select(table)).mappings().all()), key=lambda r: str(r["id"])
            )
            for table in STATE_TABLES
        }
