"""Building the demo store: generate the synthetic company, ingest it for real, process it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson

from cxloop import access
from cxloop.config import Settings
from cxloop.domain import RecordKind, Role, TokenScope
from cxloop.errors import Conflict
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import migrate
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now

logger = logging.getLogger(__name__)

DEMO_LOGIN = ("admin@cxloop.demo", "cxloop-demo-2026")
_MARKER = "demo.json"
_VERSION = 4  # bump when the generator's output changes, so stale demo stores are rebuilt
# Six months of history, ending the day before the demo is built: the data looks like a live company's
# (cases opened yesterday are still within their SLA today), not like a file from a past half-year.
DEMO_DAYS = 184


@dataclass(frozen=True, slots=True)
class DemoResult:
    counts: dict[str, int]
    seconds: float
    reused: bool
    api_token: str | None

    def summary(self) -> str:
        verb = "reused" if self.reused else f"built in {self.seconds:.0f} s"
        lines = [f"demo store {verb}: " + ", ".join(f"{v:,} {k}" for k, v in self.counts.items())]
        if self.api_token:
            lines.append(f"demo API token (ingest, read): {self.api_token}")
        return "\n".join(lines)


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            table: int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
            for table in ("customers", "events", "feedback")
        }


def build_demo(
    settings: Settings, *, seed: int = 42, customers: int = 5000, rebuild: bool = False, ends_on: date | None = None
) -> DemoResult:
    """Build the demo store once per (seed, size); later runs reuse it unless `rebuild`.

    The history covers the DEMO_DAYS business days before `ends_on` (default: today in the business
    time zone). A store built on an earlier day is reused as it is: it ages like a real one.
    """
    marker_path = settings.data_dir / _MARKER
    wanted = {"version": _VERSION, "seed": seed, "customers": customers}
    database = settings.data_dir / "cxloop.duckdb"
    if settings.is_embedded:
        existing = orjson.loads(marker_path.read_bytes()) if marker_path.exists() else None
        if existing is not None and _same_demo(existing, wanted) and database.exists() and not rebuild:
            store = Store(settings.resolved_database_url)
            migrate.upgrade(store)
            result = DemoResult(_counts(store), 0.0, True, None)
            store.dispose()
            return result
        if database.exists() and existing is None and not rebuild:
            raise Conflict(
                f"{settings.data_dir} holds a store that the demo did not build; use --data-dir for the demo "
                "or --rebuild to replace it"
            )
        for path in (database, database.with_suffix(".duckdb.wal"), marker_path):
            path.unlink(missing_ok=True)

    started = time.perf_counter()
    store = Store(settings.resolved_database_url)
    migrate.upgrade(store)
    from cxloop.demo.closed_loop import close_the_loop, staff_teams
    from cxloop.demo.replay import replay_feedback
    from cxloop.demo.synth import generate_company

    offset = timedelta(minutes=settings.business_utc_offset_minutes)
    last_day = (ends_on or (utc_now() + offset).date()) - timedelta(days=1)
    first_day = last_day - timedelta(days=DEMO_DAYS - 1)
    company = generate_company(seed=seed, customers=customers, start=first_day, days=DEMO_DAYS)
    staff_teams(store, DEMO_LOGIN[1])
    for kind, records in ((RecordKind.CUSTOMERS, company.customers), (RecordKind.EVENTS, company.events)):
        _ingest(store, settings, kind, records)
    processed = Worker(store, settings.model_copy(update={"worker_batch_size": 5000})).run_until_idle()
    logger.info("demo: processed %s customer and event records", processed)
    replay_feedback(
        store, settings, company.feedback, lambda kind, records: _ingest(store, settings, kind, records), seed
    )
    _backfill_emerging_issues(store, settings)
    close_the_loop(store, settings, company.timeline)
    token = _accounts(store)
    result = DemoResult(_counts(store), time.perf_counter() - started, False, token)
    store.dispose()
    if settings.is_embedded:
        marker_path.write_bytes(orjson.dumps({**wanted, "first_day": first_day, "last_day": last_day}))
    return result


def _same_demo(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a built store is the wanted one; the days it covers do not matter (it ages in place)."""
    return all(existing.get(key) == value for key, value in wanted.items())


def _backfill_emerging_issues(store: Store, settings: Settings) -> None:
    """Look for emerging issues on every day of the demo period, as if the server had run all along."""
    import sqlalchemy as sa

    from cxloop.jobs.emerging import detect_days
    from cxloop.store.tables import feedback_topics

    with store.read() as conn:
        first, last = conn.execute(
            sa.select(sa.func.min(feedback_topics.c.occurred_at), sa.func.max(feedback_topics.c.occurred_at))
        ).one()
    if first is None:
        return
    offset = timedelta(minutes=settings.business_utc_offset_minutes)
    start, end = (first + offset).date() + timedelta(days=14), (last + offset).date()
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    detect_days(store, days, offset_minutes=settings.business_utc_offset_minutes)


def _ingest(store: Store, settings: Settings, kind: RecordKind, records: list[dict[str, Any]]) -> None:
    size = settings.max_batch_records
    for start in range(0, len(records), size):
        chunk = records[start : start + size]
        receipt = accept_records(store, settings, kind, list(enumerate(chunk)), origin="demo", submitted_by="demo")
        if receipt.rejected:
            # The generator makes some identifiers malformed on purpose, never whole records.
            logger.warning(
                "demo %s: %s records rejected, e.g. %s", kind.value, receipt.rejected, receipt.rejections[:2]
            )


def _accounts(store: Store) -> str | None:
    email, password = DEMO_LOGIN
    try:
        access.create_user(store, email, "Demo Admin", password, Role.ADMIN, source="demo", locale=None)
    except Conflict:
        return None
    return access.create_token(store, "demo", frozenset({TokenScope.INGEST, TokenScope.READ}), created_by="demo")
