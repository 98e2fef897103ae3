"""Case KPIs from the closed-loop contract columns of `cases`, and VOC-to-action lead time.

The case columns (fcr, first_response_at, reopen_count, ...) and the action tables arrive with
migrations 0005/0006; on a store without them these KPIs answer "no data" (see `requires`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis

from cxloop.analytics.kpis.base import TEAM_NAME, DimensionSource, KpiImplementation, Measure, column, epoch_hours
from cxloop.analytics.warehouse import Warehouse

CASE_DIMENSIONS = {
    "channel": column("channel"),
    "language": column("language"),
    "topic": column("topic"),
    "team": DimensionSource(TEAM_NAME, "team_id"),
}
_BASE = ("id", "team_id", "channel", "language", "topic", "created_at")


def _case_facts(at: str, keep: Callable[[ibis.Table], Any], **measures: Callable[[ibis.Table], Any]) -> Any:
    def facts(wh: Warehouse) -> ibis.Table:
        c = wh.table("cases")
        rows = c.filter(keep(c))
        return rows.select(
            at=rows[at],
            team_id=rows.team_id,
            channel=rows.channel,
            language=rows.language,
            topic=rows.topic,
            **{name: measure(rows) for name, measure in measures.items()},
        )

    return facts


def _resolved_or_reopened(c: ibis.Table) -> Any:
    return c.resolved_at.notnull() | (c.reopen_count.fill_null(0) > 0)


def _sla_decided(c: ibis.Table) -> Any:
    has_target = c.first_response_due_at.notnull() | c.resolution_due_at.notnull()
    decided = c.resolved_at.notnull() | c.first_response_breached_at.notnull() | c.resolution_breached_at.notnull()
    return has_target & decided


def _voc_to_action(wh: Warehouse) -> ibis.Table:
    actions = wh.table("improvement_actions")
    links = wh.table("action_feedback")
    feedback = wh.table("feedback")
    shipped = actions.filter(actions.shipped_at.notnull())
    joined = shipped.join(links, shipped.id == links.action_id).join(feedback, links.feedback_id == feedback.id)
    return joined.select(
        at=joined.shipped_at,
        topic=joined.topic,
        team_id=joined.team_id,
        x=epoch_hours(joined.shipped_at, joined.occurred_at, per=86400.0),
    )


def _cols(*extra: str) -> dict[str, tuple[str, ...]]:
    return {"cases": (*_BASE, *extra)}


CASE_KPIS = (
    KpiImplementation(
        "first_contact_resolution",
        Measure("share", 100.0),
        _case_facts("resolved_at", lambda c: c.fcr.notnull(), hit=lambda c: c.fcr),
        CASE_DIMENSIONS,
        _cols("fcr", "resolved_at"),
    ),
    KpiImplementation(
        "first_response_time",
        Measure("quantile"),
        _case_facts(
            "created_at",
            lambda c: c.first_response_at.notnull(),
            x=lambda c: epoch_hours(c.first_response_at, c.created_at),
        ),
        CASE_DIMENSIONS,
        _cols("first_response_at"),
    ),
    KpiImplementation(
        "resolution_time",
        Measure("quantile"),
        _case_facts(
            "resolved_at", lambda c: c.resolved_at.notnull(), x=lambda c: epoch_hours(c.resolved_at, c.created_at)
        ),
        CASE_DIMENSIONS,
        _cols("resolved_at"),
    ),
    KpiImplementation(
        "reopen_rate",
        Measure("share", 100.0),
        _case_facts("created_at", _resolved_or_reopened, hit=lambda c: c.reopen_count.fill_null(0) > 0),
        CASE_DIMENSIONS,
        _cols("resolved_at", "reopen_count"),
    ),
    KpiImplementation(
        "recontact_rate",
        Measure("share", 100.0),
        _case_facts("created_at", lambda c: c.id.notnull(), hit=lambda c: c.recontact_count.fill_null(0) > 0),
        CASE_DIMENSIONS,
        _cols("recontact_count"),
    ),
    KpiImplementation(
        "sla_compliance",
        Measure("share", 100.0),
        _case_facts(
            "created_at",
            _sla_decided,
            hit=lambda c: c.first_response_breached_at.isnull() & c.resolution_breached_at.isnull(),
        ),
        CASE_DIMENSIONS,
        _cols(
            "resolved_at",
            "first_response_due_at",
            "resolution_due_at",
            "first_response_breached_at",
            "resolution_breached_at",
        ),
    ),
    KpiImplementation(
        "voc_to_action_days",
        Measure("quantile"),
        _voc_to_action,
        {"topic": column("topic"), "team": DimensionSource(TEAM_NAME, "team_id")},
        {
            "improvement_actions": ("id", "topic", "team_id", "shipped_at"),
            "action_feedback": ("action_id", "feedback_id"),
            "feedback": ("id", "occurred_at"),
        },
    ),
)
