"""The KPI API and pages on a real migrated store (DuckDB and PostgreSQL): values, exports, bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl
import pytest
from fastapi.testclient import TestClient

from cxloop import access
from cxloop.domain import Role, TokenScope, new_id
from cxloop.store.engine import Store
from cxloop.store.tables import feedback

PASSWORD = "correct horse battery"
MAY = "from=2026-05-01&to=2026-05-07"
# (UTC time, score, channel, language). The week of 05-01..05-07 (Seoul): 10, 9, 6, 0 → NPS 0;
# the week before: 10, 9 → 100.
NPS_ANSWERS = [
    (datetime(2026, 5, 1, 3), 10, "survey", "ko"),
    (datetime(2026, 5, 2, 3), 9, "app_review", "ko"),
    (datetime(2026, 5, 3, 3), 6, "app_review", "ko"),
    (datetime(2026, 5, 4, 3), 0, "survey", "en"),
    (datetime(2026, 4, 27, 3), 10, "survey", "ko"),
    (datetime(2026, 4, 28, 3), 9, "survey", "ko"),
]


def _seed(store: Store) -> None:
    """The NPS answers above, written straight into the feedback table."""
    rows = [
        {
            "id": new_id(),
            "source": "survey",
            "external_id": f"s{i}",
            "channel": channel,
            "occurred_at": when,
            "occurred_utc_offset_minutes": 540,
            "language": language,
            "survey_type": "nps",
            "score": score,
            "batch_id": new_id(),
            "ingested_at": datetime(2026, 5, 8),
        }
        for i, (when, score, channel, language) in enumerate(NPS_ANSWERS)
    ]
    with store.write() as conn:
        conn.execute(feedback.insert(), rows)


@pytest.fixture
def seeded(store: Store) -> Store:
    _seed(store)
    return store


@pytest.fixture
def read_headers(seeded: Store) -> dict[str, str]:
    from support.helpers import make_token

    return make_token(seeded, TokenScope.READ)


def test_catalog_lists_every_kpi_in_both_languages(client: TestClient, read_headers: dict[str, str]) -> None:
    english = client.get("/api/v1/kpis", headers=read_headers).json()["kpis"]
    korean = client.get("/api/v1/kpis?lang=ko", headers=read_headers).json()["kpis"]
    assert len(english) == len(korean) >= 15
    nps_en = next(k for k in english if k["id"] == "nps")
    nps_ko = next(k for k in korean if k["id"] == "nps")
    assert nps_en["name"] == "Net Promoter Score"
    assert "순추천" in nps_ko["name"]
    assert nps_en["unit"] == "score"
    assert nps_en["significance"] == "nps_difference"


def test_kpi_values_by_grain_and_dimension_with_previous_period(
    client: TestClient, read_headers: dict[str, str]
) -> None:
    body = client.get(f"/api/v1/kpis/nps?{MAY}&grain=day&compare=previous", headers=read_headers).json()
    assert body["total"]["value"] == 0.0
    assert body["total"]["n"] == 4
    assert body["previous"]["value"] == 100.0
    assert body["comparison"]["difference"] == -100.0
    assert body["comparison"]["test"] == "nps_difference"
    assert body["definition"]["name"] == "Net Promoter Score"
    assert [r["n"] for r in body["rows"]] == [1, 1, 1, 1, 0, 0, 0]  # one answer a day on 05-01..04, then none
    assert body["rows"][-1]["value"] is None
    sliced = client.get(f"/api/v1/kpis/nps?{MAY}&by=channel", headers=read_headers).json()
    assert {r["channel"]: r["value"] for r in sliced["rows"]} == {"survey": 0.0, "app_review": 0.0}
    filtered = client.get(f"/api/v1/kpis/nps?{MAY}&filter=language:en", headers=read_headers).json()
    assert filtered["total"]["value"] == -100.0
    assert filtered["total"]["n"] == 1


def test_kpi_exports_as_csv_and_xlsx(client: TestClient, read_headers: dict[str, str]) -> None:
    response = client.get(f"/api/v1/kpis/nps?{MAY}&grain=week&format=csv", headers=read_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="kpi_nps_2026-05-07.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The week of Monday 04-27 holds 05-01..05-03 of the range (10, 9, 6); the next week holds 0.
    assert [(r["bucket"], r["value"], r["n"]) for r in rows] == [
        ("2026-04-27", "33.333333", "3"),
        ("2026-05-04", "-100.0", "1"),
    ]
    workbook = client.get(f"/api/v1/kpis/nps?{MAY}&format=xlsx", headers=read_headers)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["kpi", "value", "n"]
    assert [c.value for c in sheet[2]][:3] == ["nps", 0.0, 4]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("/api/v1/kpis/no_such_kpi", 404, "unknown KPI 'no_such_kpi'"),
        ("/api/v1/kpis/nps?by=team", 422, "cannot be sliced by 'team'"),
        ("/api/v1/kpis/complaint_rate?by=channel", 422, "cannot be sliced by 'channel'"),
        ("/api/v1/kpis/nps?grain=hour", 422, "grain"),
        ("/api/v1/kpis/nps?from=2026-13-01", 422, "from"),
        ("/api/v1/kpis/nps?from=2026-05-09&to=2026-05-01", 422, "is after to"),
        ("/api/v1/kpis/nps?filter=channel", 422, "dimension:value"),
        ("/api/v1/kpis/nps?filter=planet:mars", 422, "unknown dimension"),
        ("/api/v1/kpis/nps?format=pdf", 422, "format"),
    ],
)
def test_bad_queries_get_a_clear_4xx(
    client: TestClient, read_headers: dict[str, str], query: str, status: int, message: str
) -> None:
    response = client.get(query, headers=read_headers)
    assert response.status_code == status, response.text
    assert message in response.text


def test_kpis_need_a_token_with_read_scope(client: TestClient, seeded: Store) -> None:
    from support.helpers import make_token

    assert client.get("/api/v1/kpis").status_code == 401
    assert client.get("/api/v1/kpis/nps", headers=make_token(seeded, TokenScope.INGEST)).status_code == 403


def test_case_kpis_on_a_store_without_cases_say_no_data(client: TestClient, read_headers: dict[str, str]) -> None:
    for name in ("first_response_time", "sla_compliance", "voc_to_action_days", "conversion_rate"):
        body = client.get(f"/api/v1/kpis/{name}?compare=previous&grain=week", headers=read_headers).json()
        assert body["status"] == "no_data"
        assert body["total"] == {"value": None, "n": 0, "ci_low": None, "ci_high": None}


@pytest.fixture
def signed_in(duckdb_client: TestClient, duckdb_store: Store) -> TestClient:
    _seed(duckdb_store)
    access.create_user(duckdb_store, "kpi@example.com", "분석가", PASSWORD, Role.ANALYST, source="tests")
    page = duckdb_client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"email": "kpi@example.com", "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    assert duckdb_client.post("/login", data=form, follow_redirects=False).status_code == 303
    return duckdb_client


def test_explorer_catalog_and_overview_pages(signed_in: TestClient) -> None:
    english = {"Accept-Language": "en"}
    explorer = signed_in.get(f"/kpis?kpi=nps&grain=day&{MAY}", headers=english)
    assert explorer.status_code == 200
    assert 'data-testid="kpi-total">0.0<' in explorer.text
    assert "<svg" in explorer.text
    assert "/kpis/export?kpi=nps" in explorer.text
    bad = signed_in.get("/kpis?kpi=complaint_rate&by=channel", headers=english)
    assert bad.status_code == 422
    assert "cannot be sliced by" in bad.text
    korean = signed_in.get("/kpis/catalog", headers={"Accept-Language": "ko"})
    assert korean.status_code == 200
    assert "순추천지수" in korean.text
    assert "지표 카탈로그" in korean.text
    overview = signed_in.get("/", headers=english)
    assert overview.status_code == 200
    assert 'data-testid="kpi-cards"' in overview.text
    assert "Net Promoter Score" in overview.text
    export = signed_in.get(f"/kpis/export?kpi=nps&grain=week&{MAY}&format=xlsx")
    assert export.status_code == 200
    assert export.content[:2] == b"PK"
