"""Journey pages rendered by the server: funnel, Sankey paths, cohort heatmap, emotion map and impact."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from analytics.journeys.journey_data import FUNNEL, event_rows, load, standard_tables
from cxloop import access
from cxloop.domain import Role
from cxloop.store.engine import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EMAIL, PASSWORD = "viewer@example.com", "correct horse battery"


@pytest.fixture
def viewer(duckdb_client: TestClient, duckdb_store: Store) -> TestClient:
    """A viewer: the least role that may read journeys."""
    access.create_user(duckdb_store, EMAIL, "보기 전용", PASSWORD, Role.VIEWER, source="tests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', duckdb_client.get("/login").text)
    assert token
    form = {"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"}
    assert duckdb_client.post("/login", data=form, follow_redirects=False).status_code == 303
    return duckdb_client


def test_pages_render_results(viewer: TestClient, duckdb_store: Store) -> None:
    load(duckdb_store, standard_tables())
    funnel = viewer.get("/journeys", params=[("step", s) for s in FUNNEL] + [("window", "7d"), ("by", "tier")])
    assert funnel.status_code == 200
    assert 'data-testid="funnel-chart"' in funnel.text
    assert 'data-testid="funnel-breakdown"' in funnel.text
    assert re.search(r'data-testid="drop-off-3">2 <span class="muted">\(50.0%\)', funnel.text)
    paths = viewer.get("/journeys/paths", params={"from_event": "visit", "to_event": "purchase"})
    assert 'data-testid="sankey"' in paths.text
    assert '<path class="band"' in paths.text
    cohorts = viewer.get("/journeys/cohorts", params={"grain": "week", "periods": 4})
    assert 'class="heat-8">75%' in cohorts.text  # 0.75 rounds into the 8th shade
    emotion = viewer.get("/journeys/emotion", params={"date": "2026-05-10", "kpi": "purchases"})
    assert 'data-testid="turning-point"' in emotion.text
    assert 'data-testid="impact-result"' in emotion.text


def test_bad_input_shows_next_to_the_form(viewer: TestClient) -> None:
    one_step = viewer.get("/journeys", params={"step": "visit"})
    assert one_step.status_code == 200
    assert "at least 2 steps" in one_step.text
    window = viewer.get("/journeys", params=[("step", "a"), ("step", "b"), ("window", "soon")])
    assert "not a duration" in window.text
    assert "is not a date" in viewer.get("/journeys/emotion", params={"date": "yesterday"}).text


def test_empty_store_says_no_data(viewer: TestClient) -> None:
    page = viewer.get("/journeys", params=[("step", "visit"), ("step", "purchase")])
    assert 'data-testid="no-data"' in page.text
    assert 'data-testid="no-data"' in viewer.get("/journeys/cohorts").text
    assert 'data-testid="no-data"' in viewer.get("/journeys/emotion").text


def test_the_purchase_funnel_is_offered_when_the_store_has_its_events(viewer: TestClient, duckdb_store: Store) -> None:
    assert 'data-testid="funnel-suggestion"' not in viewer.get("/journeys").text  # no events yet: nothing to offer
    load(duckdb_store, standard_tables())
    offered = re.search(r'data-testid="funnel-suggestion">[^<]*<a href="([^"]+)"', viewer.get("/journeys").text)
    assert offered
    link = offered.group(1).replace("&amp;", "&")
    assert link.startswith("/journeys?step=visit&")
    built = viewer.get(link)
    assert 'data-testid="funnel-chart"' in built.text
    assert 'data-testid="funnel-suggestion"' not in built.text  # a built funnel needs no suggestion


def test_the_funnel_shows_its_period_and_offers_wider_ones(viewer: TestClient, duckdb_store: Store) -> None:
    tables = standard_tables()  # May 4th to 26th, plus one shopper who visited and bought in March
    tables["events"] += event_rows(
        [("c6", "visit", "web", datetime(2026, 3, 2, 10)), ("c6", "purchase", "web", datetime(2026, 3, 2, 11))]
    )
    load(duckdb_store, tables)
    steps = [("step", "visit"), ("step", "purchase")]
    page = viewer.get("/journeys", params=steps).text
    # Without dates: the 30 days up to the newest event, filled into the form so they can be changed.
    assert 'name="from" value="2026-04-27"' in page
    assert 'name="to" value="2026-05-26"' in page
    assert re.search(r'data-testid="funnel-period">[^<]*2026-04-27[^<]*2026-05-26', page)
    assert "4명 중 2명이" in page
    presets = dict(re.findall(r'<a href="([^"]+)"[^>]*data-testid="preset-(\w+)"', page))
    presets = {key: href.replace("&amp;", "&") for href, key in presets.items()}
    assert set(presets) == {"last_7", "last_30", "all"}  # 86 days of data: "last 90 days" would be all of it
    assert 'aria-current="true">최근 30일' in page
    assert "from=2026-03-02&to=2026-05-26" in presets["all"]
    assert presets["all"].startswith("/journeys?step=visit&step=purchase&window=7d")
    everything = viewer.get(presets["all"]).text
    assert "5명 중 3명이" in everything
    assert 'aria-current="true">전체 기간' in everything
