"""Replaying the demo's feedback history as a live server would have lived it.

Feeding six months of feedback in at once would route all of it at one moment: every case opened
today, a customer's complaints months apart joined as recontacts of one case, and nobody having
worked anything. Instead the feedback arrives slot by slot in time order; each slot is processed with
the worker's clock set to the slot's end, then the agents do the work that fell due, then the SLA
pass runs. Cases, recontacts, reopens, SLA warnings and breaches and first-contact resolution all come
out of the product's own workflow at the simulated moments.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from cxloop.config import Settings
from cxloop.demo.agents import AgentDesk
from cxloop.domain import RecordKind
from cxloop.jobs.worker import Worker
from cxloop.route.ruleset import current_rule_set
from cxloop.route.slacheck import business_calendar, check_case_slas
from cxloop.store.engine import Store

logger = logging.getLogger(__name__)

#: How much simulated time one processing cycle covers: cases open at most this long after their item.
SLOT = timedelta(hours=12)


def _utc(record: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(str(record["occurred_at"]))
    offset = moment.utcoffset() or timedelta(0)
    return moment.replace(tzinfo=None) - offset


def replay_feedback(
    store: Store,
    settings: Settings,
    records: list[dict[str, Any]],
    ingest: Callable[[RecordKind, list[dict[str, Any]]], None],
    seed: int,
) -> dict[str, int]:
    """Ingest and process `records` slot by slot in time order, working the cases as time passes."""
    clock = {"now": datetime.min}
    worker = Worker(store, settings.model_copy(update={"worker_batch_size": 5000}), clock=lambda: clock["now"])
    desk = AgentDesk(store, seed)
    calendar = business_calendar(settings)
    totals = {"slots": 0, "processed": 0, "replied": 0, "resolved": 0, "breaches": 0}
    timed = sorted(((_utc(r), r) for r in records), key=lambda pair: pair[0])
    origin = timed[0][0].replace(hour=0, minute=0, second=0, microsecond=0) if timed else datetime.min
    seconds = dict.fromkeys(("ingest", "process", "agents", "sla"), 0.0)

    def timed_step(phase: str, started: float) -> float:
        now = time.perf_counter()
        seconds[phase] += now - started
        return now

    for slot, group in groupby(timed, key=lambda pair: (pair[0] - origin) // SLOT):
        clock["now"] = origin + SLOT * (slot + 1)
        started = time.perf_counter()
        ingest(RecordKind.FEEDBACK, [record for _, record in group])
        started = timed_step("ingest", started)
        totals["processed"] += worker.run_until_idle()
        started = timed_step("process", started)
        for key, n in desk.work_until(clock["now"]).items():
            totals[key] += n
        started = timed_step("agents", started)
        with store.write() as conn:
            counts = check_case_slas(conn, store.dialect, calendar=calendar, rule_set=current_rule_set(conn),
                                     now=clock["now"], warning_ratio=settings.sla_warning_ratio)  # fmt: skip
        timed_step("sla", started)
        totals["breaches"] += counts["breaches"]
        totals["slots"] += 1
    logger.info(
        "demo: replayed the feedback history: %s; seconds %s", totals, {k: round(v) for k, v in seconds.items()}
    )
    return totals
