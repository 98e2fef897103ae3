"""SLA clocks of open cases: record `sla_warning` once a target's business time is mostly used,
`sla_breached` when it has passed, and escalate a breach (priority up, the team's manager told)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.errors import ConfigurationError, InvalidInput
from cxloop.route.casework import CaseBatch
from cxloop.route.lifecycle import Priority, raised
from cxloop.route.rules import RuleSet
from cxloop.route.sla import BusinessCalendar, calendar_from_settings, elapsed_ratio
from cxloop.store import cases as case_repo
from cxloop.store.dialects import StoreDialect

TARGETS = ("first_response", "resolution")


def business_calendar(settings: Settings) -> BusinessCalendar:
    try:
        return calendar_from_settings(
            settings.default_timezone,
            settings.business_hours_start,
            settings.business_hours_end,
            settings.business_days,
            settings.business_holidays.strip() or None,
        )
    except InvalidInput as exc:
        raise ConfigurationError(f"invalid business-hours settings: {exc.message}") from exc


def _manager_of(conn: sa.Connection, rule_set: RuleSet, team: str | None, cache: dict[str, str | None]) -> str | None:
    if not team:
        return None
    if team not in cache:
        settings = rule_set.teams.get(team)
        cache[team] = case_repo.user_id_by_email(conn, settings.manager) if settings and settings.manager else None
    return cache[team]


def check_case_slas(
    conn: sa.Connection,
    dialect: StoreDialect,
    *,
    calendar: BusinessCalendar,
    rule_set: RuleSet,
    now: datetime,
    warning_ratio: float,
) -> dict[str, int]:
    """One pass over open cases; returns how many warnings, breaches and escalations it recorded.

    Each target warns once and breaches once (the *_warned_at / *_breached_at columns say so). A case
    an agent changed during the pass is left for the next pass rather than overwritten.
    """
    counts = {"warnings": 0, "breaches": 0, "escalations": 0}
    managers: dict[str, str | None] = {}
    for case in case_repo.open_cases_for_sla(conn, now):
        values: dict[str, Any] = {}
        batch = CaseBatch()
        for target in TARGETS:
            due = case[f"{target}_due_at"]
            if due is None or case[f"{target}_breached_at"] is not None:
                continue
            if target == "first_response" and case["first_response_at"] is not None:
                continue
            if now >= due:
                values[f"{target}_breached_at"] = now
                changes = {"target": target, "due_at": due.isoformat()}
                batch.record(case["id"], "sla_breached", changes, actor=None, at=now)
                priority = Priority(values.get("priority", case["priority"]))
                escalation: dict[str, Any] = {"target": target}
                if raised(priority) != priority:
                    values["priority"] = raised(priority).value
                    escalation["priority"] = [priority.value, values["priority"]]
                manager = _manager_of(conn, rule_set, case["team"], managers)
                if manager:
                    escalation["escalated_to"] = [None, manager]
                batch.record(case["id"], "escalated", escalation, actor=None, at=now)
            elif case[f"{target}_warned_at"] is None and (
                elapsed_ratio(calendar, case["created_at"], due, now) >= warning_ratio
            ):
                values[f"{target}_warned_at"] = now
                batch.record(
                    case["id"], "sla_warning", {"target": target, "due_at": due.isoformat()}, actor=None, at=now
                )
        # Counted only when written: a case lost to a concurrent edit is checked again next pass.
        if values and case_repo.update_case(conn, case["id"], case["version"], {**values, "updated_at": now}):
            batch.write(conn, dialect)
            for row in batch.history:
                key = {"sla_warning": "warnings", "sla_breached": "breaches", "escalated": "escalations"}[row["action"]]
                counts[key] += 1
    counts["breaches"] += _record_targets_met_late(conn, dialect, now)
    return counts


#: How far back the pass looks for targets met late: a server down longer than this loses those breaches.
MET_LATE_LOOKBACK = timedelta(days=7)


def _record_targets_met_late(conn: sa.Connection, dialect: StoreDialect, now: datetime) -> int:
    """A reply or resolution that came after its due time, with no pass running in between (the
    server was down, or an agent beat the next pass by seconds), is still a breach: recorded at the
    due time, without an escalation, since the work is done."""
    recorded = 0
    for case in case_repo.targets_met_late(conn, now - MET_LATE_LOOKBACK):
        values: dict[str, Any] = {}
        batch = CaseBatch()
        for target, met in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
            due = case[f"{target}_due_at"]
            if case[f"{target}_breached_at"] is None and due is not None and case[met] is not None and case[met] > due:
                values[f"{target}_breached_at"] = due
                changes = {"target": target, "due_at": due.isoformat(), "met_at": case[met].isoformat()}
                batch.record(case["id"], "sla_breached", changes, actor=None, at=due)
        if values and case_repo.update_case(conn, case["id"], case["version"], {**values, "updated_at": now}):
            batch.write(conn, dialect)
            recorded += len(batch.history)
    return recorded
