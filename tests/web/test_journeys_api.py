"""Journey API on both stores: answers, permissions, and clear 422s for bad parameters."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from analytics.journeys.journey_data import event_rows, load, standard_tables
from cxloop.domain import TokenScope
from cxloop.store.engine import Store
from support.helpers import make_token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
STEPS = "visit,product_view,add_to_cart,checkout,purchase"


@pytest.fixture
def reader(store: Store) -> dict[str, str]:
    return make_token(store, TokenScope.READ)


def test_funnel_paths_cohorts_emotion_and_impact(client: TestClient, store: Store, reader: dict[str, str]) -> None:
    load(store, standard_tables())
    funnel = client.get("/api/v1/funnels", params={"steps": STEPS, "window": "7d", "by": "tier"}, headers=reader)
    assert funnel.status_code == 200, funnel.text
    body = funnel.json()
    assert [s["customers"] for s in body["steps"]] == [4, 4, 2, 2, 2]
    assert {g["group"] for g in body["breakdown"]} == {"gold", "silver", "(unknown)"}

    paths = client.get(
        "/api/v1/paths", params={"from_event": "visit", "to_event": "purchase", "depth": 3}, headers=reader
    ).json()
    assert paths["paths"][0]["path"] == ["visit", "product_view", "…", "purchase"]
    assert {n["id"] for n in paths["nodes"]} >= {"0:visit", "3:purchase"}
    assert paths["links"]

    cohorts = client.get("/api/v1/cohorts", params={"grain": "week", "periods": 3}, headers=reader).json()
    assert cohorts["cohorts"][0]["cohort"] == "2026-05-04"
    assert cohorts["cohorts"][0]["retention"][:2] == [1.0, 0.75]

    emotion = client.get("/api/v1/journeys/emotion", headers=reader).json()
    assert emotion["turning_point"] == "delivery"

    impact = client.get("/api/v1/impact", params={"date": "2026-05-10", "kpi": "purchases"}, headers=reader)
    assert impact.status_code == 200
    assert impact.json()["test"] == "welch-t"


def test_empty_store_answers_no_data(client: TestClient, reader: dict[str, str]) -> None:
    response = client.get("/api/v1/funnels", params={"steps": "visit,purchase"}, headers=reader)
    assert response.status_code == 200
    assert response.json()["empty"] is True
    assert client.get("/api/v1/cohorts", headers=reader).json()["empty"] is True


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
def test_permissions(client: TestClient, store: Store) -> None:
    assert client.get("/api/v1/funnels", params={"steps": STEPS}).status_code == 401
    ingest_only = make_token(store, TokenScope.INGEST)
    denied = client.get("/api/v1/funnels", params={"steps": STEPS}, headers=ingest_only)
    assert denied.status_code == 403
    assert "kpis.read" in denied.json()["error"]["message"]


@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)
@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/funnels", {"steps": "visit"}, "at least 2 steps"),
        ("/api/v1/funnels", {}, "steps"),
        ("/api/v1/funnels", {"steps": STEPS, "window": "7 days"}, "not a duration"),
        ("/api/v1/funnels", {"steps": STEPS, "window": "0h"}, "longer than zero"),
        ("/api/v1/funnels", {"steps": STEPS, "by": "shoe_size"}, "cannot break a funnel down by 'shoe_size'"),
        ("/api/v1/funnels", {"steps": "visit,<script>"}, "not an event type"),
        ("/api/v1/funnels", {"steps": STEPS, "from": "2026-13-01"}, "from"),
        ("/api/v1/funnels", {"steps": STEPS, "from": "2026-05-02", "to": "2026-05-01"}, "after it ends"),
        ("/api/v1/paths", {"from_event": "visit", "depth": 1}, "depth"),
        ("/api/v1/paths", {}, "from_event"),
        ("/api/v1/cohorts", {"grain": "day"}, "grain"),
        ("/api/v1/cohorts", {"periods": 0}, "periods"),
        ("/api/v1/impact", {"kpi": "nps"}, "date"),
        ("/api/v1/impact", {"date": "2026-05-10", "kpi": "happiness"}, "unknown metric 'happiness'"),
        ("/api/v1/impact", {"date": "2026-05-10", "kpi": "events:no spaces"}, "not an event type"),
    ],
)
def test_bad_parameters_are_422_with_a_clear_message(
    client: TestClient, reader: dict[str, str], path: str, params: dict[str, object], message: str
) -> None:
    response = client.get(path, params=params, headers=reader)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]


def test_without_dates_a_funnel_covers_the_30_days_up_to_the_newest_event(
    client: TestClient, store: Store, reader: dict[str, str]
) -> None:
    tables = standard_tables()  # the newest event is c1's app_open on May 26th
    tables["events"] += event_rows(
        [("c6", "visit", "web", datetime(2026, 3, 2, 10)), ("c6", "purchase", "web", datetime(2026, 3, 2, 11))]
    )
    load(store, tables)

    def ask(**dates: str) -> dict[str, object]:
        response = client.get("/api/v1/funnels", params={"steps": "visit,purchase", **dates}, headers=reader)
        assert response.status_code == 200, response.text
        return response.json()

    recent = ask()
    assert recent["period"] == {"from": "2026-04-27", "to": "2026-05-26"}
    assert (recent["entered"], recent["converted"]) == (4, 2)  # c1..c4; c6 entered in March
    everything = ask(**{"from": "2026-03-01"})
    assert everything["period"] == {"from": "2026-03-01", "to": "2026-05-26"}
    assert (everything["entered"], everything["converted"]) == (5, 3)
    march = ask(to="2026-03-31")
    assert march["period"] == {"from": "2026-03-02", "to": "2026-03-31"}
    assert (march["entered"], march["converted"]) == (1, 1)
    future = ask(**{"from": "2027-01-01"})
    assert future["empty"] is True
    assert future["period"] == {"from": "2027-01-01", "to": None}
