"""Journey pages rendered by the server: funnel, Sankey paths, cohort heatmap, emotion map and impact."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from analytics.journeys.journey_data import FUNNEL, load, standard_tables
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
