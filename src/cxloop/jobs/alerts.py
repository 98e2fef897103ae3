"""Alerts in the pipeline and on a schedule, the delivery loop, and re-measuring shipped actions.

- `alert_on_feedback`: the `notify` stage. Alerts for VIP+negative, churn intent and legal threats are
  recorded, with their deliveries, in the batch's own transaction.
- `scan_alerts`: SLA breaches (case history `sla_breached` rows), new emerging issues and negative-
  share spikes; each scan writes its alerts in one transaction, and the unique (rule, subject) key
  makes repeated scans harmless.
- `review_actions`: shipped actions are re-measured until their after window is complete.
- `run_notify_loop`: what the server's notify thread runs.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind, new_id
from cxloop.jobs.pipeline import PipelineItem, Stage, StageContext
from cxloop.notify import outbox
from cxloop.notify.dispatch import dispatch_due
from cxloop.notify.rules import AlertRule, default_rules
from cxloop.notify.triggers import (
    DIGESTED_KINDS,
    Alert,
    emerging_digest_alert,
    emerging_issue_alert,
    feedback_alerts,
    negative_spike_alert,
    sla_breach_alert,
    spike_window,
)
from cxloop.store import actions as action_repo
from cxloop.store import notifications as repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import case_history, cases, emerging_issues, feedback

logger = logging.getLogger(__name__)
#: How far back scans look for SLA breaches and emerging issues that have not alerted yet.
SCAN_LOOKBACK = timedelta(days=7)
#: How often the server's loop scans (deliveries go out every `notify_interval_seconds`).
SCAN_EVERY_SECONDS = 30.0


def ensure_rules(conn: sa.Connection, now: datetime) -> list[AlertRule]:
    """The stored rules; the shipped defaults are stored first when there are none yet."""
    rows = repo.list_rules(conn)
    if not rows:
        rows = [
            {**rule, "id": new_id(), "created_at": now, "updated_at": now, "version": 1} for rule in default_rules()
        ]
        repo.insert_rules(conn, rows)
        rows = repo.list_rules(conn)
    return [
        AlertRule(r["id"], r["name"], r["trigger"], dict(r["params"] or {}), dict(r["channels"] or {}), r["enabled"])
        for r in rows
    ]


def _record(conn: sa.Connection, ctx_dialect: Any, alerts: list[Alert], now: datetime, settings: Settings) -> int:
    return len(outbox.record_alerts(conn, ctx_dialect, alerts, now, link_base=settings.notify_link_base_url))


def alert_on_feedback(batch: list[PipelineItem], ctx: StageContext) -> list[PipelineItem]:
    rows = [item.row for item in batch if item.kind is RecordKind.FEEDBACK and item.row.get("flags")]
    if rows:
        rules = ensure_rules(ctx.conn, ctx.now)
        _record(ctx.conn, ctx.dialect, feedback_alerts(rules, rows), ctx.now, ctx.settings)
    return batch


ALERT_STAGES = (Stage("notify.alerts", "notify", alert_on_feedback),)


def _not_fired(conn: sa.Connection, rule: AlertRule, alerts: list[Alert]) -> list[Alert]:
    fired = repo.fired_subjects(conn, rule.id, [a.subject_key for a in alerts])
    return [a for a in alerts if a.subject_key not in fired]


def _sla_alerts(conn: sa.Connection, rule: AlertRule, now: datetime) -> list[Alert]:
    rows = conn.execute(
        sa.select(case_history, cases.c.subject, cases.c.team_id, cases.c.priority, cases.c.status)
        .outerjoin(cases, cases.c.id == case_history.c.case_id)
        .where(case_history.c.action == "sla_breached", case_history.c.occurred_at >= now - SCAN_LOOKBACK)
        .order_by(case_history.c.occurred_at)
    ).mappings()
    alerts = [sla_breach_alert(rule, dict(row), dict(row)) for row in rows]
    return _not_fired(conn, rule, alerts)


def _emerging_alerts(conn: sa.Connection, rule: AlertRule, now: datetime) -> list[Alert]:
    rows = conn.execute(
        sa.select(emerging_issues)
        .where(emerging_issues.c.detected_at >= now - SCAN_LOOKBACK, emerging_issues.c.status == "open")
        .order_by(emerging_issues.c.detected_at)
    ).mappings()
    single: list[Alert] = []
    crowds: dict[tuple[str, Any], list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] in DIGESTED_KINDS:
            crowds.setdefault((row["kind"], row["day"]), []).append(dict(row))
        else:
            single.append(emerging_issue_alert(rule, dict(row)))
    digests = [emerging_digest_alert(rule, issues) for issues in crowds.values()]
    return _not_fired(conn, rule, [*single, *digests])


def _negative_counts(conn: sa.Connection, start: datetime, end: datetime) -> tuple[int, int]:
    row = conn.execute(
        sa.select(
            sa.func.count().filter(feedback.c.sentiment_label == "negative"),
            sa.func.count().filter(feedback.c.sentiment_label.is_not(None)),
        ).where(feedback.c.occurred_at >= start, feedback.c.occurred_at < end, feedback.c.duplicate_of.is_(None))
    ).one()
    return int(row[0]), int(row[1])


def _spike_alerts(conn: sa.Connection, rule: AlertRule, now: datetime) -> list[Alert]:
    start, end = spike_window(now, float(rule.params["hours"]))
    baseline_start = start - timedelta(days=float(rule.params["baseline_days"]))
    alert = negative_spike_alert(
        rule,
        window=(start, end),
        recent=_negative_counts(conn, start, end),
        baseline=_negative_counts(conn, baseline_start, start),
    )
    return _not_fired(conn, rule, [alert]) if alert else []


_SCANS = {"sla_breach": _sla_alerts, "emerging_issue": _emerging_alerts, "negative_spike": _spike_alerts}


def scan_alerts(store: Store, settings: Settings, *, now: datetime | None = None) -> int:
    """Record alerts for SLA breaches, emerging issues and spikes; returns how many were new."""
    now = now or utc_now()
    with store.write() as conn:
        rules = ensure_rules(conn, now)
    # Looked for on a read connection, so an idle scan never holds the embedded store's write lock;
    # the unique (rule, subject) key keeps a concurrent scan from recording an alert twice.
    alerts: list[Alert] = []
    with store.read() as conn:
        for rule in rules:
            scan = _SCANS.get(rule.trigger)
            if rule.enabled and scan is not None:
                alerts += scan(conn, rule, now)
    if not alerts:
        return 0
    with store.write() as conn:
        return _record(conn, store.dialect, alerts, now, settings)


def review_actions(store: Store, settings: Settings, *, now: datetime | None = None) -> int:
    """Re-measure shipped actions whose verdict is not final; returns how many were measured."""
    from cxloop.notify.actions import evaluate

    now = now or utc_now()
    with store.read() as conn:
        pending = action_repo.actions_to_review(conn)
    for action in pending:
        try:
            with store.write() as conn:
                fresh = action_repo.find_action(conn, action["id"])
                if fresh and fresh["status"] == "shipped":
                    evaluate(conn, fresh, now=now, offset_minutes=settings.business_utc_offset_minutes)
        except Exception:  # one action's failure must not stop the others
            logger.exception("re-measuring improvement action %s failed", action["id"])
    return len(pending)


def run_notify_loop(store: Store, settings: Settings, stop: threading.Event) -> None:
    """Send due deliveries every `notify_interval_seconds`, scan for alerts at most every
    SCAN_EVERY_SECONDS, and re-measure actions every `action_review_interval_seconds`."""
    next_review = next_scan = time.monotonic()
    while not stop.wait(settings.notify_interval_seconds):
        try:
            if time.monotonic() >= next_scan:
                scan_alerts(store, settings)
                next_scan = time.monotonic() + SCAN_EVERY_SECONDS
            dispatch_due(store, settings)
            if settings.action_review_interval_seconds and time.monotonic() >= next_review:
                review_actions(store, settings)
                next_review = time.monotonic() + settings.action_review_interval_seconds
        except Exception:  # a failed round must not end the loop
            logger.exception("notify loop round failed; next try in %ss", settings.notify_interval_seconds)
