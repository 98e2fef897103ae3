"""File import over the API on both stores: a per-row report, good rows stored, clear refusals."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxloop.store.engine import Store
from cxloop.store.tables import ingest_batches, intake_records

URL = "/api/v1/imports"
CSV = (
    "source,channel,occurred_at,text\r\n"
    "callcenter,call,2026-06-03T14:22:05+09:00,배송이 너무 늦어요\r\n"  # row 2
    "callcenter,fax,2026-06-03T15:00:00+09:00,팩스로 보냈어요\r\n"  # row 3: no such channel
    "kakao,chat,2026-06-04 09:00:00,상담원이 친절했어요\r\n"  # row 4
)


def _count(store: Store, table: sa.Table) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _upload(
    client: TestClient, headers: dict[str, str], data: bytes, name: str = "feedback.csv", **form: Any
) -> httpx.Response:
    return client.post(URL, files={"file": (name, data)}, data={"kind": "feedback", **form}, headers=headers)


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    return error


def test_a_bad_row_is_reported_by_row_field_and_reason_and_good_rows_are_stored(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    response = _upload(client, ingest_headers, CSV.encode("cp949"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["format"], report["encoding"]) == ("csv", "cp949")
    assert (report["rows"], report["accepted"], report["rejected"]) == (3, 2, 1)
    (rejection,) = report["rejections"]
    assert (rejection["row"], rejection["field"]) == (3, "channel")
    assert "'fax' is not one of: call, chat" in rejection["reason"]
    assert _count(store, intake_records) == 2
    with store.read() as conn:
        batch = conn.execute(sa.select(ingest_batches)).mappings().one()
    assert (batch["origin"], batch["file_name"], batch["id"]) == ("file", "feedback.csv", report["batch_ids"][0])


def test_the_stored_batch_names_the_same_rows_as_the_report(client: TestClient, ingest_headers: dict[str, str]) -> None:
    surplus = CSV + "kakao,chat,2026-06-04 10:00:00,좋아요,surplus\r\n"  # row 5: a cell too many
    report = _upload(client, ingest_headers, surplus.encode()).json()
    assert [(r["row"], r["field"]) for r in report["rejections"]] == [(3, "channel"), (5, None)]
    # Looking the batch up later must tell the same story: rows as the file shows them, none missing.
    batch = client.get(f"/api/v1/batches/{report['batch_ids'][0]}", headers=ingest_headers).json()
    assert (batch["record_count"], batch["rejected_count"]) == (4, 2)
    assert batch["rejections"] == report["rejections"]


def test_re_importing_the_same_file_stores_nothing_twice(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    first = _upload(client, ingest_headers, CSV.encode()).json()
    again = _upload(client, ingest_headers, CSV.encode()).json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (2, 0, 2)
    assert _count(store, intake_records) == 2


def test_a_mapping_form_field_renames_columns(client: TestClient, store: Store, ingest_headers: dict[str, str]) -> None:
    korean = CSV.replace("source,channel,occurred_at,text", "출처,채널,접수 일시,고객 의견")
    refused = _error(_upload(client, ingest_headers, korean.encode()), 422, "input.invalid")
    assert refused["details"]["unknown_columns"] == ["출처", "채널", "접수_일시", "고객_의견"]
    mapping = ["출처=source", "채널=channel", "접수 일시=occurred_at", "고객 의견=text"]
    report = _upload(client, ingest_headers, korean.encode(), mapping=mapping).json()
    assert (report["accepted"], [r["row"] for r in report["rejections"]]) == (2, [3])
    assert _count(store, intake_records) == 2
    bad_target = _error(_upload(client, ingest_headers, korean.encode(), mapping=["출처=origin"]), 422, "input.invalid")
    assert "'origin' is not a feedback field" in bad_target["message"]


def test_a_wrong_kind_or_a_missing_file_is_422(client: TestClient, ingest_headers: dict[str, str]) -> None:
    wrong_kind = _error(_upload(client, ingest_headers, CSV.encode(), kind="complaints"), 422, "input.invalid")
    assert "kind" in wrong_kind["message"]
    assert "customers" in wrong_kind["message"]
    no_file = client.post(URL, data={"kind": "feedback"}, headers=ingest_headers)
    assert "file" in _error(no_file, 422, "input.invalid")["message"]


def test_broken_files_are_refused_with_a_clear_4xx(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    cases = [
        ("empty.csv", b"", 422, "input.invalid", "the file is empty"),
        ("latin1.csv", b"source,text\ncallcenter,\xff\xfe\xff\n", 415, "input.unsupported_file", "the file is neither"),
        ("utf16.csv", CSV.encode("utf-16"), 415, "input.unsupported_file", "the file looks binary"),
        ("feedback.xlsx", b"not a workbook", 415, "input.unsupported_file", "the file is not a valid XLSX"),
        ("feedback.json", b'[{"source": ', 422, "input.invalid", "the file is not valid JSON"),
    ]
    for name, data, status, code, message in cases:
        assert _error(_upload(client, ingest_headers, data, name), status, code)["message"].startswith(message), name
    assert (_count(store, intake_records), _count(store, ingest_batches)) == (0, 0)


def test_an_all_rejected_file_still_answers_with_its_report(
    client: TestClient, store: Store, ingest_headers: dict[str, str]
) -> None:
    bad = "source,channel,occurred_at,text\r\ncallcenter,fax,어제,?\r\ncallcenter,call,어제,?\r\n"
    response = _upload(client, ingest_headers, bad.encode())
    assert response.status_code in {200, 422}, response.text
    report = response.json()
    assert (report["accepted"], [(r["row"], r["field"]) for r in report["rejections"]]) == (
        0,
        [(2, "occurred_at"), (3, "occurred_at")],
    )
    assert _count(store, intake_records) == 0


def test_imports_need_an_ingest_token(client: TestClient) -> None:
    _error(_upload(client, {}, CSV.encode()), 401, "auth.required")
