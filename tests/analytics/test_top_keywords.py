"""Top keywords per topic, channel, segment and period, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from cxloop.analytics.keywords import customer_tiers, top_keywords
from cxloop.domain import TokenScope, new_id
from cxloop.store.engine import Store
from cxloop.store.tables import customers, feedback, feedback_keywords, feedback_topics
from support.helpers import make_token

NEWEST = datetime(2026, 6, 30, 3, 0)


def _item(
    rows: dict[str, list[dict[str, Any]]],
    *,
    days_ago: int,
    keywords: list[str],
    topic: str,
    channel: str = "chat",
    customer_id: str | None = None,
) -> None:
    fid, moment = new_id(), NEWEST - timedelta(days=days_ago)
    rows["feedback"].append(
        {
            "id": fid, "source": "t", "external_id": fid, "customer_id": customer_id, "channel": channel,
            "occurred_at": moment, "occurred_utc_offset_minutes": 540, "text": " ".join(keywords),
            "batch_id": fid, "ingested_at": moment,
        }
    )  # fmt: skip
    rows["topics"].append(
        {"feedback_id": fid, "topic": topic, "sentiment": "negative", "score": -0.5, "occurred_at": moment,
         "channel": channel}
    )  # fmt: skip
    rows["keywords"] += [
        {"feedback_id": fid, "keyword": k, "occurred_at": moment, "channel": channel} for k in keywords
    ]


def _seed(store: Store) -> None:
    rows: dict[str, list[dict[str, Any]]] = {"feedback": [], "topics": [], "keywords": []}
    vip, regular = new_id(), new_id()
    for _ in range(4):
        _item(rows, days_ago=2, keywords=["배송", "늦다"], topic="delivery", customer_id=vip)
    for _ in range(2):
        _item(rows, days_ago=3, keywords=["환불", "안 되다"], topic="refund", channel="call", customer_id=regular)
    _item(rows, days_ago=1, keywords=["배송", "포장"], topic="packaging", channel="app_review")
    for _ in range(5):  # the period before: "배송" was already common, "늦다" was not
        _item(rows, days_ago=40, keywords=["배송"], topic="delivery")
    _item(rows, days_ago=200, keywords=["오래된"], topic="delivery")  # outside both periods
    now = NEWEST
    with store.write() as conn:
        store.dialect.bulk_insert(
            conn,
            customers,
            [
                {"id": vip, "tier": "vip", "created_at": now, "updated_at": now, "source": "t"},
                {"id": regular, "tier": "silver", "created_at": now, "updated_at": now, "source": "t"},
            ],
        )
        store.dialect.bulk_insert(conn, feedback, rows["feedback"])
        store.dialect.bulk_insert(conn, feedback_topics, rows["topics"])
        store.dialect.bulk_insert(conn, feedback_keywords, rows["keywords"])


def _counts(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {k["keyword"]: (k["count"], k["previous_count"]) for k in result["keywords"]}


def test_top_keywords_of_a_period_with_the_period_before(store: Store) -> None:
    _seed(store)
    with store.read() as conn:
        result = top_keywords(conn, days=30)
    counts = _counts(result)
    assert counts["배송"] == (5, 5)
    assert counts["늦다"] == (4, 0)
    assert "오래된" not in counts
    assert result["items"] == 7
    assert result["keywords"][0]["keyword"] == "배송"
    assert abs(result["keywords"][0]["share"] - 5 / 7) < 1e-9


def test_top_keywords_per_topic_channel_and_segment(store: Store) -> None:
    _seed(store)
    with store.read() as conn:
        by_topic = _counts(top_keywords(conn, days=30, topic="refund"))
        by_channel = _counts(top_keywords(conn, days=30, channel="app_review"))
        by_tier = _counts(top_keywords(conn, days=30, tier="vip"))
        empty = top_keywords(conn, days=30, topic="no-such-topic")
        tiers = customer_tiers(conn)
    assert by_topic == {"환불": (2, 0), "안 되다": (2, 0)}
    assert by_channel == {"배송": (1, 0), "포장": (1, 0)}
    assert by_tier == {"배송": (4, 0), "늦다": (4, 0)}
    assert empty["keywords"] == []
    assert empty["items"] == 0
    assert tiers == ["silver", "vip"]


def test_the_api_serves_top_keywords_and_names_bad_filters(duckdb_client: TestClient, duckdb_store: Store) -> None:
    _seed(duckdb_store)
    reader = make_token(duckdb_store, TokenScope.READ)
    response = duckdb_client.get("/api/v1/keywords/top", params={"days": 30, "tier": "vip"}, headers=reader)
    assert response.status_code == 200
    assert {k["keyword"] for k in response.json()["keywords"]} == {"배송", "늦다"}
    unknown = duckdb_client.get("/api/v1/keywords/top", params={"topic": "weather"}, headers=reader)
    assert unknown.status_code == 422
    assert "weather" in unknown.text
    assert duckdb_client.get("/api/v1/keywords/top", params={"days": 0}, headers=reader).status_code == 422
    assert duckdb_client.get("/api/v1/keywords/top").status_code == 401
    ingest_only = make_token(duckdb_store, TokenScope.INGEST)
    assert duckdb_client.get("/api/v1/keywords/top", headers=ingest_only).status_code == 403
