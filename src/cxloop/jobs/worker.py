"""The pipeline worker: claims pending intake records in batches and runs the stages over them."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.domain import RecordKind
from cxloop.jobs.pipeline import Pipeline, PipelineItem, StageContext
from cxloop.jobs.stages import CORE_STAGES
from cxloop.store import intake as intake_repo
from cxloop.store.engine import Store

logger = logging.getLogger(__name__)


def default_pipeline() -> Pipeline:
    """Every stage cxloop ships, in phase order."""
    from cxloop.jobs.alerts import ALERT_STAGES
    from cxloop.jobs.continuity import CONTINUITY_STAGES
    from cxloop.jobs.routing import ROUTING_STAGES
    from cxloop.jobs.text_stages import TEXT_STAGES

    return Pipeline([*CORE_STAGES, *TEXT_STAGES, *CONTINUITY_STAGES, *ROUTING_STAGES, *ALERT_STAGES])


def _item(row: Any) -> PipelineItem:
    return PipelineItem(
        intake_id=row.id,
        batch_id=row.batch_id,
        kind=RecordKind(row.kind),
        source=row.source,
        external_id=row.external_id,
        payload=row.payload,
        received_at=row.received_at,
    )


class Worker:
    """Processes the intake queue. Several workers may run against PostgreSQL; they never take the
    same record because claims use `FOR UPDATE SKIP LOCKED` and last until the batch commits."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        pipeline: Pipeline | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.pipeline = pipeline or default_pipeline()
        # The moment the stages decide at (case creation, recontact windows, alerts). Replaying history
        # (the demo) sets it to the record's day; the queue's own bookkeeping stays on the real clock.
        self.clock = clock or intake_repo.utc_now
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.processed = 0  # records this worker has finished (failed attempts are not counted)

    def run_once(self) -> int:
        """Process one batch; returns how many records were taken (0 when the queue is empty)."""
        try:
            with self.store.write() as conn:
                rows = intake_repo.claim(conn, self.store.dialect, self.settings.worker_batch_size)
                if not rows:
                    return 0
                self._process(conn, [_item(r) for r in rows])
            self.processed += len(rows)  # counted once the transaction has committed
            return len(rows)
        except Exception:
            logger.exception("batch failed as a whole; retrying its records one at a time")
        return self._process_one_by_one()

    def _process(self, conn: sa.Connection, items: list[PipelineItem]) -> None:
        ctx = StageContext(conn=conn, dialect=self.store.dialect, settings=self.settings, now=self.clock())
        done = self.pipeline.run(items, ctx)
        processed = {item.intake_id: item.record_id for item in done}
        intake_repo.mark_done(conn, self.store.dialect, processed, intake_repo.utc_now())

    def _process_one_by_one(self) -> int:
        """Isolate the record that broke a batch: each record gets its own transaction, and a failing
        one is marked with its error (and parked after `worker_max_attempts`) instead of blocking."""
        with self.store.read() as conn:
            ids = [r.id for r in intake_repo.claim(conn, self.store.dialect, self.settings.worker_batch_size)]
        for intake_id in ids:
            try:
                with self.store.write() as conn:
                    rows = [r for r in intake_repo.claim(conn, self.store.dialect, 1) if r.id == intake_id]
                    if rows:
                        self._process(conn, [_item(rows[0])])
                if rows:
                    self.processed += 1
            except Exception as exc:
                logger.warning("intake record %s failed: %s", intake_id, exc)
                with self.store.write() as conn:
                    intake_repo.record_failure(
                        conn, intake_id, str(exc), max_attempts=self.settings.worker_max_attempts
                    )
        return len(ids)

    def run_until_idle(self, max_batches: int | None = None) -> int:
        """Drain the queue; returns how many records were processed (retries of failing ones aside)."""
        before, batches = self.processed, 0
        while max_batches is None or batches < max_batches:
            if self.run_once() == 0:
                break
            batches += 1
        return self.processed - before

    def run_forever(self, stop: threading.Event) -> None:
        logger.info("worker %s started: stages %s", self.name, ", ".join(self.pipeline.names))
        while not stop.is_set():
            try:
                taken = self.run_once()
            except Exception:
                logger.exception("worker %s: unexpected error; backing off", self.name)
                taken = 0
            if taken == 0:
                stop.wait(self.settings.worker_poll_seconds)
        logger.info("worker %s stopped", self.name)


def process_pending(store: Store, settings: Settings) -> int:
    """Convenience for the CLI and the demo: run a worker until the queue is empty."""
    return Worker(store, settings).run_until_idle()
