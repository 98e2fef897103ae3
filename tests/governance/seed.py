"""Rows written straight into the tables, for governance tests that need customers, feedback and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.domain import new_id
from cxloop.store.engine import Store
from cxloop.store.tables import customer_identities, customers, events, feedback


def add_customer(
    store: Store, *, name: str = "김민수", email: str | None = None, merged_into: str | None = None
) -> str:
    customer_id = new_id()
    now = datetime(2026, 5, 1)
    with store.write() as conn:
        conn.execute(
            customers.insert().values(
                id=customer_id, name=name, created_at=now, updated_at=now, source="crm", merged_into=merged_into
            )
        )
        if email:
            conn.execute(
                customer_identities.insert().values(
                    id=new_id(),
                    customer_id=customer_id,
                    kind="email",
                    namespace="",
                    value=email,
                    raw_value=email,
                    is_valid=True,
                    link_key=f"email::{email}",
                    created_at=now,
                    source="crm",
                )
            )
    return customer_id


def add_feedback(
    store: Store, *, channel: str, occurred_at: datetime, text: str | None = "배송이 늦어요", **extra: Any
) -> str:
    feedback_id = new_id()
    with store.write() as conn:
        conn.execute(
            feedback.insert().values(
                id=feedback_id,
                source=extra.pop("source", "callcenter"),
                external_id=extra.pop("external_id", feedback_id),
                channel=channel,
                occurred_at=occurred_at,
                occurred_utc_offset_minutes=540,
                text=text,
                text_raw=extra.pop("text_raw", None),
                batch_id=new_id(),
                ingested_at=extra.pop("ingested_at", occurred_at),
                sentiment_label="negative",
                **extra,
            )
        )
    return feedback_id


def add_event(store: Store, *, occurred_at: datetime, source: str = "web") -> str:
    event_id = new_id()
    with store.write() as conn:
        conn.execute(
            events.insert().values(
                id=event_id,
                source=source,
                external_id=event_id,
                type="page_view",
                channel="web",
                occurred_at=occurred_at,
                occurred_utc_offset_minutes=540,
                batch_id=new_id(),
                ingested_at=occurred_at,
            )
        )
    return event_id
