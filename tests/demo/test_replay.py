"""The demo store lives its history: cases open when their feedback arrives, agents answer and resolve
them (some late), the SLA pass records the late ones, and the case KPIs have something to measure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cxloop.analytics.kpis import KpiQuery, compute_kpi
from cxloop.analytics.warehouse import open_warehouse
from cxloop.config import Settings
from cxloop.demo.build import build_demo
from cxloop.demo.replay import SLOT
from cxloop.store.engine import Store
from cxloop.store.tables import case_feedback, case_history, cases, feedback

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("demo")) / "data")
    build_demo(settings, customers=300)
    return Store(settings.resolved_database_url)


def _rows(store: Store, query: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def test_cases_open_when_their_feedback_arrives_and_recontacts_are_recent(demo_store: Store) -> None:
    opened = _rows(
        demo_store,
        sa.select(cases.c.created_at, feedback.c.occurred_at).join(
            feedback, feedback.c.id == cases.c.origin_feedback_id
        ),
    )
    assert len(opened) > 50
    assert all(timedelta(0) <= c["created_at"] - c["occurred_at"] <= SLOT for c in opened)
    joined = _rows(
        demo_store,
        sa.select(cases.c.created_at, feedback.c.occurred_at)
        .join(case_feedback, case_feedback.c.case_id == cases.c.id)
        .join(feedback, feedback.c.id == case_feedback.c.feedback_id)
        .where(case_feedback.c.is_recontact.is_(True)),
    )
    # A recontact belongs to a case of the last few weeks, not to a complaint from months before.
    assert joined
    assert all(j["occurred_at"] - j["created_at"] <= timedelta(days=30) for j in joined)


def test_agents_work_the_cases_and_late_work_is_a_recorded_breach(demo_store: Store) -> None:
    stored = _rows(demo_store, sa.select(cases))
    replied = [c for c in stored if c["first_response_at"] is not None]
    assert len(replied) / len(stored) > 0.8
    assert all(c["first_response_at"] >= c["created_at"] for c in replied)
    assert sum(c["status"] == "resolved" for c in stored) / len(stored) > 0.7
    late = [c for c in replied if c["first_response_at"] > c["first_response_due_at"]]
    assert late, "some replies come after their SLA target"
    assert all(c["first_response_breached_at"] is not None for c in late)
    on_time = [c for c in replied if c["first_response_at"] <= c["first_response_due_at"]]
    assert len(on_time) > len(late)
    breaches = _rows(demo_store, sa.select(case_history).where(case_history.c.action == "sla_breached"))
    assert {b["changes"]["target"] for b in breaches} == {"first_response", "resolution"}


def test_case_kpis_measure_the_demo_period(demo_store: Store) -> None:
    with open_warehouse(demo_store) as wh:
        for kpi in ("first_contact_resolution", "first_response_time", "resolution_time", "sla_compliance"):
            result = compute_kpi(wh, KpiQuery(kpi, compare=True))
            assert result["status"] == "ok", (kpi, result["reason"])
            assert result["total"]["n"] > 10, kpi
        compliance = compute_kpi(wh, KpiQuery("sla_compliance", start=date(2000, 1, 1)))["total"]["value"]
    assert 50 < compliance < 100  # over the whole history: mostly in time, not always


def test_the_history_ends_yesterday_so_recent_cases_are_still_live(demo_store: Store) -> None:
    today = (datetime.now(UTC) + timedelta(hours=9)).date()  # the demo's business time zone is KST
    newest = _rows(demo_store, sa.select(sa.func.max(feedback.c.occurred_at).label("at")))[0]["at"]
    assert today - timedelta(days=4) <= (newest + timedelta(hours=9)).date() < today
    still_open = _rows(demo_store, sa.select(cases).where(cases.c.resolved_at.is_(None)))
    # Cases still open at the end are the last few days' cases, not leftovers from months ago.
    assert all(today - (c["created_at"] + timedelta(hours=9)).date() <= timedelta(days=14) for c in still_open)
