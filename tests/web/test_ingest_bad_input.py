"""Bad input to the ingest API on both stores: a clear 4xx every time, and nothing stored before is touched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import TokenScope
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import api_tokens, ingest_batches, intake_records
from cxloop.web.app import create_app
from support.helpers import make_token

URL = "/api/v1/feedback"


def _feedback(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "source": "callcenter",
        "feedback_id": f"T-{n}",
        "channel": "call",
        "occurred_at": "2026-06-03T14:22:05+09:00",
        "text": f"배송이 너무 늦어요 {n}",
        **extra,
    }


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The error body of a refused request: the status and stable code, a message, and no traceback."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def _count(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _post_json(client: TestClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(URL, content=body, headers={**headers, "Content-Type": "application/json"})


# (case, body, content type, status, error code, start of the message)
UNUSABLE_BODIES = [
    ("truncated", b"{", "application/json", 422, "input.invalid", "the body is not valid JSON"),
    ("trailing-comma", b'[{"source": "cc",]', "application/json", 422, "input.invalid", "the body is not valid JSON"),
    ("not-utf8", b"\xff\xfe{}", "application/json", 422, "input.invalid", "the body is not valid JSON"),
    ("lone-surrogate", b'{"text": "\\ud800"}', "application/json", 422, "input.invalid", "the body is not valid JSON"),
    ("too-deep", b"[" * 2000 + b"]" * 2000, "application/json", 422, "input.invalid", "the body is not valid JSON"),
    ("no-bytes", b"", "application/json", 422, "input.invalid", "the request body is empty"),
    ("whitespace", b"  \r\n\t", "application/json", 422, "input.invalid", "the request body is empty"),
    ("number", b"42", "application/json", 422, "input.invalid", "the body must be a JSON object, an array"),
    ("string", b'"feedback"', "application/json", 422, "input.invalid", "the body must be a JSON object, an array"),
    ("null", b"null", "application/json", 422, "input.invalid", "the body must be a JSON object, an array"),
    ("true", b"true", "application/json", 422, "input.invalid", "the body must be a JSON object, an array"),
    ("text", b'{"source": "cc"}', "text/plain", 415, "input.unsupported_file", "send application/json, not text/plain"),
    ("csv", b"source,text\n", "text/csv", 415, "input.unsupported_file", "send application/json, not text/csv"),
    ("form", b"source=cc", "application/x-www-form-urlencoded", 415, "input.unsupported_file", "send application/json"),
]


def test_unusable_bodies_are_a_clear_4xx_and_store_nothing(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    for case, body, content_type, status, code, message in UNUSABLE_BODIES:
        response = client.post(URL, content=body, headers={**ingest_headers, "Content-Type": content_type})
        assert response.status_code == status, (case, response.text)
        assert _error(response, status, code)["message"].startswith(message), case
    assert (_count(store, intake_records), _count(store, ingest_batches)) == (0, 0)


def test_a_single_object_and_the_records_envelope_are_accepted(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    single = client.post(URL, json=_feedback(1), headers=ingest_headers)
    assert single.status_code == 202, single.text
    assert (single.json()["received"], single.json()["accepted"]) == (1, 1)
    envelope = client.post(URL, json={"records": [_feedback(2), _feedback(3)]}, headers=ingest_headers)
    assert envelope.status_code == 202, envelope.text
    assert (envelope.json()["received"], envelope.json()["accepted"]) == (2, 2)
    assert _count(store, intake_records) == 3


def test_the_source_parameter_fills_records_without_one(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    record = {k: v for k, v in _feedback(1).items() if k != "source"}
    response = client.post(URL, params={"source": "kakao"}, json=[record], headers=ingest_headers)
    assert response.status_code == 202, response.text
    with store.read() as conn:
        assert conn.execute(sa.select(intake_records.c.source)).scalar_one() == "kakao"


def test_a_batch_where_every_record_is_bad_is_422_with_each_rejection(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    batch = [_feedback(1, channel="fax"), 42, _feedback(3, comment="hi"), _feedback(4, occurred_at="어제")]
    response = client.post(URL, json=batch, headers=ingest_headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["received"], body["accepted"], body["rejected"]) == (4, 0, 4)
    assert [(r["index"], r["field"]) for r in body["rejections"]] == [
        (0, "channel"),
        (1, None),
        (2, "comment"),
        (3, "occurred_at"),
    ]
    assert all(r["reason"] for r in body["rejections"])
    assert _count(store, intake_records) == 0
    # The refusal itself is on record, so it can be looked up later by its batch id.
    batch_view = client.get(f"/api/v1/batches/{body['batch_id']}", headers=ingest_headers).json()
    assert batch_view["rejections"] == body["rejections"]


def test_a_batch_over_10000_records_is_413_and_stores_nothing(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    batch = [_feedback(n) for n in range(10_001)]
    error = _error(client.post(URL, json=batch, headers=ingest_headers), 413, "input.too_large")
    assert error["details"] == {"limit": 10_000, "received": 10_001}
    assert "at most 10,000 records" in error["message"]
    assert (_count(store, intake_records), _count(store, ingest_batches)) == (0, 0)
    full = client.post(URL, json=batch[:10_000], headers=ingest_headers)
    assert full.status_code == 202, full.text
    assert _count(store, intake_records) == 10_000


@pytest.fixture
def small_client(settings: Settings, store: Store) -> Iterator[TestClient]:
    """The app with a 1 KiB request limit, on the same store."""
    app = create_app(settings.model_copy(update={"max_request_bytes": 1024}), store=store, run_worker=False)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def test_a_body_over_the_byte_limit_is_413_and_stores_nothing(
    small_client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    body = orjson.dumps([_feedback(n) for n in range(20)])
    assert len(body) > 1024
    declared = _error(_post_json(small_client, body, ingest_headers), 413, "input.too_large")
    assert declared["message"] == f"the request body is {len(body):,} bytes; the limit is 1,024"
    # Without a Content-Length (chunked), the limit holds while the body streams in.
    streamed = small_client.post(
        URL, content=iter([body[:1000], body[1000:]]), headers={**ingest_headers, "Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert _error(streamed, 413, "input.too_large")["message"] == "the request body exceeds the limit of 1,024 bytes"
    assert (_count(store, intake_records), _count(store, ingest_batches)) == (0, 0)
    assert small_client.post(URL, json=_feedback(1), headers=ingest_headers).status_code == 202


def test_an_over_long_idempotency_key_is_422(client: TestClient, ingest_headers: dict[str, str]) -> None:
    response = client.post(URL, json=_feedback(1), headers={**ingest_headers, "Idempotency-Key": "k" * 201})
    assert "idempotency-key" in _error(response, 422, "input.invalid")["message"]


def _token(store: Store, name: str, *scopes: TokenScope) -> dict[str, str]:
    secret = access.create_token(store, name, frozenset(scopes or {TokenScope.INGEST}), created_by="tests")
    return {"Authorization": f"Bearer {secret}"}


def test_requests_without_a_valid_token_are_401(client: TestClient, store: Store) -> None:
    revoked = _token(store, "revoked")
    access.revoke_token(store, "revoked")
    expired = _token(store, "expired")
    with store.write() as conn:
        conn.execute(
            api_tokens.update()
            .where(api_tokens.c.name == "expired")
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    cases: dict[str, tuple[dict[str, str], str]] = {
        "missing": ({}, "send an API token as `Authorization: Bearer <token>`"),
        "basic": ({"Authorization": "Basic dXNlcjpwYXNz"}, "send an API token"),
        "empty-bearer": ({"Authorization": "Bearer   "}, "send an API token"),
        "not-a-token": ({"Authorization": "Bearer hunter2"}, "invalid API token"),
        "unknown": ({"Authorization": "Bearer cxl_doesnotexist"}, "invalid or revoked API token"),
        "revoked": (revoked, "invalid or revoked API token"),
        "expired": (expired, "this API token has expired"),
    }
    for case, (headers, message) in cases.items():
        error = _error(client.post(URL, json=_feedback(1), headers=headers), 401, "auth.required")
        assert message in error["message"], case
    assert (_count(store, intake_records), _count(store, ingest_batches)) == (0, 0)


def test_a_token_with_non_ascii_bytes_is_401(client: TestClient) -> None:
    # Header bytes arrive as latin-1 text; comparing them with the control token must not crash.
    response = client.post(URL, json=_feedback(1), headers={"Authorization": b"Bearer cxl_\xc3\xa9\xff"})
    _error(response, 401, "auth.required")


def test_a_token_without_the_ingest_scope_is_403(client: TestClient, store: Store) -> None:
    error = _error(
        client.post(URL, json=_feedback(1), headers=make_token(store, TokenScope.READ)), 403, "auth.forbidden"
    )
    assert error["message"] == "this token lacks the scope for 'feedback.ingest' (one of: ingest, admin)"
    admin = client.post(URL, json=_feedback(1), headers=make_token(store, TokenScope.ADMIN))
    assert admin.status_code == 202, admin.text


def test_valid_json_with_hostile_values_is_stored_or_rejected_never_500(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    event = {"source": "shop", "type": "order_paid", "channel": "web", "occurred_at": "2026-06-03T14:22:05+09:00"}
    batch = [
        {**event, "event_id": "nul", "properties": {"note": "a\u0000b", "\u0000": 1}},
        {**event, "event_id": "huge", "properties": {"n": 123456789012345678901234567890, "f": 1e308}},
        {**event, "event_id": "nested", "properties": {"a": [[[{"b": None}]]]}},
        {**event, "event_id": "x" * 201},
    ]
    response = client.post("/api/v1/events", json=batch, headers=ingest_headers)
    assert response.status_code == 202, response.text
    assert (response.json()["accepted"], response.json()["rejections"][0]["field"]) == (3, "event_id")
    assert _count(store, intake_records) == 3


def _snapshot(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    with store.read() as conn:
        return {
            table.name: {row["id"]: dict(row) for row in conn.execute(sa.select(table)).mappings()}
            for table in (intake_records, ingest_batches)
        }


def test_nothing_stored_before_is_lost_or_half_written(
    client: TestClient, settings: Settings, store: Store, ingest_headers: dict[str, str]
) -> None:
    keyed = {**ingest_headers, "Idempotency-Key": "crm-sync-1"}
    assert client.post(URL, json=[_feedback(1), _feedback(2)], headers=keyed).status_code == 202
    customer = {"source": "crm", "external_id": "C-1", "name": "김민지"}
    assert client.post("/api/v1/customers", json=customer, headers=ingest_headers).status_code == 202
    before = _snapshot(store)
    assert (len(before["intake_records"]), len(before["ingest_batches"])) == (3, 2)

    refused = [
        _post_json(client, b'[{"source": ', ingest_headers),
        _post_json(client, b"", ingest_headers),
        _post_json(client, b"42", ingest_headers),
        client.post(URL, content=b"source,text\n", headers={**ingest_headers, "Content-Type": "text/csv"}),
        client.post(URL, json=[_feedback(n) for n in range(3, 10_004)], headers=ingest_headers),
        client.post(URL, json=[_feedback(3)]),
        client.post(URL, json=[_feedback(3)], headers={"Authorization": "Bearer cxl_forged"}),
        client.post(URL, json=[_feedback(3)], headers=make_token(store, TokenScope.READ)),
        client.post(URL, json=[_feedback(3)], headers={**ingest_headers, "Idempotency-Key": "k" * 201}),
    ]
    assert [r.status_code for r in refused] == [422, 422, 422, 415, 413, 401, 401, 403, 422]
    with TestClient(
        create_app(settings.model_copy(update={"max_request_bytes": 1024}), store=store, run_worker=False)
    ) as small:
        refused.append(small.post(URL, json=[_feedback(n) for n in range(3, 30)], headers=ingest_headers))
    assert refused[-1].status_code == 413
    assert _snapshot(store) == before

    # A retry with the same key and other content replays the first answer instead of writing.
    replay = client.post(URL, json=[_feedback(1, text="바뀐 내용")], headers=keyed)
    assert (replay.status_code, replay.json()["replayed"]) == (202, True)
    # A known (source, external id) with new content is a duplicate: the stored record is not overwritten.
    partial = client.post(
        URL, json=[_feedback(1, text="바뀐 내용"), _feedback(5, channel="fax"), _feedback(6)], headers=ingest_headers
    )
    assert partial.status_code == 202, partial.text
    assert (partial.json()["accepted"], partial.json()["duplicates"], partial.json()["rejected"]) == (1, 1, 1)
    all_bad = client.post(URL, json=[_feedback(7, channel="fax")], headers=ingest_headers)
    assert all_bad.status_code == 422

    after = _snapshot(store)
    for table, rows in before.items():
        assert {key: after[table][key] for key in rows} == rows, f"{table} rows changed"
    new_records = [row for key, row in after["intake_records"].items() if key not in before["intake_records"]]
    assert [(r["batch_id"], r["external_id"]) for r in new_records] == [(partial.json()["batch_id"], "T-6")]
    new_batches = set(after["ingest_batches"]) - set(before["ingest_batches"])
    assert new_batches == {partial.json()["batch_id"], all_bad.json()["batch_id"]}
