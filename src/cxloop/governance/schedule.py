"""The server's governance schedule: apply retention and measure the tables, once per interval."""

from __future__ import annotations

import logging
import threading

from cxloop.config import Settings
from cxloop.store.engine import Store

logger = logging.getLogger(__name__)


def run_governance_loop(store: Store, settings: Settings, stop: threading.Event) -> None:
    """Every `retention_interval_seconds` (first run one interval after start, so a restart never
    purges by surprise): purge what the retention policies allow, then run the table quality checks."""
    from cxloop.governance.quality import run_table_checks
    from cxloop.governance.retention import run_retention

    interval = settings.retention_interval_seconds
    while not stop.wait(interval):
        try:
            result = run_retention(store, settings, dry_run=False, actor="scheduler")
            purged = {r["kind"]: r["count"] for r in result["results"] if r["count"]}
            logger.info("retention purge: %s", purged or "nothing to purge")
            run_table_checks(store, settings)
        except Exception:  # a failed run must not end the schedule
            logger.exception("scheduled governance run failed; next try in %ss", interval)
