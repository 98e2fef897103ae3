"""Journey analytics on the real store (DuckDB and PostgreSQL) against answers worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.journeys.journey_data import FUNNEL, T, event_rows, feedback_rows, load, standard_tables
from cxloop.analytics.journeys import (
    Period,
    cohort_retention,
    emotion_flow,
    event_impact,
    funnel,
    parse_steps,
    parse_window,
    top_paths,
)
from cxloop.analytics.warehouse import open_warehouse
from cxloop.errors import InvalidInput
from cxloop.store.engine import Store


@pytest.fixture
def loaded(store: Store) -> Store:
    load(store, standard_tables())
    return store


def counts(result: dict) -> list[int]:
    return [s["customers"] for s in result["steps"]]


def test_funnel_counts_drop_off_and_timing(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        result = funnel(wh, FUNNEL, parse_window("7d"))
    assert counts(result) == [4, 4, 2, 2, 2]
    assert result["entered"] == 4
    assert result["converted"] == 2
    assert result["conversion"] == 0.5
    cart = result["steps"][2]
    assert cart["drop_off"] == 2
    assert cart["drop_off_share"] == 0.5
    assert cart["from_previous"] == 0.5
    # c1 viewed 5 minutes after the visit, c2 2, c3 60, c4 60: the median of 2, 5, 60, 60 is 32.5 min.
    assert result["steps"][1]["median_seconds_from_previous"] == 32.5 * 60
    # Purchase from the visit: c1 30 min, c4 5 days 23 h; the median is their midpoint.
    assert result["steps"][4]["median_seconds_from_start"] == (30 * 60 + (5 * 86400 + 23 * 3600)) / 2


def test_funnel_window_cuts_slow_conversions(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        assert counts(funnel(wh, FUNNEL, parse_window("1d"))) == [4, 4, 2, 2, 1]
        assert counts(funnel(wh, FUNNEL, parse_window("15m"))) == [4, 2, 1, 0, 0]


def test_funnel_breakdowns(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        by_channel = {g["group"]: counts(g) for g in funnel(wh, FUNNEL, parse_window("7d"), by="channel")["breakdown"]}
        by_tier = {g["group"]: counts(g) for g in funnel(wh, FUNNEL, parse_window("7d"), by="tier")["breakdown"]}
    assert by_channel == {"web": [3, 3, 2, 2, 2], "app": [1, 1, 0, 0, 0]}
    assert by_tier == {"gold": [2, 2, 1, 1, 1], "silver": [1, 1, 0, 0, 0], "(unknown)": [1, 1, 1, 1, 1]}


def test_funnel_period_limits_entries_by_local_day(loaded: Store) -> None:
    # Visits on May 4th and 5th (UTC 10:00 = 19:00 in Seoul) are inside; c4's visit on the 6th is out.
    with open_warehouse(loaded) as wh:
        result = funnel(
            wh, FUNNEL, parse_window("7d"), period=Period(date(2026, 5, 4), date(2026, 5, 5)), offset_minutes=540
        )
    assert counts(result) == [3, 3, 1, 1, 1]


def test_empty_store_gives_no_data_not_an_error(store: Store) -> None:
    with open_warehouse(store) as wh:
        result = funnel(wh, FUNNEL, parse_window("7d"), by="tier")
        assert result["empty"]
        assert counts(result) == [0] * 5
        assert result["conversion"] is None
        assert cohort_retention(wh)["empty"]
        assert top_paths(wh, "visit", "purchase", parse_window("7d"))["empty"]
        assert emotion_flow(wh)["empty"]
        assert event_impact(wh, "nps", date(2026, 5, 20))["empty"]


def test_weekly_cohorts(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        result = cohort_retention(wh, grain="week", periods=4)
    first, later = result["cohorts"]
    assert (first["cohort"], first["size"]) == (date(2026, 5, 4), 4)
    assert first["retention"] == [1.0, 0.75, 0.0, 0.25, None]
    assert (later["cohort"], later["size"]) == (date(2026, 5, 18), 1)
    assert later["retention"] == [1.0, 0.0, None, None, None]
    assert result["average"][1] == pytest.approx(3 / 5)


def test_cohorts_of_a_chosen_event(loaded: Store) -> None:
    # Purchasers: c1 (May 4th, active again May 12th, 26th), c4 (May 12th), c5 (May 20th).
    with open_warehouse(loaded) as wh:
        result = cohort_retention(wh, grain="month", event="purchase", periods=2)
    [may] = result["cohorts"]
    assert (may["cohort"], may["size"], may["retention"]) == (date(2026, 5, 1), 3, [1.0, None, None])


def test_paths_between_two_events(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        result = top_paths(wh, "visit", "purchase", parse_window("7d"), depth=5)
        short = top_paths(wh, "visit", "purchase", parse_window("7d"), depth=3)
    full = ["visit", "product_view", "add_to_cart", "checkout", "purchase"]
    assert result["customers"] == 2
    assert result["paths"] == [{"path": full, "customers": 2, "share": 1.0}]
    assert short["paths"][0]["path"] == ["visit", "product_view", "…", "purchase"]
    links = {(link["source"], link["target"]): link["customers"] for link in result["links"]}
    assert links[("0:visit", "1:product_view")] == 2
    assert len(result["nodes"]) == 5


def test_emotion_flow_marks_where_experience_turns_bad(loaded: Store) -> None:
    with open_warehouse(loaded) as wh:
        flow = emotion_flow(wh)
    stages = {s["stage"]: s for s in flow["stages"]}
    assert [s["stage"] for s in flow["stages"]][:3] == ["awareness", "consideration", "purchase"]
    assert stages["purchase"]["sentiment_index"] == 100.0
    assert stages["delivery"]["sentiment_index"] == -50.0
    assert stages["delivery"]["volume"] == 6
    assert stages["delivery"]["nps"] == pytest.approx(-33.3)
    assert stages["delivery"]["top_complaints"][0] == {"topic": "delivery_delay", "mentions": 3}
    assert stages["support"]["top_complaints"][0] == {"topic": "agent_attitude", "mentions": 2}
    assert flow["turning_point"] == "delivery"
    assert stages["delivery"]["turning_point"]
    assert stages["awareness"]["volume"] == 0
    assert stages["awareness"]["sentiment_index"] is None


def test_event_impact_detects_a_jump_in_negative_share(store: Store) -> None:
    before = [("use", "negative" if i % 10 == 0 else "positive", None, ()) for i in range(60)]
    after = [("use", "negative" if i % 10 < 6 else "positive", None, ()) for i in range(60)]
    rows_before, _ = feedback_rows(before, at=T(15))
    rows_after, _ = feedback_rows(after, at=T(21))
    purchases = event_rows([("c1", "purchase", "web", T(d)) for d in range(10, 24)])
    load(store, {"feedback": rows_before + rows_after, "events": purchases})
    with open_warehouse(store) as wh:
        impact = event_impact(wh, "negative_share", date(2026, 5, 20), days_before=7, days_after=7)
        flat = event_impact(wh, "purchases", date(2026, 5, 20), days_before=7, days_after=4)
    assert impact["before"] == pytest.approx(0.1)
    assert impact["after"] == pytest.approx(0.6)
    assert impact["significant"]
    assert impact["p_value"] < 0.001
    assert impact["test"] == "chi-square"
    assert len(impact["series"]) == 14
    assert impact["series"][7]["after"]
    assert flat["before"] == 1.0
    assert flat["after"] == 1.0
    assert not flat["significant"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_steps(["visit"]), "at least 2 steps"),
        (lambda: parse_steps("visit, ,"), "at least 2 steps"),
        (lambda: parse_steps("visit,pur chase"), "not an event type"),
        (lambda: parse_window("7 days"), "not a duration"),
        (lambda: parse_window("0d"), "longer than zero"),
        (lambda: Period(date(2026, 5, 2), date(2026, 5, 1)), "after it ends"),
    ],
)
def test_bad_parameters_are_named(call: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()  # type: ignore[operator]
