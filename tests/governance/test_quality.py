"""Data quality: every ingestion batch is measured; table checks find stale sources, gaps and duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.governance.quality import quality_overview, run_table_checks, status_of
from cxloop.jobs.intake import accept_records
from cxloop.store.engine import Store
from cxloop.store.tables import customers, events, quality_checks
from support.identity_seed import rich_customer

from .seed import add_feedback


def _batch_checks(store: Store, batch_id: str) -> dict[str, dict]:  # type: ignore[type-arg]
    with store.read() as conn:
        rows = conn.execute(sa.select(quality_checks).where(quality_checks.c.batch_id == batch_id)).mappings()
        return {r["check"]: dict(r) for r in rows}


def test_each_batch_records_rejection_duplicate_range_and_null_rates(store: Store, settings: Settings) -> None:
    base = {"source": "survey", "channel": "survey", "occurred_at": "2026-05-01T10:00:00+09:00"}
    records = [
        {**base, "feedback_id": "S1", "text": "좋아요", "email": "a@example.com", "survey_type": "nps", "score": 9},
        {**base, "feedback_id": "S2", "survey_type": "nps", "score": 3},
        {**base, "feedback_id": "S3", "survey_type": "nps", "score": 11},  # out of range: rejected
        {**base, "feedback_id": "S4", "text": "별로", "rating": 9},  # out of range: rejected
        {**base, "feedback_id": "S5", "text": "늦어요", "phone": "010-1234-5678"},
    ]
    receipt = accept_records(store, settings, RecordKind.FEEDBACK, list(enumerate(records)), origin="api")
    checks = _batch_checks(store, receipt.batch_id)
    assert checks["batch.rejection_rate"]["value"] == 0.4
    assert checks["batch.rejection_rate"]["status"] == "fail"
    assert checks["batch.out_of_range_rate"]["value"] == 0.4
    assert checks["batch.null_rate.text"]["value"] == pytest.approx(1 / 3)
    assert checks["batch.null_rate.customer_link"]["value"] == pytest.approx(1 / 3)
    assert checks["batch.duplicate_rate"]["value"] == 0.0
    assert checks["batch.rejection_rate"]["details"]["sources"] == ["survey"]

    replay = accept_records(store, settings, RecordKind.FEEDBACK, list(enumerate(records[:2])), origin="api")
    again = _batch_checks(store, replay.batch_id)
    assert again["batch.duplicate_rate"]["value"] == 1.0
    assert again["batch.duplicate_rate"]["status"] == "warn"
    assert again["batch.rejection_rate"]["status"] == "ok"


def test_table_checks_flag_a_stale_source_and_out_of_range_scores(store: Store, settings: Settings) -> None:
    now = datetime(2026, 6, 1, 12)
    add_feedback(store, channel="call", occurred_at=now - timedelta(hours=1), source="callcenter")
    add_feedback(
        store,
        channel="chat",
        occurred_at=now - timedelta(days=3),
        source="chatbot",
        ingested_at=now - timedelta(days=3),
    )
    add_feedback(store, channel="app_review", occurred_at=now - timedelta(days=30), source="appstore", rating=7)
    add_feedback(
        store, channel="survey", occurred_at=now, source="survey", external_id="dup", survey_type="csat", score=3
    )
    add_feedback(
        store, channel="survey", occurred_at=now, source="survey", external_id="dup", survey_type="csat", score=4
    )
    results = {(r["check"], r["subject"]): r for r in run_table_checks(store, settings, now=now)}
    assert results[("table.freshness_hours", "feedback:callcenter")]["status"] == "ok"
    assert results[("table.freshness_hours", "feedback:chatbot")]["value"] == 72.0
    assert results[("table.freshness_hours", "feedback:chatbot")]["status"] == "warn"
    assert results[("table.freshness_hours", "feedback:appstore")]["status"] == "fail"
    assert results[("table.out_of_range", "feedback")]["value"] == 1
    assert results[("table.duplicate_external_ids", "feedback")]["value"] == 1
    assert results[("table.duplicate_external_ids", "feedback")]["status"] == "fail"
    assert results[("table.null_rate.customer_id", "feedback")]["value"] == 1.0
    assert results[("intake.failed_records", "intake")]["status"] == "ok"

    run_table_checks(store, settings, now=now + timedelta(hours=1))
    overview = quality_overview(store, settings, now=now)
    series = {(r["check"], r["subject"]): r for r in overview["latest"]}
    assert series[("table.freshness_hours", "feedback:chatbot")]["trend"] == [72.0, 73.0]
    assert overview["latest"][0]["status"] == "fail"  # failures first
    assert overview["counts"]["fail"] >= 4
    assert overview["owners"]["feedback"]["owner"] == "CX team"


def test_status_thresholds_are_strict() -> None:
    assert status_of(0.05, 0.05, 0.25) == "ok"
    assert status_of(0.06, 0.05, 0.25) == "warn"
    assert status_of(0.3, 0.05, 0.25) == "fail"


def test_table_checks_flag_events_keyed_to_the_wrong_customer(store: Store, settings: Settings) -> None:
    with store.write() as conn:
        first, second = rich_customer(conn, "a"), rich_customer(conn, "b")

    def mismatch() -> dict[str, Any]:
        return {r["check"]: r for r in run_table_checks(store, settings)}["table.customer_key_mismatch"]

    assert (mismatch()["value"], mismatch()["status"]) == (0, "ok")
    with store.write() as conn:  # what a write path that forgot the key would leave behind
        key_of_b = conn.execute(sa.select(customers.c.customer_key).where(customers.c.id == second)).scalar_one()
        conn.execute(events.update().where(events.c.customer_id == first).values(customer_key=key_of_b))
    assert (mismatch()["value"], mismatch()["status"]) == (2, "fail")
