"""Every catalog KPI on the hand-made data set, on DuckDB, PostgreSQL and Spark, against answers
worked out by hand (see the comments; the data are in conftest.py)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import ibis
import pytest
from scipy import stats as scipy_stats

from analytics.conftest import kpi_tables
from cxloop.analytics.catalog import load_catalog
from cxloop.analytics.kpis import IMPLEMENTATIONS, KpiQuery, compute_kpi
from cxloop.analytics.warehouse import Warehouse

MAY = {"start": date(2026, 5, 1), "end": date(2026, 5, 7)}


def kpi(wh: Warehouse, name: str, **options: Any) -> dict[str, Any]:
    return compute_kpi(wh, KpiQuery(name, **{**MAY, **options}))


def by(result: dict[str, Any], key: str) -> dict[Any, Any]:
    return {row[key]: row["value"] for row in result["rows"]}


def test_nps_with_interval_and_previous_period(kpi_warehouse: Warehouse) -> None:
    # Current: scores 10, 9, 7, 3, 0 and 9 (f09 is 04-30 16:00 UTC = 05-01 01:00 in Seoul): 3 promoters,
    # 2 detractors of 6 → NPS 16.67. Previous: 10, 10, 8 → 66.67.
    result = kpi(kpi_warehouse, "nps", compare=True)
    total = result["total"]
    assert total["n"] == 6
    assert total["value"] == pytest.approx(100 / 6, abs=1e-4)
    se = 100 * math.sqrt((3 / 6 + 2 / 6 - (1 / 6) ** 2) / 6)
    assert total["ci_low"] == pytest.approx(100 / 6 - 1.959964 * se, abs=1e-3)
    assert total["ci_high"] == pytest.approx(100 / 6 + 1.959964 * se, abs=1e-3)
    assert result["previous"]["value"] == pytest.approx(200 / 3, abs=1e-4)
    assert result["previous"]["n"] == 3
    comparison = result["comparison"]
    assert comparison["difference"] == pytest.approx(-50.0, abs=1e-4)
    assert comparison["direction"] == "worse"
    assert comparison["test"] == "nps_difference"
    se_prev = 100 * math.sqrt((2 / 3 - (2 / 3) ** 2) / 3)
    z = -50 / math.hypot(se, se_prev)
    assert comparison["p_value"] == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), abs=1e-5)
    assert result["previous_period"] == {"from": "2026-04-24", "to": "2026-04-30"}


def test_nps_slices(kpi_warehouse: Warehouse) -> None:
    # ko: 10, 9, 3, 9 → 50; en: 7, 0 → -50.
    assert by(kpi(kpi_warehouse, "nps", by="language"), "language") == {"ko": 50.0, "en": -50.0}
    # gold (c1, c3): 10, 3, 7 → 0; silver (c2): 9, 9 → 100; c4 has no tier: 0 → -100.
    assert by(kpi(kpi_warehouse, "nps", by="segment"), "segment") == {"gold": 0.0, "silver": 100.0, None: -100.0}
    # delivery topic: f02 (9) and f04 (3) → 0; items without a topic: 10, 7, 0, 9 → 25.
    assert by(kpi(kpi_warehouse, "nps", by="topic"), "topic") == {"delivery": 0.0, None: 25.0}
    filtered = kpi(kpi_warehouse, "nps", filters={"language": "en"})
    assert filtered["total"]["value"] == -50.0
    assert filtered["total"]["n"] == 2


def test_grain_uses_business_days_and_fills_empty_buckets(kpi_warehouse: Warehouse) -> None:
    days = kpi(kpi_warehouse, "nps", grain="day")["rows"]
    assert [r["bucket"] for r in days] == [f"2026-05-0{d}" for d in range(1, 8)]
    # 05-01: f01 and f09 (promoters) → 100; 05-04: f04 → -100; 05-06 and 05-07: explicit no data.
    assert [(r["value"], r["n"]) for r in days] == [
        (100.0, 2), (100.0, 1), (0.0, 1), (-100.0, 1), (-100.0, 1), (None, 0), (None, 0)
    ]  # fmt: skip
    weeks = kpi(kpi_warehouse, "nps", grain="week")["rows"]  # 2026-05-01 is a Friday
    assert [(r["bucket"], r["value"], r["n"]) for r in weeks] == [("2026-04-27", 75.0, 4), ("2026-05-04", -100.0, 2)]
    months = kpi(kpi_warehouse, "nps", grain="month", start=date(2026, 4, 1))["rows"]
    # April: 10, 10, 8 → 66.67; May: the current six → 16.67.
    assert [r["bucket"] for r in months] == ["2026-04-01", "2026-05-01"]
    assert [r["value"] for r in months] == pytest.approx([200 / 3, 100 / 6], abs=1e-4)


def test_survey_shares_and_means(kpi_warehouse: Warehouse) -> None:
    csat = kpi(kpi_warehouse, "csat", compare=True)  # 5, 4, 2 → 2 of 3 satisfied; previous: 5 → 1 of 1
    assert csat["total"]["value"] == pytest.approx(200 / 3, abs=1e-4)
    assert csat["previous"]["value"] == 100.0
    pooled = 3 / 4
    z = (2 / 3 - 1) / math.sqrt(pooled * (1 - pooled) * (1 / 3 + 1))
    assert csat["comparison"]["p_value"] == pytest.approx(2 * scipy_stats.norm.sf(abs(z)), abs=1e-5)
    ces = kpi(kpi_warehouse, "ces")["total"]  # 7, 4, 5 → mean 5.33; 7 and 5 are easy (≥ 5)
    assert ces["value"] == pytest.approx(16 / 3, abs=1e-4)
    assert ces["easy_share"] == pytest.approx(200 / 3, abs=1e-4)
    interval = scipy_stats.t.interval(0.95, 2, loc=16 / 3, scale=scipy_stats.sem([7, 4, 5]))
    assert (ces["ci_low"], ces["ci_high"]) == pytest.approx(interval, abs=1e-4)


def test_text_and_commerce(kpi_warehouse: Warehouse) -> None:
    # Labelled items in May: 6 positive (f01 f02 f09 f10 f19 f20), 5 negative, 1 neutral → (6 − 5) / 12.
    sentiment = kpi(kpi_warehouse, "sentiment_index")["total"]
    assert sentiment["value"] == pytest.approx(100 / 12, abs=1e-4)
    assert sentiment["n"] == 12
    complaints = kpi(kpi_warehouse, "complaint_rate", by="segment", compare=True)
    # Negative non-survey items f17 (c1) and f18 (c2) per purchases e03, e06, e08 → 2 / 3 × 1000.
    assert complaints["total"]["value"] == pytest.approx(2000 / 3, abs=1e-3)
    assert complaints["previous"]["value"] == 1000.0  # f21 per e10
    assert by(complaints, "segment") == {"gold": 1000.0, "silver": 1000.0, None: 0.0}
    # Visitors c1, c2, c3; c1 and c2 bought → 2/3. By channel: web c1 bought, c3 did not; app c2 bought.
    conversion = kpi(kpi_warehouse, "conversion_rate", by="channel")
    assert conversion["total"]["value"] == pytest.approx(200 / 3, abs=1e-4)
    assert by(conversion, "channel") == {"web": 50.0, "app": 100.0}
    # Buyers c1 (bought before, on 04-20), c2 and c4 (first purchases) → 1/3.
    assert kpi(kpi_warehouse, "repurchase_rate")["total"]["value"] == pytest.approx(100 / 3, abs=1e-4)
    aov = kpi(kpi_warehouse, "average_order_value", by="segment")
    assert aov["total"]["value"] == pytest.approx(100000 / 3, abs=1e-3)
    assert by(aov, "segment") == {"gold": 30000.0, "silver": 20000.0, None: 50000.0}


def test_customer_shares_count_each_customer_once_per_slice(kpi_warehouse: Warehouse) -> None:
    """Conversion and repurchase fold each customer per slice (one grouping, bit masks): a customer is
    in a slice's denominator and numerator only by that slice's own rows."""

    def rows(name: str, grain: str) -> dict[str, tuple[float | None, int]]:
        result = kpi(kpi_warehouse, name, grain=grain, compare=True)
        return {r["bucket"]: (r["value"], r["n"]) for r in result["rows"]}

    # Visitors c1 (05-01), c2 (05-02), c3 (05-03); purchases c1 05-02, c2 05-03, c4 05-05.
    conversion = kpi(kpi_warehouse, "conversion_rate", grain="week", compare=True)
    assert (conversion["total"]["value"], conversion["total"]["n"]) == (pytest.approx(200 / 3, abs=1e-4), 3)
    assert conversion["previous"]["n"] == 0  # 04-24..04-30: c3 bought on 04-27 but browsed nothing
    assert rows("conversion_rate", "week") == {
        "2026-04-27": (pytest.approx(200 / 3, abs=1e-4), 3),
        "2026-05-04": (None, 0),
    }
    # By day nobody browsed and bought on the same day: three visiting days, no conversion on any.
    daily = rows("conversion_rate", "day")
    assert [daily[f"2026-05-0{d}"] for d in (1, 2, 3)] == [(0.0, 1)] * 3
    assert all(daily[f"2026-05-0{d}"] == (None, 0) for d in (4, 5, 6, 7))
    assert rows("conversion_rate", "month") == {"2026-05-01": (pytest.approx(200 / 3, abs=1e-4), 3)}
    # Days far from the period start use the high bits of the 64-bit masks (bit 40 and up here), and
    # more than 62 days take the general path: both give the same days.
    folded = kpi(kpi_warehouse, "conversion_rate", start=date(2026, 3, 20), end=date(2026, 5, 8), grain="day")
    general = kpi(kpi_warehouse, "conversion_rate", start=date(2026, 1, 1), end=date(2026, 5, 8), grain="day")
    assert folded["total"] == general["total"]
    assert folded["total"]["n"] == 3
    tail = {r["bucket"]: r for r in general["rows"] if r["bucket"] >= "2026-03-20"}
    assert {r["bucket"]: r for r in folded["rows"]} == tail
    assert [tail[f"2026-05-0{d}"]["n"] for d in range(1, 6)] == [1, 1, 1, 0, 0]
    # Buyers c1 (a repeat: first bought 04-20), c2, c4; the week of 04-27 holds c1 and c2, not c3's
    # 04-27 purchase, which is the previous period's (c3's first, so 0 % there).
    repurchase = kpi(kpi_warehouse, "repurchase_rate", grain="week", compare=True)
    assert (repurchase["previous"]["value"], repurchase["previous"]["n"]) == (0.0, 1)
    assert rows("repurchase_rate", "week") == {"2026-04-27": (50.0, 2), "2026-05-04": (0.0, 1)}


def test_case_kpis(kpi_warehouse: Warehouse) -> None:
    def value(name: str, **options: Any) -> Any:
        return kpi(kpi_warehouse, name, **options)["total"]

    assert value("first_contact_resolution")["value"] == 50.0  # k1 yes, k2 no (by resolution time)
    frt = value("first_response_time")  # 2 h, 5 h, 1 h → median 2, p90 2 + 0.8 × 3
    assert (frt["value"], frt["p90"], frt["n"]) == (2.0, pytest.approx(4.4), 3)
    resolution = value("resolution_time")  # 10 h, 30 h
    assert (resolution["value"], resolution["p90"]) == (20.0, pytest.approx(28.0))
    assert value("reopen_rate")["value"] == 50.0  # ever resolved: k1, k2; k2 reopened
    assert value("recontact_rate")["value"] == 50.0  # k2 and k3 of four
    assert value("sla_compliance")["value"] == pytest.approx(100 / 3, abs=1e-4)  # k1 met; k2, k4 breached
    sla_by_team = kpi(kpi_warehouse, "sla_compliance", by="team")
    assert by(sla_by_team, "team") == {"Delivery": 50.0, "Billing": 0.0}
    # a1 shipped 05-05 00:00; linked f04 (05-04 03:00, 0.875 d) and f17 (05-02 03:00, 2.875 d).
    lead = value("voc_to_action_days")
    assert (lead["value"], lead["p90"], lead["n"]) == (1.875, pytest.approx(2.675), 2)


def test_mann_whitney_matches_scipy(kpi_warehouse: Warehouse) -> None:
    comparison = kpi(kpi_warehouse, "first_response_time", compare=True)["comparison"]
    expected = scipy_stats.mannwhitneyu([2.0, 5.0, 1.0], [4.0], method="asymptotic", use_continuity=False)
    assert comparison["test"] == "mann_whitney"
    assert comparison["p_value"] == pytest.approx(expected.pvalue, abs=1e-6)
    assert comparison["difference"] == -2.0
    assert comparison["direction"] == "better"


def test_empty_slices_are_explicit_no_data(kpi_warehouse: Warehouse) -> None:
    empty = kpi(kpi_warehouse, "nps", start=date(2025, 1, 1), end=date(2025, 1, 31), grain="week", compare=True)
    assert empty["status"] == "no_data"
    assert empty["total"] == {"value": None, "n": 0, "ci_low": None, "ci_high": None}
    assert empty["rows"]
    assert all(r["value"] is None and r["n"] == 0 for r in empty["rows"])
    assert empty["comparison"] is None
    nothing = kpi(kpi_warehouse, "csat", filters={"channel": "no-such-channel"})
    assert nothing["total"]["n"] == 0
    assert nothing["total"]["value"] is None


def _reference() -> Warehouse:
    backend = ibis.duckdb.connect()
    for name, data in kpi_tables().items():
        backend.create_table(name, ibis.memtable(data))
    return Warehouse(backend, "duckdb")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a if k != "engine")
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_every_kpi_is_equal_on_every_engine(kpi_warehouse: Warehouse) -> None:
    """The same expressions give the same answers on this engine as on DuckDB, for every KPI by week,
    against the previous period, sliced by one of its dimensions (each dimension kind comes up:
    plain columns, topics, tiers and teams). Spark runs a job per query, so the matrix stays small."""
    reference = _reference()
    for i, (name, definition) in enumerate(load_catalog().items()):
        dimension = definition.dimensions[i % len(definition.dimensions)]
        query = KpiQuery(name, **MAY, by=dimension, grain="week", compare=True)
        here, there = compute_kpi(kpi_warehouse, query), compute_kpi(reference, query)
        assert there["total"]["n"] > 0, name
        assert _equal(here, there), f"{name} by {dimension} differs on {kpi_warehouse.engine}"


def test_every_catalog_kpi_has_one_implementation_with_its_dimensions() -> None:
    catalog = load_catalog()
    assert set(catalog) == set(IMPLEMENTATIONS)
    for name, definition in catalog.items():
        assert set(definition.dimensions) == set(IMPLEMENTATIONS[name].dimensions), name
