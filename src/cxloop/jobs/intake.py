"""Accepting records: validate, then commit good ones to the intake queue before answering."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from cxloop.config import Settings
from cxloop.domain import RecordKind, new_id
from cxloop.errors import PayloadTooLarge
from cxloop.governance.quality import record_batch_quality
from cxloop.ingest.records import Rejection, validate_batch
from cxloop.store import intake as intake_repo
from cxloop.store.engine import Store

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class IntakeReceipt:
    """What happened to a submitted batch: the answer of the ingest API and of an import chunk."""

    batch_id: str
    kind: str
    received: int
    accepted: int
    duplicates: int
    rejected: int
    rejections: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False  # answered from an earlier request with the same Idempotency-Key

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "kind": self.kind,
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejections": self.rejections,
            "replayed": self.replayed,
        }


def default_zone(settings: Settings) -> tzinfo:
    return ZoneInfo(settings.default_timezone)


def _receipt_from_batch(batch: dict[str, Any]) -> IntakeReceipt:
    return IntakeReceipt(
        batch_id=batch["id"],
        kind=batch["kind"],
        received=batch["record_count"],
        accepted=batch["accepted_count"],
        duplicates=batch["duplicate_count"],
        rejected=batch["rejected_count"],
        rejections=list(batch["rejections"] or []),
        replayed=True,
    )


def accept_records(
    store: Store,
    settings: Settings,
    kind: RecordKind,
    items: Sequence[tuple[int, Any]],
    *,
    origin: str,
    submitted_by: str | None = None,
    idempotency_key: str | None = None,
    default_source: str | None = None,
    file_name: str | None = None,
    position_label: str = "index",
    prior_rejections: Sequence[Rejection] = (),
) -> IntakeReceipt:
    """Validate `(position, raw record)` items and durably queue the good ones in one transaction.

    Bad records come back as rejections while the good ones are kept. Records whose
    (source, external id) was queued before count as duplicates and are not queued again.
    `prior_rejections` carries rows a file reader already refused (undecodable JSON lines, say).
    """
    if len(items) > settings.max_batch_records:
        raise PayloadTooLarge(
            f"a batch holds at most {settings.max_batch_records:,} records; this one has {len(items):,}",
            details={"limit": settings.max_batch_records, "received": len(items)},
        )
    if idempotency_key is not None:
        with store.read() as conn:
            earlier = intake_repo.find_batch_by_idempotency_key(conn, idempotency_key)
        if earlier is not None:
            return _receipt_from_batch(earlier)

    validated = validate_batch(
        kind,
        items,
        zone=default_zone(settings),
        default_source=default_source,
        max_text_chars=settings.max_text_chars,
    )
    rejections = sorted([*prior_rejections, *validated.rejections], key=lambda r: r.position)
    batch_id = new_id()
    received_at = intake_repo.utc_now()
    with store.write() as conn:
        if idempotency_key is not None:
            # Checked again inside the write transaction: two retries may race.
            earlier = intake_repo.find_batch_by_idempotency_key(conn, idempotency_key)
            if earlier is not None:
                return _receipt_from_batch(earlier)
        inserted = intake_repo.enqueue(
            conn,
            store.dialect,
            batch_id=batch_id,
            kind=kind.value,
            records=[(r.source, r.external_id, r.payload) for r in validated.accepted],
            received_at=received_at,
        )
        rejection_dicts = [r.to_dict(position_label) for r in rejections]
        intake_repo.insert_batch(
            conn,
            id=batch_id,
            kind=kind.value,
            origin=origin,
            file_name=file_name,
            idempotency_key=idempotency_key,
            submitted_by=submitted_by,
            received_at=received_at,
            record_count=len(items) + len(prior_rejections),
            accepted_count=len(inserted),
            duplicate_count=len(validated.accepted) - len(inserted),
            rejected_count=len(rejections),
            rejections=rejection_dicts,
        )
        # Data-quality measures of this batch, committed with it (cxloop.governance.quality).
        record_batch_quality(
            conn,
            batch_id=batch_id,
            kind=kind.value,
            received=len(items) + len(prior_rejections),
            payloads=[r.payload for r in validated.accepted],
            duplicates=len(validated.accepted) - len(inserted),
            rejections=rejection_dicts,
            at=received_at,
        )
    logger.info(
        "batch %s: %s %s accepted, %s duplicates, %s rejected",
        batch_id,
        len(inserted),
        kind.value,
        len(validated.accepted) - len(inserted),
        len(rejections),
    )
    return IntakeReceipt(
        batch_id=batch_id,
        kind=kind.value,
        received=len(items) + len(prior_rejections),
        accepted=len(inserted),
        duplicates=len(validated.accepted) - len(inserted),
        rejected=len(rejections),
        rejections=rejection_dicts,
    )
