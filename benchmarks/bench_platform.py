"""Platform benchmark: batch-API ingest with the server in its own process, pipeline processing, file
import, and overview and inbox latency at 1M feedback items and 10M events, on DuckDB and PostgreSQL.

Prints markdown tables and writes them as JSON for `report.py`, which assembles benchmarks/RESULTS.md.
The machine is usually shared: figures are medians and percentiles, and the load average is recorded.

Run: .venv/bin/python benchmarks/bench_platform.py [--quick] [--sections ingest,import,queries]
         [--backends duckdb,postgresql] [--clients N] [--json PATH]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
from _common import RESULTS_DIR, WORK_DIR, Table, milliseconds, write_results
from _queries import FULL_SIZES, QuerySizes, build_duckdb, build_postgres, table_counts, time_queries
from _records import RecordShapes, to_csv, to_jsonl
from _server import ServerProcess, Stores, check_batches, count_intake, post_batches, store_settings

from cxloop.config import load_settings
from cxloop.domain import RecordKind
from cxloop.ingest.records import CANONICAL_FIELDS
from cxloop.jobs.imports import import_into_store
from cxloop.jobs.intake import accept_records
from cxloop.jobs.worker import Worker
from cxloop.store import migrate
from cxloop.store.engine import Store

logger = logging.getLogger("bench")

TITLE = "Platform: ingest, pipeline, import and queries"
SECTIONS = ("ingest", "pipeline", "import", "queries")
BACKENDS = ("duckdb", "postgresql")
# The targets, on 2 cores.
INGEST_TARGETS = {RecordKind.EVENTS: 20_000, RecordKind.FEEDBACK: 10_000}
OVERVIEW_P95_TARGET_MS = 300.0


@dataclass(frozen=True)
class Plan:
    batches: int
    batch_size: int
    import_rows: int
    sizes: QuerySizes
    warmup: int
    repeats: int
    query_budget_seconds: float
    pipeline_records: int


FULL = Plan(
    batches=20,
    batch_size=10_000,
    import_rows=200_000,
    sizes=FULL_SIZES,
    warmup=2,
    repeats=20,
    query_budget_seconds=30.0,
    pipeline_records=50_000,
)
QUICK = Plan(
    batches=2,
    batch_size=10_000,
    import_rows=10_000,
    sizes=QuerySizes(20_000, 200_000),
    warmup=1,
    repeats=5,
    query_budget_seconds=5.0,
    pipeline_records=4_000,
)


def ingest_section(plan: Plan, args: argparse.Namespace, stores: Stores, shapes: RecordShapes) -> list[Table]:
    ingest = Table(
        f"Batch API ingest: {plan.batches} requests of {plan.batch_size:,} records per kind, "
        f"{args.clients} client connection(s)",
        ["backend", "server", "kind", "records stored", "seconds", "records/s", "p50 ms", "p95 ms",
         "target records/s", "met?", "durable (checked after SIGKILL)"],
        section="ingest",
    )  # fmt: skip
    logger.info("serializing %d batch bodies per kind", plan.batches)
    bodies = {
        kind: [orjson.dumps(shapes.records(kind, plan.batch_size, f"b{i}")) for i in range(plan.batches)]
        for kind in INGEST_TARGETS
    }
    runs = [(b, False) for b in args.backends]
    if "duckdb" in args.backends:
        runs.insert(1, ("duckdb", True))  # the default DuckDB server: the worker shares its two cores
    for backend, worker in runs:
        label = "worker inside" if worker else "--no-worker"
        fresh = stores.fresh(backend, f"ingest_{'worker' if worker else 'intake'}")
        if fresh is None:
            ingest.notes.append(f"{backend}: skipped ({stores.postgres_problem})")
            continue
        url, data_dir = fresh
        logger.info("ingest: %s server, %s", backend, label)
        server = ServerProcess(data_dir, "" if backend == "duckdb" else url, worker=worker, log=data_dir / "server.log")
        with server:
            token = server.create_token()
            posted = [
                post_batches(server.url, token, kind.value, bodies[kind], clients=args.clients)
                for kind in INGEST_TARGETS
            ]
            problems = check_batches(server.url, token, posted)
            server.kill()
        stored = count_intake(url)
        for kind, series in zip(INGEST_TARGETS, posted, strict=True):
            on_disk = sum(stored.get(kind.value, Counter()).values())
            durable = not series.failures and on_disk == series.accepted == plan.batches * plan.batch_size
            problems += series.failures[:3]
            p50, p95 = milliseconds(series.latencies)
            rate = series.accepted / series.wall_seconds
            target = INGEST_TARGETS[kind]
            ingest.add(backend, label, kind.value, on_disk, series.wall_seconds, rate, p50, p95, target,
                       rate >= target, durable and not problems)  # fmt: skip
        if worker:
            processed = sum(c.get("done", 0) for c in stored.values())
            ingest.notes.append(f"duckdb, worker inside: the embedded worker had processed {processed:,} records "
                                "by the time the last batch was acknowledged")  # fmt: skip
        for problem in problems:
            ingest.notes.append(f"{backend} ({label}): {problem}")
    ingest.notes += [
        "records/s = records acknowledged (HTTP 202) / wall time from the first request to the last answer; "
        "p50/p95 are per request of one whole batch.",
        "A 202 means the batch is committed to the intake queue. Durable: every batch is then read back "
        "through GET /api/v1/batches/{id}, the server is killed with SIGKILL, and a fresh process counts "
        "the queued records.",
        "--no-worker measures intake alone; 'worker inside' is the default DuckDB server, whose pipeline "
        "worker runs while the batches arrive. The PostgreSQL server runs no worker by default.",
        "The client runs on the same machine and cores as the server; bodies are serialized beforehand.",
    ]
    return [ingest]


def _drain(worker: Worker, store: Store) -> tuple[int, float, str | None]:
    """Run the worker until the queue is empty, or until a record fails: a failing stage sends the
    worker into its slow one-record-at-a-time retry, which measures nothing useful."""
    processed, seconds = 0, 0.0
    while True:
        began = time.perf_counter()
        taken = worker.run_once()
        seconds += time.perf_counter() - began
        with store.read() as conn:
            error = conn.exec_driver_sql(
                "SELECT last_error FROM intake_records WHERE last_error IS NOT NULL LIMIT 1"
            ).scalar()
        if error is not None:
            return processed, seconds, str(error).splitlines()[0][:300]
        if taken == 0:
            return processed, seconds, None
        processed += taken


def pipeline_section(plan: Plan, args: argparse.Namespace, stores: Stores, shapes: RecordShapes) -> list[Table]:
    table = Table(
        f"Pipeline processing: {plan.pipeline_records:,} queued records per kind, one worker in this process",
        ["backend", "kind", "records", "seconds", "records/s"],
        section="pipeline",
    )
    for backend in args.backends:
        fresh = stores.fresh(backend, "pipeline")
        if fresh is None:
            table.notes.append(f"{backend}: skipped ({stores.postgres_problem})")
            continue
        url, data_dir = fresh
        settings = store_settings(url, data_dir)
        store = Store(settings.resolved_database_url)
        migrate.upgrade(store)
        worker = Worker(store, settings)
        try:
            for kind in INGEST_TARGETS:
                for first in range(0, plan.pipeline_records, settings.max_batch_records):
                    count = min(settings.max_batch_records, plan.pipeline_records - first)
                    records = shapes.records(kind, count, f"pipeline{first}")
                    accept_records(store, settings, kind, list(enumerate(records)), origin="api")
                logger.info("pipeline: %s, %s", backend, kind.value)
                processed, seconds, problem = _drain(worker, store)
                if processed:
                    table.add(backend, kind.value, processed, seconds, processed / seconds)
                else:
                    table.add(backend, kind.value, 0, None, None)
                if problem:
                    table.notes.append(f"{backend} {kind.value}: stopped at the first failing record: {problem}")
        finally:
            store.dispose()
    table.notes.append(
        "Worker.run_once() until the queue is empty, over records queued through "
        "cxloop.jobs.intake.accept_records (not timed): every stage the worker runs, in claims of "
        f"{load_settings().worker_batch_size:,} records; customers are linked by the identifiers the records carry."
    )
    return [table]


def import_section(plan: Plan, args: argparse.Namespace, stores: Stores, shapes: RecordShapes) -> list[Table]:
    table = Table(
        f"File import of {plan.import_rows:,} feedback rows (cxloop.jobs.imports.import_into_store, in process)",
        ["backend", "file", "MB", "rows stored", "seconds", "rows/s"],
        section="import",
    )
    for backend in args.backends:
        fresh = stores.fresh(backend, "import")
        if fresh is None:
            table.notes.append(f"{backend}: skipped ({stores.postgres_problem})")
            continue
        url, data_dir = fresh
        settings = store_settings(url, data_dir)
        store = Store(settings.resolved_database_url)
        migrate.upgrade(store)
        try:
            for file_format in ("csv", "jsonl"):
                records = shapes.records(RecordKind.FEEDBACK, plan.import_rows, f"import-{file_format}")
                fields = CANONICAL_FIELDS[RecordKind.FEEDBACK]
                data = to_csv(records, fields) if file_format == "csv" else to_jsonl(records)
                logger.info("import: %s, %s, %.1f MB", backend, file_format, len(data) / 1e6)
                began = time.perf_counter()
                report = import_into_store(
                    store, settings, data, f"feedback.{file_format}", RecordKind.FEEDBACK, submitted_by="bench"
                )
                seconds = time.perf_counter() - began
                table.add(backend, file_format, len(data) / 1e6, report.accepted, seconds, report.rows / seconds)
                if report.rejected or report.accepted != plan.import_rows:
                    table.notes.append(f"{backend} {file_format}: {report.rejected} rejected, {report.accepted} stored")
        finally:
            store.dispose()
    table.notes.append("Includes reading, decoding and validating the file and queueing its rows durably; "
                       "the pipeline processes them afterwards, as in the ingest section.")  # fmt: skip
    return [table]


def queries_section(plan: Plan, args: argparse.Namespace, stores: Stores, shapes: RecordShapes) -> list[Table]:
    sizes = plan.sizes
    at_target_size = sizes == FULL_SIZES
    load = Table(
        "Query data, written straight into the tables (bypassing the pipeline)",
        ["backend", "customers", "feedback", "events", "load seconds", "on disk MB", "note"],
        section="queries",
    )
    latency = Table(
        f"Overview and inbox latency at {sizes.feedback:,} feedback items and {sizes.events:,} events",
        ["backend", "query", "runs", "p50 ms", "p95 ms", "target p95 ms", "met?"],
        section="queries",
    )
    names, texts = shapes.customer_names, shapes.texts()
    for backend in args.backends:
        began = time.perf_counter()
        if backend == "duckdb":
            if args.rebuild_cache:
                from _queries import duckdb_cache_path

                duckdb_cache_path(sizes).unlink(missing_ok=True)
            url, report = build_duckdb(sizes, names, texts)
            note = "cached file from an earlier run" if report.cached else "built now, cached in benchmarks/.work"
        else:
            fresh = stores.fresh(backend, "queries")
            if fresh is None:
                load.notes.append(f"{backend}: skipped ({stores.postgres_problem})")
                continue
            url = fresh[0]
            logger.info("queries: loading PostgreSQL (minutes at full size)")
            report = build_postgres(url, sizes, names, texts)
            note = "secondary indexes rebuilt after the load, then VACUUM ANALYZE"
        counts = table_counts(url)
        load_seconds = None if report.cached else time.perf_counter() - began
        size_mb = report.bytes_on_disk / 1e6 if report.bytes_on_disk else None
        load.add(backend, counts["customers"], counts["feedback"], counts["events"], load_seconds, size_mb, note)
        logger.info("queries: timing on %s", backend)
        for timing in time_queries(
            url, warmup=plan.warmup, repeats=plan.repeats, budget_seconds=plan.query_budget_seconds
        ):
            p50, p95 = timing.p50_p95_ms
            has_target = timing.is_overview and backend == "duckdb"
            target = OVERVIEW_P95_TARGET_MS if has_target else None
            met = (p95 < OVERVIEW_P95_TARGET_MS) if has_target and at_target_size else None
            latency.add(backend, timing.name, len(timing.samples), p50, p95, target, met)
    load.notes.append(
        "Rows come from SQL (DuckDB range(), PostgreSQL generate_series()) with the demo company's channel, type "
        "and survey mix over 180 days, texts from the demo generator, ~"
        f"{sizes.customers:,} customers; intake_records stays empty."
    )
    latency.notes += [
        f"cxloop.analytics.overview.overview() and cxloop.store.inbox.list_feedback() on one connection: "
        f"{plan.warmup} warm-up run(s), then up to {plan.repeats} timed runs (at least 5, fewer only when a "
        f"query exceeds {plan.query_budget_seconds:.0f} s in total).",
        "The issue's target (overview data < 300 ms p95 at 1M feedback / 10M events) is for DuckDB.",
        "Rows are stored in time order, as a store fed continuously holds them, so DuckDB's zone maps skip "
        "the row groups outside a period; out-of-order backfills would make the 30-day overview scan more.",
    ]
    if not at_target_size:
        latency.notes.append("Quick run: sizes are below the target's, so 'met?' is left empty.")
    return [load, latency]


RUNNERS = {
    "ingest": ingest_section,
    "pipeline": pipeline_section,
    "import": import_section,
    "queries": queries_section,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--backends", default=",".join(BACKENDS), help=f"comma-separated subset of {BACKENDS}")
    parser.add_argument("--clients", type=int, default=1, help="concurrent client connections for ingest")
    parser.add_argument("--json", type=Path, help="results file (default benchmarks/results/platform.json; "
                        "benchmarks/.work/platform-quick.json with --quick)")  # fmt: skip
    parser.add_argument("--rebuild-cache", action="store_true", help="rebuild the cached DuckDB query data")
    parser.add_argument("--keep", action="store_true", help="keep the scratch stores and server logs")
    args = parser.parse_args()
    args.sections = [s for s in args.sections.split(",") if s]
    args.backends = [b for b in args.backends.split(",") if b]
    unknown = sorted(set(args.sections) - set(SECTIONS)) + sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown section or backend: {', '.join(unknown)}")
    # A plain SIGTERM would skip the cleanup below and leave the PostgreSQL server running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logger.setLevel(logging.INFO)
    # A failing stage is reported in the pipeline table; the worker's own traceback per record is noise here.
    logging.getLogger("cxloop.jobs.worker").setLevel(logging.CRITICAL)
    logging.getLogger("bench.queries").setLevel(logging.INFO)

    plan = QUICK if args.quick else FULL
    mode = "quick" if args.quick else "full"
    json_path = args.json or (WORK_DIR / "platform-quick.json" if args.quick else RESULTS_DIR / "platform.json")
    scratch = WORK_DIR / f"scratch-{time.strftime('%Y%m%d-%H%M%S')}"
    stores = Stores(scratch)
    shapes = RecordShapes.load()
    tables: list[Table] = []
    started = time.perf_counter()
    try:
        for section in args.sections:
            began, load_before = time.perf_counter(), os.getloadavg()[0]
            new = RUNNERS[section](plan, args, stores, shapes)
            measured = (
                f"Measured {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; section took "
                f"{time.perf_counter() - began:.0f} s; load average (1 min) {load_before:.1f} before, "
                f"{os.getloadavg()[0]:.1f} after."
            )
            for table in new:
                table.notes.append(measured)
                print(table.to_markdown(), end="\n\n", flush=True)
            tables += new
            _save_results(json_path, mode, tables, args, stores)
    finally:
        stores.close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    logger.info("done in %.0f s; results in %s", time.perf_counter() - started, json_path)


def _save_results(path: Path, mode: str, tables: list[Table], args: argparse.Namespace, stores: Stores) -> None:
    notes = [
        "The machine is shared and noisy: compare medians and ratios, and mind each table's load average.",
        "Server and benchmark client share the same cores.",
    ]
    if stores.postgres_settings:
        notes.append("PostgreSQL 'cxloop serve' and queries ran with: " + ", ".join(stores.postgres_settings))
    write_results(path, title=TITLE, mode=mode, tables=tables, notes=notes, sections_run=args.sections)


if __name__ == "__main__":
    main()
