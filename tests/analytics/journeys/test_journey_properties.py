"""Properties that hold for any event log: funnels never grow and match a brute-force oracle; cohort
cells are shares of their cohort. Run on a real in-memory DuckDB through the same Ibis code."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

import duckdb
import ibis
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics.journeys.journey_data import arrow_tables, event_rows
from cxloop.analytics.journeys import Period, cohort_retention, funnel, parse_window
from cxloop.analytics.warehouse import Warehouse

TYPES = ("a", "b", "c", "d")
BASE = datetime(2026, 3, 2)  # a Monday
log = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from(TYPES), st.integers(0, 60 * 24 * 70)), min_size=0, max_size=60
)
steps = st.lists(st.sampled_from(TYPES), min_size=2, max_size=4)


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    yield con
    con.close()


def warehouse(con: duckdb.DuckDBPyConnection, items: list[tuple[int, str, int]]) -> Warehouse:
    rows = event_rows((f"u{c}", kind, "web", BASE + timedelta(minutes=m)) for c, kind, m in items)
    tables = arrow_tables({"events": rows})
    for name in ("events", "customers"):
        con.register(name, tables[name])
    return Warehouse(ibis.duckdb.from_connection(con), "duckdb")


def oracle(
    items: list[tuple[int, str, int]], funnel_steps: list[str], window_minutes: int, entry: range | None = None
) -> list[int]:
    """Per customer: enter at the first step-1 event (inside `entry` minutes, if given), then take the
    earliest later event of each step, inside the window even when that runs past the period."""
    reached = [0] * len(funnel_steps)
    for customer in {c for c, _, _ in items}:
        mine = sorted((m, kind) for c, kind, m in items if c == customer)
        starts = [m for m, kind in mine if kind == funnel_steps[0] and (entry is None or m in entry)]
        if not starts:
            continue
        t0 = at = starts[0]
        reached[0] += 1
        for k, step in enumerate(funnel_steps[1:], start=1):
            later = [m for m, kind in mine if kind == step and at < m <= t0 + window_minutes]
            if not later:
                break
            at = later[0]
            reached[k] += 1
    return reached


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=log, funnel_steps=steps, hours=st.integers(1, 24 * 20))
def test_funnel_is_monotone_and_matches_the_oracle(
    duck: duckdb.DuckDBPyConnection, items: list[tuple[int, str, int]], funnel_steps: list[str], hours: int
) -> None:
    result = funnel(warehouse(duck, items), funnel_steps, parse_window(f"{hours}h"))
    counts = [s["customers"] for s in result["steps"]]
    assert all(later <= earlier for earlier, later in itertools.pairwise(counts))
    assert counts == oracle(items, funnel_steps, hours * 60)
    assert all(s["drop_off"] >= 0 for s in result["steps"])
    assert result["empty"] == (counts[0] == 0)


# Few customers with many events over a few weeks, and short periods: customers whose steps come out
# of order (matched hop by hop) and steps that finish after the period are common.
dense_log = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(TYPES), st.integers(0, 60 * 24 * 21)), min_size=0, max_size=40
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=dense_log, funnel_steps=steps, hours=st.integers(1, 24 * 10), first=st.integers(0, 14), days=st.integers(1, 5)
)
# An out-of-order customer (a "b" before the "a", same day) whose "b" after it falls on the next day.
@example(items=[(0, "b", 1440 + 480), (0, "a", 1440 + 600), (0, "b", 2 * 1440 + 60)], funnel_steps=["a", "b"], hours=72,
         first=1, days=1)  # fmt: skip
def test_funnel_over_a_period_matches_the_oracle(
    duck: duckdb.DuckDBPyConnection,
    items: list[tuple[int, str, int]],
    funnel_steps: list[str],
    hours: int,
    first: int,
    days: int,
) -> None:
    """Customers enter inside the period; their later steps may finish inside the window after it."""
    period = Period(BASE.date() + timedelta(days=first), BASE.date() + timedelta(days=first + days - 1))
    result = funnel(warehouse(duck, items), funnel_steps, parse_window(f"{hours}h"), period=period)
    entry = range(first * 24 * 60, (first + days) * 24 * 60)
    assert [s["customers"] for s in result["steps"]] == oracle(items, funnel_steps, hours * 60, entry)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=log, grain=st.sampled_from(["week", "month"]), chosen=st.sampled_from([None, "a"]))
def test_cohort_cells_are_shares_of_their_cohort(
    duck: duckdb.DuckDBPyConnection, items: list[tuple[int, str, int]], grain: str, chosen: str | None
) -> None:
    result = cohort_retention(warehouse(duck, items), grain=grain, event=chosen, periods=8)
    members = {c for c, kind, _ in items if chosen is None or kind == chosen}
    assert sum(c["size"] for c in result["cohorts"]) == len(members)
    assert result["empty"] == (not members)
    for cohort in result["cohorts"]:
        assert cohort["retention"][0] == 1.0
        cells = [v for v in cohort["retention"] if v is not None]
        assert all(0.0 <= v <= 1.0 for v in cells)
        # Unobserved periods come only after observed ones.
        observed = [v is not None for v in cohort["retention"]]
        assert observed == sorted(observed, reverse=True)
