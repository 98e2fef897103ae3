"""The ingest API on both stores: durable before 2xx, per-record rejections, idempotency, limits."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.jobs.worker import Worker
from cxloop.store.engine import Store


def _feedback(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "callcenter",
        "feedback_id": f"T-{n}",
        "phone": "010-1234-5678",
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": f"배송이 너무 늦어요 {n}",
        **extra,
    }


def _count(store: Store, table: str) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_batch_keeps_good_records_and_names_the_bad_ones(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    batch = [_feedback(1), _feedback(2, channel="fax"), _feedback(3, survey_type="nps", score=11), _feedback(4)]
    response = client.post("/api/v1/feedback", json=batch, headers=ingest_headers)
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (2, 2)
    assert [(r["index"], r["field"]) for r in body["rejections"]] == [(1, "channel"), (2, "score")]
    assert "fax" in body["rejections"][0]["reason"]
    # Committed before the answer: the intake queue already holds both good records.
    assert _count(store, "intake_records") == 2


def test_processing_links_feedback_to_one_customer(
    client: TestClient, store: Store, settings: Any, ingest_headers: dict[str, str]
) -> None:
    client.post("/api/v1/feedback", json=[_feedback(1), _feedback(2, phone="+82 10 1234 5678")], headers=ingest_headers)
    assert Worker(store, settings).run_until_idle() == 2
    with store.read() as conn:
        linked = conn.execute(sa.text("SELECT count(DISTINCT customer_id), count(*) FROM feedback")).one()
    assert tuple(linked) == (1, 2)


def test_repeated_external_id_and_idempotency_key_never_duplicate(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    first = client.post("/api/v1/feedback", json=[_feedback(1)], headers=ingest_headers).json()
    again = client.post("/api/v1/feedback", json=[_feedback(1)], headers=ingest_headers).json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (1, 0, 1)
    keyed = {**ingest_headers, "Idempotency-Key": "retry-42"}
    one = client.post("/api/v1/feedback", json=[_feedback(7)], headers=keyed).json()
    replay = client.post("/api/v1/feedback", json=[_feedback(7)], headers=keyed).json()
    assert replay["replayed"] is True
    assert replay["batch_id"] == one["batch_id"]
    assert _count(store, "intake_records") == 2


def test_each_record_status_is_visible_through_the_api(
    client: TestClient, store: Store, settings: Any, ingest_headers: dict[str, str]
) -> None:
    client.post("/api/v1/feedback", json=[_feedback(5)], headers=ingest_headers)
    queued = client.get("/api/v1/intake/feedback/callcenter/T-5", headers=ingest_headers).json()
    assert queued["status"] == "pending"
    assert queued["record_id"] is None
    Worker(store, settings).run_until_idle()
    done = client.get("/api/v1/intake/feedback/callcenter/T-5", headers=ingest_headers).json()
    assert done["status"] == "done"
    assert client.get(f"/api/v1/feedback/{done['record_id']}", headers=ingest_headers).json()["external_id"] == "T-5"
    missing = client.get("/api/v1/intake/feedback/callcenter/nope", headers=ingest_headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
