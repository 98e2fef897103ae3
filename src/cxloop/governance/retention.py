"""Retention: how long each kind of data is kept, what a purge would remove, and the purge itself.

Feedback is anonymized rather than deleted: its text and raw text are emptied, while channel,
time, scores, sentiment, topics, keywords and flags stay, so KPIs and trends over old periods keep
their numbers. Events past their age are deleted. Processed intake records keep their row (it makes
re-sending the same record a no-op) but lose their payload. Old data-quality results are deleted.
The audit log is never purged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import FeedbackChannel, IntakeStatus, new_id
from cxloop.errors import ConfigurationError
from cxloop.store import audit
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import events, feedback, intake_records, quality_checks, retention_runs


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    kind: str  # feedback_text.call, events, intake_payloads, quality_checks, audit_log
    action: str  # anonymize | delete | empty_payload | keep
    days: int  # 0 keeps forever


def policies(settings: Settings) -> list[RetentionPolicy]:
    channels = {c.value for c in FeedbackChannel}
    unknown = sorted(set(settings.retention_text_days_by_channel) - channels)
    if unknown:
        raise ConfigurationError(
            f"CXLOOP_RETENTION_TEXT_DAYS_BY_CHANNEL names unknown channels {unknown}; channels: {sorted(channels)}"
        )
    if any(days < 0 for days in settings.retention_text_days_by_channel.values()):
        raise ConfigurationError("CXLOOP_RETENTION_TEXT_DAYS_BY_CHANNEL: days cannot be negative")
    by_channel = settings.retention_text_days_by_channel
    return [
        *(
            RetentionPolicy(
                f"feedback_text.{c.value}", "anonymize", by_channel.get(c.value, settings.retention_text_days)
            )
            for c in FeedbackChannel
        ),
        RetentionPolicy("events", "delete", settings.retention_event_days),
        RetentionPolicy("intake_payloads", "empty_payload", settings.retention_intake_payload_days),
        RetentionPolicy("quality_checks", "delete", settings.retention_quality_days),
        RetentionPolicy("audit_log", "keep", 0),
    ]


def _target(policy: RetentionPolicy, cutoff: datetime) -> tuple[sa.Table, sa.ColumnElement[Any], Any]:
    """The table, the condition selecting what the policy removes, and the column dating it."""
    if policy.kind.startswith("feedback_text."):
        channel = policy.kind.split(".", 1)[1]
        has_text = sa.or_(feedback.c.text.is_not(None), feedback.c.text_raw.is_not(None))
        return (
            feedback,
            sa.and_(feedback.c.channel == channel, feedback.c.occurred_at < cutoff, has_text),
            feedback.c.occurred_at,
        )
    if policy.kind == "events":
        return events, events.c.occurred_at < cutoff, events.c.occurred_at
    if policy.kind == "intake_payloads":
        condition = sa.and_(
            intake_records.c.status == IntakeStatus.DONE.value,
            intake_records.c.processed_at < cutoff,
            sa.cast(intake_records.c.payload, sa.Text) != "{}",
        )
        return intake_records, condition, intake_records.c.processed_at
    if policy.kind == "quality_checks":
        return quality_checks, quality_checks.c.measured_at < cutoff, quality_checks.c.measured_at
    raise ValueError(f"no purge for {policy.kind}")


def _purge(conn: sa.Connection, policy: RetentionPolicy, table: sa.Table, condition: sa.ColumnElement[Any]) -> None:
    if policy.action == "anonymize":
        conn.execute(feedback.update().where(condition).values(text=None, text_raw=None))
    elif policy.action == "empty_payload":
        conn.execute(intake_records.update().where(condition).values(payload={}))
    else:
        conn.execute(table.delete().where(condition))


def run_retention(
    store: Store, settings: Settings, *, dry_run: bool, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Count (and unless `dry_run`, purge) what every policy removes, in one transaction; the run is
    kept in `retention_runs`, and a real purge is also written to the audit log."""
    now = now or utc_now()
    results: list[dict[str, Any]] = []
    with store.write() as conn:
        for policy in policies(settings):
            entry: dict[str, Any] = {**asdict(policy), "count": 0, "oldest": None, "cutoff": None}
            if policy.days and policy.action != "keep":
                cutoff = now - timedelta(days=policy.days)
                table, condition, dated = _target(policy, cutoff)
                count, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(dated)).where(condition)).one()
                entry.update(count=int(count), oldest=oldest, cutoff=cutoff)
                if count and not dry_run:
                    _purge(conn, policy, table, condition)
            results.append(entry)
        stored = [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in results]
        conn.execute(
            retention_runs.insert().values(id=new_id(), ran_at=now, dry_run=dry_run, actor=actor[:200], results=stored)
        )
        if not dry_run:
            purged = {r["kind"]: r["count"] for r in results if r["count"]}
            audit.record(
                conn,
                store.dialect,
                actor=actor,
                action=audit.AuditAction.RETENTION_PURGE,
                target_kind="retention",
                details={"purged": purged},
                at=now,
            )
    return {"ran_at": now, "dry_run": dry_run, "results": results}


def recent_runs(store: Store, *, limit: int = 10) -> list[dict[str, Any]]:
    with store.read() as conn:
        query = (
            sa.select(retention_runs).order_by(retention_runs.c.ran_at.desc(), retention_runs.c.id.desc()).limit(limit)
        )
        return [dict(r) for r in conn.execute(query).mappings()]
