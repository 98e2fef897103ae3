"""Repository for ingest batches and the durable intake queue. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import IntakeStatus, new_ids
from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import ingest_batches, intake_records

#: Stored rejections per batch are capped; the counts stay exact.
MAX_STORED_REJECTIONS = 1000


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def enqueue(
    conn: sa.Connection,
    dialect: StoreDialect,
    *,
    batch_id: str,
    kind: str,
    records: Sequence[tuple[str, str, dict[str, Any]]],
    received_at: datetime,
) -> set[tuple[str, str]]:
    """Queue (source, external_id, payload) records; returns the keys that were new.

    Keys already queued (by an earlier batch, or earlier in this one) are skipped, which is what makes
    ingestion idempotent.
    """
    seen: set[tuple[str, str]] = set()
    rows = []
    ids = iter(new_ids(len(records)))
    for source, external_id, payload in records:
        if (source, external_id) in seen:
            continue
        seen.add((source, external_id))
        rows.append(
            {
                "id": next(ids),
                "batch_id": batch_id,
                "kind": kind,
                "source": source,
                "external_id": external_id,
                "payload": payload,
                "received_at": received_at,
                "status": IntakeStatus.PENDING.value,
                "attempts": 0,
            }
        )
    inserted = dialect.bulk_insert(
        conn,
        intake_records,
        rows,
        skip_conflicts_on=("kind", "source", "external_id"),
        returning=("source", "external_id"),
    )
    return {(str(s), str(e)) for s, e in inserted}


def insert_batch(conn: sa.Connection, **values: Any) -> None:
    values["rejections"] = values.get("rejections", [])[:MAX_STORED_REJECTIONS]
    conn.execute(ingest_batches.insert().values(**values))


def find_batch(conn: sa.Connection, batch_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(ingest_batches).where(ingest_batches.c.id == batch_id)).mappings().first()
    return dict(row) if row else None


def find_batch_by_idempotency_key(conn: sa.Connection, key: str) -> dict[str, Any] | None:
    query = sa.select(ingest_batches).where(ingest_batches.c.idempotency_key == key)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def batch_progress(conn: sa.Connection, batch_id: str) -> dict[str, Any]:
    """Processing status counts of one batch, and its failed records with their errors."""
    counts: dict[str, int] = dict(
        conn.execute(
            sa.select(intake_records.c.status, sa.func.count())
            .where(intake_records.c.batch_id == batch_id)
            .group_by(intake_records.c.status)
        ).all()
    )
    failures = conn.execute(
        sa.select(
            intake_records.c.source,
            intake_records.c.external_id,
            intake_records.c.attempts,
            intake_records.c.last_error,
        )
        .where(intake_records.c.batch_id == batch_id, intake_records.c.last_error.is_not(None))
        .order_by(intake_records.c.id)
        .limit(100)
    ).mappings()
    return {
        "status_counts": {str(k): int(v) for k, v in counts.items()},
        "errors": [dict(r) for r in failures],
    }


def claim(conn: sa.Connection, dialect: StoreDialect, limit: int) -> list[sa.Row[Any]]:
    return dialect.claim_pending(conn, intake_records, limit)


def mark_done(
    conn: sa.Connection, dialect: StoreDialect, record_ids: dict[str, str | None], processed_at: datetime
) -> None:
    """Mark intake rows done, remembering which domain row each produced."""
    rows = [{"id": intake_id, "record_id": record_id} for intake_id, record_id in record_ids.items()]
    dialect.bulk_update(conn, intake_records, "id", rows, status=IntakeStatus.DONE.value, processed_at=processed_at)


def record_failure(conn: sa.Connection, intake_id: str, error: str, *, max_attempts: int) -> None:
    """Count a failed attempt; after `max_attempts` the record is parked as failed for a human."""
    attempts = intake_records.c.attempts + 1
    conn.execute(
        intake_records.update()
        .where(intake_records.c.id == intake_id)
        .values(
            attempts=attempts,
            last_error=error[:2000],
            status=sa.case((attempts >= max_attempts, IntakeStatus.FAILED.value), else_=IntakeStatus.PENDING.value),
            processed_at=utc_now(),
        )
    )


def retry_failed(conn: sa.Connection) -> int:
    """Put every failed record back in the queue (after a fix); returns how many."""
    # RETURNING rather than rowcount: DuckDB reports no rowcount for UPDATE.
    result = conn.execute(
        intake_records.update()
        .where(intake_records.c.status == IntakeStatus.FAILED.value)
        .values(status=IntakeStatus.PENDING.value, attempts=0)
        .returning(intake_records.c.id)
    )
    return len(result.all())


def queue_summary(conn: sa.Connection) -> dict[str, Any]:
    """Counts per kind and status, the oldest pending record, and the latest errors."""
    rows = conn.execute(
        sa.select(intake_records.c.kind, intake_records.c.status, sa.func.count()).group_by(
            intake_records.c.kind, intake_records.c.status
        )
    ).all()
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        by_kind.setdefault(str(kind), {})[str(status)] = int(count)
    oldest = conn.execute(
        sa.select(sa.func.min(intake_records.c.received_at)).where(
            intake_records.c.status == IntakeStatus.PENDING.value
        )
    ).scalar()
    errors = conn.execute(
        sa.select(
            intake_records.c.kind,
            intake_records.c.source,
            intake_records.c.external_id,
            intake_records.c.status,
            intake_records.c.attempts,
            intake_records.c.last_error,
        )
        .where(intake_records.c.last_error.is_not(None))
        .order_by(intake_records.c.processed_at.desc())
        .limit(20)
    ).mappings()
    return {
        "by_kind": by_kind,
        "oldest_pending_received_at": oldest.isoformat() if oldest else None,
        "recent_errors": [dict(r) for r in errors],
    }


def record_status(conn: sa.Connection, kind: str, source: str, external_id: str) -> dict[str, Any] | None:
    """Where one submitted record is: queued, processed (and into which row) or failed, and why."""
    row = (
        conn.execute(
            sa.select(
                intake_records.c.kind,
                intake_records.c.source,
                intake_records.c.external_id,
                intake_records.c.batch_id,
                intake_records.c.status,
                intake_records.c.attempts,
                intake_records.c.last_error,
                intake_records.c.received_at,
                intake_records.c.processed_at,
                intake_records.c.record_id,
            ).where(
                intake_records.c.kind == kind,
                intake_records.c.source == source,
                intake_records.c.external_id == external_id,
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None
