"""Data quality: checks on every ingestion batch and on the stored tables, with warn/fail thresholds.

Every result is a row in `quality_checks` (check, subject, value, threshold, status), so the page can
draw a trend per series and stewards can see when a source went quiet or started sending junk.
Higher values are worse for every check; a value above the warn threshold warns, above the fail
threshold fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import new_id
from cxloop.store import quality as quality_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.store.tables import customers, events, feedback, intake_records

#: (warn, fail) per check; table.freshness_hours comes from settings.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "batch.rejection_rate": (0.05, 0.25),
    "batch.duplicate_rate": (0.5, 1.0),  # replays are harmless, so a batch of only repeats only warns
    "batch.out_of_range_rate": (0.0, 0.05),
    "batch.null_rate": (0.5, 0.95),
    "table.null_rate": (0.3, 0.8),
    "table.duplicate_external_ids": (0.0, 0.0),
    "table.customer_key_mismatch": (0.0, 0.0),
    "table.out_of_range": (0.0, 0.0),
    "intake.failed_records": (0.0, 100.0),
}
_IDENTIFIERS = ("customer_external_id", "email", "phone", "device_id", "social_handle")
#: Fields whose absence matters per kind; `customer_link` means none of the identifiers is present.
BATCH_KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "customers": ("name", "email", "phone"),
    "events": ("customer_link",),
    "feedback": ("text", "customer_link"),
}
_RANGED_FIELDS = {"score", "rating", "value"}


def status_of(value: float, warn: float, fail: float) -> str:
    return "fail" if value > fail else "warn" if value > warn else "ok"


def _result(
    check: str,
    subject: str,
    value: float,
    at: datetime,
    *,
    family: str | None = None,
    thresholds: tuple[float, float] | None = None,
    **details: Any,
) -> dict[str, Any]:
    warn, fail = thresholds or THRESHOLDS[family or check]
    return {
        "id": new_id(),
        "check": check,
        "subject": subject,
        "value": float(value),
        "threshold": warn,
        "status": status_of(value, warn, fail),
        "measured_at": at,
        "batch_id": details.pop("batch_id", None),
        "details": {"fail_threshold": fail, **details},
    }


def batch_results(
    *,
    batch_id: str,
    kind: str,
    received: int,
    payloads: Sequence[Mapping[str, Any]],
    duplicates: int,
    rejections: Sequence[Mapping[str, Any]],
    at: datetime,
) -> list[dict[str, Any]]:
    """The checks of one ingestion batch (schema and required fields were validated at intake; this
    measures how much failed that validation, how much repeated, and what optional data is missing)."""
    if received == 0:
        return []
    sources = sorted({str(p.get("source")) for p in payloads if p.get("source")})
    common: dict[str, Any] = {"batch_id": batch_id, "received": received, "sources": sources[:20]}
    out_of_range = sum(1 for r in rejections if r.get("field") in _RANGED_FIELDS)
    results = [
        _result("batch.rejection_rate", kind, len(rejections) / received, at, **common),
        _result("batch.duplicate_rate", kind, duplicates / received, at, **common),
        _result("batch.out_of_range_rate", kind, out_of_range / received, at, **common),
    ]
    if payloads:
        for name in BATCH_KEY_FIELDS.get(kind, ()):
            if name == "customer_link":
                missing = sum(1 for p in payloads if not any(p.get(f) for f in _IDENTIFIERS))
            else:
                missing = sum(1 for p in payloads if p.get(name) in (None, ""))
            results.append(
                _result(
                    f"batch.null_rate.{name}", kind, missing / len(payloads), at, family="batch.null_rate", **common
                )
            )
    return results


def record_batch_quality(conn: sa.Connection, **batch: Any) -> None:
    """The ingestion hook: store the checks of one batch in the batch's own transaction."""
    quality_repo.insert_checks(conn, batch_results(**batch))


def _freshness(conn: sa.Connection, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    warn = settings.quality_freshness_hours
    results = []
    newest_of = (
        (customers, customers.c.updated_at),
        (events, events.c.ingested_at),
        (feedback, feedback.c.ingested_at),
    )
    for table, column in newest_of:
        query = sa.select(table.c.source, sa.func.max(column)).group_by(table.c.source)
        for source, newest in conn.execute(query).all():
            hours = max(0.0, (now - newest).total_seconds() / 3600)
            subject = f"{table.name}:{source}"
            results.append(
                _result(
                    "table.freshness_hours", subject, hours, now, thresholds=(warn, warn * 7), newest=newest.isoformat()
                )
            )
    return results


_NULL_COLUMNS: dict[sa.Table, tuple[str, ...]] = {
    feedback: ("customer_id", "language", "sentiment_label"),
    events: ("customer_id",),
    customers: ("name",),
}


def _null_rates(conn: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    results = []
    for table, names in _NULL_COLUMNS.items():
        counts = conn.execute(sa.select(sa.func.count(), *(sa.func.count(table.c[n]) for n in names))).one()
        total = int(counts[0])
        if not total:
            continue
        for name, present in zip(names, counts[1:], strict=True):
            rate = 1 - int(present) / total
            results.append(
                _result(f"table.null_rate.{name}", table.name, rate, now, family="table.null_rate", rows=total)
            )
    return results


def _integrity(conn: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    results = []
    for table in (feedback, events):
        groups = sa.select(table.c.source, table.c.external_id).group_by(table.c.source, table.c.external_id)
        repeated = groups.having(sa.func.count() > 1).subquery()
        count = conn.execute(sa.select(sa.func.count()).select_from(repeated)).scalar_one()
        results.append(_result("table.duplicate_external_ids", table.name, int(count), now))
    # Journeys group events by their customer's surrogate key: an event keyed to nobody or to someone
    # else would silently leave (or join) the wrong funnel. Intake and merges keep them in step.
    owners = events.outerjoin(customers, customers.c.id == events.c.customer_id)
    unkeyed = sa.and_(
        events.c.customer_id.is_not(None),
        sa.or_(
            events.c.customer_key.is_(None),
            customers.c.customer_key.is_(None),
            events.c.customer_key != customers.c.customer_key,
        ),
    )
    mismatched = conn.execute(sa.select(sa.func.count()).select_from(owners).where(unkeyed)).scalar_one()
    results.append(_result("table.customer_key_mismatch", "events", int(mismatched), now))
    scales = sa.or_(
        sa.and_(feedback.c.survey_type == "nps", sa.not_(feedback.c.score.between(0, 10))),
        sa.and_(feedback.c.survey_type == "csat", sa.not_(feedback.c.score.between(1, 5))),
        sa.and_(feedback.c.survey_type == "ces", sa.not_(feedback.c.score.between(1, 7))),
        sa.not_(feedback.c.rating.between(1, 5)),
    )
    bad = conn.execute(sa.select(sa.func.count()).select_from(feedback).where(scales)).scalar_one()
    results.append(_result("table.out_of_range", "feedback", int(bad), now))
    failed = conn.execute(
        sa.select(sa.func.count()).select_from(intake_records).where(intake_records.c.status == "failed")
    ).scalar_one()
    results.append(_result("intake.failed_records", "intake", int(failed), now))
    return results


def run_table_checks(store: Store, settings: Settings, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Measure freshness, null rates and integrity of the stored tables, store and return the results."""
    now = now or utc_now()
    with store.read() as conn:
        results = _freshness(conn, settings, now) + _null_rates(conn, now) + _integrity(conn, now)
    with store.write() as conn:
        quality_repo.insert_checks(conn, results)
    return results


def quality_overview(
    store: Store, settings: Settings, *, days: int = 30, now: datetime | None = None
) -> dict[str, Any]:
    """What the data-quality page and API show: the newest result per series with its trend points,
    counts by status over the period, and who owns and stewards each data kind."""
    since = (now or utc_now()) - timedelta(days=days)
    with store.read() as conn:
        latest = quality_repo.latest_checks(conn)
        series = quality_repo.series_since(conn, since)
        counts = quality_repo.count_by_status(conn, since)
    for row in latest:
        row["trend"] = [value for _, value in series.get((row["check"], row["subject"]), [])][-60:]
    return {"days": days, "latest": latest, "counts": counts, "owners": settings.data_owners}
