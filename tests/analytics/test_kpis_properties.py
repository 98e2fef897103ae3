"""Properties of the KPI estimators, bad input, the catalog's own checks, and a real migrated store."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxloop.analytics import stats
from cxloop.analytics.catalog import CatalogError, load_catalog, parse_catalog
from cxloop.analytics.kpis import KpiQuery, compute_kpi
from cxloop.analytics.warehouse import Warehouse, open_warehouse
from cxloop.errors import InvalidInput, NotFound
from cxloop.store.engine import Store

answers = st.lists(st.tuples(st.sampled_from(["nps", "csat", "ces"]), st.integers(0, 10)), min_size=0, max_size=40)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(0, n))))
def test_nps_estimate_stays_in_range(sample: tuple[int, int, int]) -> None:
    n, promoters, detractors = sample
    detractors = min(detractors, n - promoters)
    estimate = stats.nps(n, promoters, detractors)
    assert -100 <= estimate.value <= 100
    assert estimate.ci_low is not None
    assert estimate.ci_high is not None
    assert -100 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 100


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_share_and_its_interval_stay_in_unit_range(sample: tuple[int, int]) -> None:
    n, hits = sample
    estimate = stats.proportion(hits, n)
    assert estimate.ci_low is not None
    assert estimate.ci_high is not None
    assert 0 <= estimate.ci_low <= estimate.value <= estimate.ci_high <= 1


def _survey_warehouse(rows: list[tuple[str, int]]) -> Warehouse:
    base = datetime(2026, 5, 1, 3)
    kept = [(kind, score if kind == "nps" else 1 + score % (5 if kind == "csat" else 7)) for kind, score in rows]
    feedback = pa.table(
        {
            "id": pa.array([f"f{i}" for i in range(len(kept))], pa.string()),
            "customer_id": pa.array([None] * len(kept), pa.string()),
            "channel": pa.array(["survey"] * len(kept), pa.string()),
            "language": pa.array(["ko"] * len(kept), pa.string()),
            "journey_stage": pa.array([None] * len(kept), pa.string()),
            "occurred_at": pa.array([base + timedelta(hours=i) for i in range(len(kept))], pa.timestamp("us")),
            "survey_type": pa.array([k for k, _ in kept], pa.string()),
            "score": pa.array([s for _, s in kept], pa.int16()),
        }
    )
    backend = ibis.duckdb.connect()
    backend.create_table("feedback", ibis.memtable(feedback))
    return Warehouse(backend, "duckdb")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers)
def test_kpis_on_random_answers_stay_in_range(rows: list[tuple[str, int]]) -> None:
    wh = _survey_warehouse(rows)
    window = {"start": date(2026, 5, 1), "end": date(2026, 5, 7)}
    nps = compute_kpi(wh, KpiQuery("nps", **window))["total"]
    csat = compute_kpi(wh, KpiQuery("csat", **window))["total"]
    assert nps["n"] == sum(1 for kind, _ in rows if kind == "nps")
    assert (nps["value"] is None) == (nps["n"] == 0)
    if nps["n"]:
        assert -100 <= nps["value"] <= 100
    if csat["n"]:
        assert 0 <= csat["value"] / 100 <= 1


def test_bad_queries_name_what_is_wrong() -> None:
    wh = _survey_warehouse([("nps", 9)])
    with pytest.raises(NotFound, match="unknown KPI 'nope'"):
        compute_kpi(wh, KpiQuery("nope"))
    with pytest.raises(InvalidInput, match="cannot be sliced by 'channel'"):
        compute_kpi(wh, KpiQuery("complaint_rate", by="channel"))
    with pytest.raises(InvalidInput, match="filter: nps cannot be sliced by 'team'"):
        compute_kpi(wh, KpiQuery("nps", filters={"team": "x"}))
    with pytest.raises(InvalidInput, match="grain must be one of"):
        compute_kpi(wh, KpiQuery("nps", grain="hour"))
    with pytest.raises(InvalidInput, match="is after to"):
        compute_kpi(wh, KpiQuery("nps", start=date(2026, 5, 9), end=date(2026, 5, 1)))
    with pytest.raises(InvalidInput, match="coarser grain"):
        compute_kpi(wh, KpiQuery("nps", start=date(2000, 1, 1), end=date(2026, 5, 1), grain="day"))


def test_catalog_is_bilingual_and_rejects_broken_definitions() -> None:
    for definition in load_catalog().values():
        assert definition.name["ko"]
        assert definition.name["en"]
        assert definition.formula["ko"]
        assert definition.localized("ko")["name"] == definition.name["ko"]
    good = "kpis:\n  - {id: x, name: {ko: a, en: b}, formula: {ko: a, en: b}, description: {ko: a, en: b},\n"
    good += "     unit: percent, higher_is_better: true, dimensions: [channel], owner: o, significance: none,\n"
    good += "     time_basis: feedback.occurred_at / events.occurred_at}\n"
    assert list(parse_catalog(good)) == ["x"]
    assert parse_catalog(good)["x"].time_columns == (("feedback", "occurred_at"), ("events", "occurred_at"))
    with pytest.raises(CatalogError, match="time_basis"):
        parse_catalog(good.replace("feedback.occurred_at /", "whenever /"))
    with pytest.raises(CatalogError, match="unknown dimensions"):
        parse_catalog(good.replace("[channel]", "[planet]"))
    with pytest.raises(CatalogError, match="ko and en"):
        parse_catalog(good.replace("name: {ko: a, en: b}", "name: {ko: a}"))
    with pytest.raises(CatalogError, match="defined twice"):
        parse_catalog(good + good.split("\n", 1)[1])


def test_real_store_answers_no_data_instead_of_failing(store: Store) -> None:
    """A freshly migrated store on DuckDB and PostgreSQL: every KPI answers, none errors; case and
    action KPIs say why when their tables or contract columns are not there yet."""
    with open_warehouse(store) as wh:
        for name in load_catalog():
            result = compute_kpi(wh, KpiQuery(name, grain="week", compare=True))
            assert result["status"] == "no_data", name
            assert result["total"]["value"] is None, name
            assert result["reason"], name
        actions = compute_kpi(wh, KpiQuery("voc_to_action_days"))
        if not wh.has_table("improvement_actions"):
            assert "improvement_actions" in actions["reason"]


def test_case_kpis_read_the_real_cases_table(store: Store) -> None:
    """The contract columns as migrations 0005 made them: two resolved cases, one first-contact."""
    import sqlalchemy as sa

    from cxloop.domain import new_id
    from cxloop.store.tables import cases

    if "fcr" not in cases.c:
        pytest.skip("this checkout's cases table has no closed-loop columns yet")
    created = datetime(2026, 5, 2, 1)
    base = {"subject": "배송 지연", "status": "resolved", "priority": "normal", "version": 1, "source": "tests"}
    rows = [
        {**base, "id": new_id(), "created_at": created, "updated_at": created, "channel": "chat", "fcr": fcr,
         "first_response_at": created + timedelta(hours=hours), "resolved_at": created + timedelta(hours=2 * hours),
         "reopen_count": 0, "recontact_count": int(not fcr)}
        for fcr, hours in ((True, 1), (False, 3))
    ]  # fmt: skip
    with store.write() as conn:
        conn.execute(sa.insert(cases), rows)
    window = {"start": date(2026, 5, 1), "end": date(2026, 5, 7)}
    with open_warehouse(store) as wh:
        fcr = compute_kpi(wh, KpiQuery("first_contact_resolution", **window, by="channel"))
        frt = compute_kpi(wh, KpiQuery("first_response_time", **window))
    assert fcr["total"]["value"] == 50.0
    assert fcr["rows"] == [{"channel": "chat", **fcr["total"]}]
    assert frt["total"]["value"] == 2.0  # median of 1 h and 3 h
