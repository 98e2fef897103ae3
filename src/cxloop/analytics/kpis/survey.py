"""Survey KPIs: NPS (0-10), CSAT (1-5) and CES (1-7), the scales ingest validates (SURVEY_SCALES)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis

from cxloop.analytics.kpis.base import (
    CUSTOMER_TIER,
    FEEDBACK_TOPIC,
    DimensionSource,
    KpiImplementation,
    Measure,
    column,
)
from cxloop.analytics.warehouse import Warehouse

#: Every feedback KPI is sliced the same way: the item's own columns, its topics and its customer's tier.
FEEDBACK_DIMENSIONS = {
    "channel": column("channel"),
    "language": column("language"),
    "journey_stage": column("journey_stage"),
    "topic": DimensionSource(FEEDBACK_TOPIC, "feedback_id"),
    "segment": DimensionSource(CUSTOMER_TIER, "customer_id"),
}
FEEDBACK_COLUMNS = ("id", "customer_id", "channel", "language", "journey_stage", "occurred_at")
CSAT_SATISFIED = 4  # 4 and 5 on the 1-5 scale
CES_EASY = 5  # 5, 6 and 7 on the 1-7 agreement scale ("it was easy ..."), higher is easier


Column = Callable[[ibis.Table], Any]


def feedback_facts(wh: Warehouse, keep: Column | None = None, **measures: Column) -> ibis.Table:
    """One row per feedback item that `keep` selects, with the feedback dimensions and `measures`."""
    f = wh.table("feedback")
    rows = f if keep is None else f.filter(keep(f))
    return rows.select(
        at=rows.occurred_at,
        feedback_id=rows.id,
        customer_id=rows.customer_id,
        channel=rows.channel,
        language=rows.language,
        journey_stage=rows.journey_stage,
        **{name: measure(rows) for name, measure in measures.items()},
    )


def _nps(wh: Warehouse) -> ibis.Table:
    return feedback_facts(wh, lambda f: f.survey_type == "nps", score=lambda f: f.score)


def _csat(wh: Warehouse) -> ibis.Table:
    return feedback_facts(wh, lambda f: f.survey_type == "csat", hit=lambda f: f.score >= CSAT_SATISFIED)


def _ces(wh: Warehouse) -> ibis.Table:
    return feedback_facts(wh, lambda f: f.survey_type == "ces", x=lambda f: f.score, hit=lambda f: f.score >= CES_EASY)


_SURVEY_COLUMNS = {"feedback": (*FEEDBACK_COLUMNS, "survey_type", "score")}

SURVEY_KPIS = (
    KpiImplementation("nps", Measure("nps"), _nps, FEEDBACK_DIMENSIONS, _SURVEY_COLUMNS),
    KpiImplementation("csat", Measure("share", 100.0), _csat, FEEDBACK_DIMENSIONS, _SURVEY_COLUMNS),
    KpiImplementation("ces", Measure("mean"), _ces, FEEDBACK_DIMENSIONS, _SURVEY_COLUMNS),
)
