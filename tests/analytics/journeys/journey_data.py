"""A small hand-made journey data set with answers worked out by hand, and loaders for every engine.

Funnel visit → product_view → add_to_cart → checkout → purchase, 7-day window:
- c1 (gold, web): all five steps on May 4th.
- c2 (silver, app): visit, view on May 4th; add_to_cart on May 13th, nine days later: out of window.
- c3 (gold, web): add_to_cart BEFORE the visit, then visit and view: reaches step 2 only.
- c4 (no profile, web): visit May 6th … purchase May 12th: six days, in a 7d window, not in a 1d one.
- c5 (bronze): only a purchase on May 20th: never enters.
- an anonymous visit: never counted.
Weekly cohorts (May 4th is a Monday): week 0 = {c1..c4}; week 1 active: c1, c2, c4; week 2: none;
week 3: c1 (May 26th). c5's cohort is the week of May 18th.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.store.customers import customer_keys, insert_customers
from cxloop.store.engine import Store
from cxloop.store.tables import events, feedback, feedback_topics

FUNNEL = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
_counter = itertools.count(1)


def T(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute)


FEEDBACK_AT = T(10)
EVENTS: list[tuple[str | None, str, str, datetime]] = [
    ("c1", "visit", "web", T(4, 10, 0)),
    ("c1", "product_view", "web", T(4, 10, 5)),
    ("c1", "product_view", "web", T(4, 10, 6)),
    ("c1", "add_to_cart", "web", T(4, 10, 10)),
    ("c1", "checkout", "web", T(4, 10, 20)),
    ("c1", "purchase", "web", T(4, 10, 30)),
    ("c1", "app_open", "app", T(12)),
    ("c1", "app_open", "app", T(26)),
    ("c2", "visit", "app", T(4, 12)),
    ("c2", "product_view", "app", T(4, 12, 2)),
    ("c2", "add_to_cart", "app", T(13)),
    ("c3", "add_to_cart", "web", T(5, 9)),
    ("c3", "visit", "web", T(5, 10)),
    ("c3", "product_view", "web", T(5, 11)),
    ("c4", "visit", "web", T(6, 8)),
    ("c4", "product_view", "web", T(6, 9)),
    ("c4", "add_to_cart", "web", T(6, 10)),
    ("c4", "checkout", "web", T(7, 8)),
    ("c4", "purchase", "web", T(12, 7)),
    ("c5", "purchase", "store", T(20)),
    (None, "visit", "web", T(4)),
]
CUSTOMERS = [("c1", "gold", "서울"), ("c2", "silver", "부산"), ("c3", "gold", "서울"), ("c5", "bronze", "대구")]

# (stage, sentiment, survey score or None, negative topics)
FEEDBACK: list[tuple[str, str, int | None, tuple[str, ...]]] = [
    *[("purchase", "positive", None, ()) for _ in range(5)],
    ("delivery", "positive", 10, ()),
    ("delivery", "negative", 3, ("delivery_delay",)),
    ("delivery", "negative", 5, ("delivery_delay", "packaging")),
    ("delivery", "negative", None, ("delivery_delay",)),
    ("delivery", "negative", None, ()),
    ("delivery", "neutral", None, ()),
    ("support", "positive", None, ()),
    ("support", "positive", None, ()),
    ("support", "negative", None, ("agent_attitude",)),
    ("support", "negative", None, ("agent_attitude",)),
    ("support", "negative", None, ("wait_time",)),
]


def event_rows(items: Iterable[tuple[str | None, str, str, datetime]]) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id(),
            "source": "test",
            "external_id": f"e{next(_counter)}",
            "customer_id": cid,
            "type": kind,
            "channel": channel,
            "occurred_at": at,
            "occurred_utc_offset_minutes": 0,
            "batch_id": "b" * 26,
            "ingested_at": at,
        }
        for cid, kind, channel, at in items
    ]


def customer_rows(items: Iterable[tuple[str, str | None, str | None]]) -> list[dict[str, Any]]:
    at = T(1)
    return [
        {"id": cid, "tier": tier, "city": city, "created_at": at, "updated_at": at, "source": "test"}
        for cid, tier, city in items
    ]


def feedback_rows(
    items: Iterable[tuple[str, str, int | None, tuple[str, ...]]], at: datetime = FEEDBACK_AT
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, topics = [], []
    for stage, label, score, negatives in items:
        fid = new_id()
        rows.append(
            {
                "id": fid,
                "source": "test",
                "external_id": f"f{next(_counter)}",
                "channel": "survey" if score is not None else "chat",
                "occurred_at": at,
                "occurred_utc_offset_minutes": 0,
                "text": "…",
                "survey_type": "nps" if score is not None else None,
                "score": score,
                "journey_stage": stage,
                "sentiment_label": label,
                "sentiment_score": 0.0,
                "batch_id": "b" * 26,
                "ingested_at": at,
            }
        )
        topics += [
            {
                "feedback_id": fid,
                "topic": t,
                "sentiment": "negative",
                "score": -1.0,
                "occurred_at": at,
                "channel": "chat",
            }
            for t in negatives
        ]
    return rows, topics


def load(store: Store, tables: dict[str, list[dict[str, Any]]]) -> None:
    """Write the tables as intake would: every customer an event names has a profile (one with no
    attributes when the fixture gives none), and events carry their customer's surrogate key."""
    targets = {"events": events, "feedback": feedback, "feedback_topics": feedback_topics}
    profiles = list(tables.get("customers", []))
    named = {r["customer_id"] for r in tables.get("events", []) if r.get("customer_id")}
    profiles += customer_rows((cid, None, None) for cid in sorted(named - {p["id"] for p in profiles}))
    with store.write() as conn:
        insert_customers(conn, store.dialect, profiles)
        keys = customer_keys(conn, named)
        for name, rows in tables.items():
            if name == "events":
                rows = [{**r, "customer_key": keys.get(r["customer_id"])} for r in rows]
            if rows and name != "customers":
                conn.execute(sa.insert(targets[name]), rows)


def standard_tables() -> dict[str, list[dict[str, Any]]]:
    fb, topics = feedback_rows(FEEDBACK)
    return {
        "events": event_rows(EVENTS),
        "customers": customer_rows(CUSTOMERS),
        "feedback": fb,
        "feedback_topics": topics,
    }


_ARROW_SCHEMAS = {
    "events": pa.schema(
        [
            ("id", pa.string()),
            ("customer_id", pa.string()),
            ("customer_key", pa.int64()),
            ("type", pa.string()),
            ("channel", pa.string()),
            ("occurred_at", pa.timestamp("us")),
        ]
    ),
    "customers": pa.schema(
        [("id", pa.string()), ("customer_key", pa.int64()), ("tier", pa.string()), ("city", pa.string())]
    ),
    "feedback": pa.schema(
        [
            ("id", pa.string()),
            ("occurred_at", pa.timestamp("us")),
            ("journey_stage", pa.string()),
            ("sentiment_label", pa.string()),
            ("survey_type", pa.string()),
            ("score", pa.int16()),
        ]
    ),
    "feedback_topics": pa.schema([("feedback_id", pa.string()), ("topic", pa.string()), ("sentiment", pa.string())]),
}


def arrow_tables(tables: dict[str, list[dict[str, Any]]]) -> dict[str, pa.Table]:
    """The columns journeys read, for engines loaded from Arrow (Spark). Surrogate keys are numbered
    here in id order; any one-to-one numbering gives the same answers."""
    ids = {r["customer_id"] for r in tables.get("events", []) if r.get("customer_id")}
    ids |= {r["id"] for r in tables.get("customers", [])}
    keys = {cid: n for n, cid in enumerate(sorted(ids), start=1)}
    out = {}
    for name, schema in _ARROW_SCHEMAS.items():
        owner = "id" if name == "customers" else "customer_id"
        rows = [
            {k: keys.get(r.get(owner)) if k == "customer_key" else r.get(k) for k in schema.names}
            for r in tables.get(name, [])
        ]
        out[name] = pa.Table.from_pylist(rows, schema=schema)
    return out
