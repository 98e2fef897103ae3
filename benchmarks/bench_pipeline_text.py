"""Full pipeline throughput for feedback: identity, PII, sentiment, topics, keywords, flags,
duplicates and storage, per stage and end to end, on DuckDB with the demo company's feedback.

Run: .venv/bin/python benchmarks/bench_pipeline_text.py [--customers N] [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _common import Table, write_results

from cxloop.config import Settings, load_settings
from cxloop.demo.synth import generate_company
from cxloop.domain import RecordKind
from cxloop.jobs.intake import accept_records
from cxloop.jobs.pipeline import Pipeline, Stage
from cxloop.jobs.text_stages import text_analyzer
from cxloop.jobs.worker import Worker, default_pipeline
from cxloop.store import migrate
from cxloop.store.engine import Store

TARGET_ITEMS_PER_SECOND = 1000


def timed(pipeline: Pipeline, seconds: dict[str, float]) -> Pipeline:
    """The same stages, each adding its wall time to `seconds`."""

    def wrap(stage: Stage) -> Stage:
        def run(batch, ctx):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            result = stage.run(batch, ctx)
            seconds[stage.name] += time.perf_counter() - started
            return result

        return Stage(stage.name, stage.phase, run)

    return Pipeline([wrap(s) for s in pipeline.stages])


def _queue(store: Store, settings: Settings, kind: RecordKind, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 10_000):
        accept_records(store, settings, kind, list(enumerate(records[start : start + 10_000])), origin="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="1,000 customers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    customers = 1000 if args.quick else args.customers
    company = generate_company(customers=customers)
    text_analyzer()  # model loading is a one-off per process, not per item
    seconds: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"duckdb:///{tmp}/bench.duckdb", worker_batch_size=2000)
        store = Store(settings.resolved_database_url)
        migrate.upgrade(store)
        _queue(store, settings, RecordKind.CUSTOMERS, company.customers)
        Worker(store, settings).run_until_idle()  # customers first: the timed run is feedback only
        _queue(store, settings, RecordKind.FEEDBACK, company.feedback)
        worker = Worker(store, settings, timed(default_pipeline(), seconds))
        started = time.perf_counter()
        processed = worker.run_until_idle()
        total = time.perf_counter() - started
        store.dispose()
    texts = sum(1 for f in company.feedback if f.get("text"))
    table = Table(
        f"Feedback pipeline on DuckDB: {processed:,} items ({texts:,} with text), one worker, batches of 2,000",
        ["stage", "seconds", "items/s", "target items/s", "met?"],
    )
    for name, spent in seconds.items():
        table.add(name, round(spent, 2), round(processed / spent) if spent else None, None, None)
    rate = processed / total
    table.add(
        "all stages + queue bookkeeping",
        round(total, 2),
        round(rate),
        TARGET_ITEMS_PER_SECOND,
        rate >= TARGET_ITEMS_PER_SECOND,
    )
    print(f"{processed:,} feedback items in {total:.1f} s = {rate:,.0f}/s")
    for row in table.rows:
        print("  ", row)
    if args.json:
        write_results(
            args.json, title="Text enrichment pipeline", mode="quick" if args.quick else "full", tables=[table]
        )


if __name__ == "__main__":
    main()
