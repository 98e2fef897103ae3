"""KPI latency: every catalog KPI through the one Ibis implementation, p50/p95 per KPI.

DuckDB at the issue's size (1M feedback, 10M events; --quick: 100k / 1M), and PostgreSQL and Spark
beside it on a small data set (20k / 200k). Rows come from the platform benchmark's SQL generator
(_records.py), plus what the KPIs read and that generator leaves out: sentiment labels,
feedback_topics, teams, cases with the closed-loop contract columns, improvement actions and their
linked feedback. The built file is cached under benchmarks/.work keyed by size.

Each timed request is what the KPI explorer asks by default: the last 90 days by week, with the
previous 90 days compared (totals and weekly rows in one query, plus the rank-sum query of the
significance test for quantile KPIs). The first request of a shape builds and compiles the Ibis
expressions (reported as "first call"); repeats run the SQL cached for that shape on DuckDB.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import Table, milliseconds, write_results  # noqa: E402
from _queries import WORK_DIR, QuerySizes  # noqa: E402
from _records import LATEST, RecordShapes  # noqa: E402

logger = logging.getLogger("bench.kpis")
TARGET_P95_MS = 300.0
FULL = QuerySizes(1_000_000, 10_000_000)
SMALL = QuerySizes(20_000, 200_000)
ENRICH_VERSION = 1
CASES_PER_FEEDBACK = 10  # one case for every tenth support contact

_ENRICH = [
    """UPDATE feedback SET sentiment_label = CASE WHEN hash(id) % 10 < 3 THEN 'negative'
        WHEN hash(id) % 10 < 6 THEN 'neutral' ELSE 'positive' END WHERE text IS NOT NULL""",
    """INSERT INTO feedback_topics SELECT id, CASE hash(id, 1) % 6 WHEN 0 THEN 'delivery' WHEN 1 THEN 'refund'
        WHEN 2 THEN 'app' WHEN 3 THEN 'payment' WHEN 4 THEN 'product' ELSE 'service' END, sentiment_label,
        0.8, occurred_at, channel FROM feedback WHERE text IS NOT NULL AND hash(id, 2) % 10 < 7""",
    "INSERT INTO teams SELECT 'TEAM' || i, 'Team ' || i, NULL, TIMESTAMP '2026-01-01', 'bench' FROM range(6) t(i)",
    # The bench file is ours: cases and the action tables are recreated with exactly the contract's
    # columns the KPIs read, whatever the migrations of this checkout add beside them.
    "DROP TABLE IF EXISTS cases",
    """CREATE TABLE cases (id VARCHAR, customer_id VARCHAR, origin_feedback_id VARCHAR, team_id VARCHAR,
        subject VARCHAR, status VARCHAR, priority VARCHAR, version INTEGER, created_at TIMESTAMP,
        updated_at TIMESTAMP, source VARCHAR, channel VARCHAR, language VARCHAR, topic VARCHAR,
        first_response_at TIMESTAMP, resolved_at TIMESTAMP, fcr BOOLEAN, reopen_count INTEGER,
        recontact_count INTEGER, first_response_due_at TIMESTAMP, resolution_due_at TIMESTAMP,
        first_response_breached_at TIMESTAMP, resolution_breached_at TIMESTAMP)""",
    f"""INSERT INTO cases (id, customer_id, origin_feedback_id, team_id, subject, status, priority, version,
        created_at, updated_at, source, channel, language, topic, first_response_at, resolved_at, fcr, reopen_count,
        recontact_count, first_response_due_at, resolution_due_at, first_response_breached_at, resolution_breached_at)
      SELECT 'CS' || lpad(CAST(n AS VARCHAR), 24, '0'), customer_id, id, 'TEAM' || (hash(id, 3) % 6), 'case',
        'resolved', 'normal', 1, occurred_at, occurred_at, 'bench', channel, language, 'delivery',
        occurred_at + INTERVAL 1 MINUTE * (hash(id, 4) % 600),
        CASE WHEN hash(id, 5) % 10 < 8 THEN occurred_at + INTERVAL 1 MINUTE * (60 + hash(id, 6) % 5000) END,
        CASE WHEN hash(id, 5) % 10 < 8 THEN hash(id, 7) % 10 < 7 END, CAST(hash(id, 8) % 10 = 0 AS INTEGER),
        CAST(hash(id, 9) % 10 < 2 AS INTEGER), occurred_at + INTERVAL 4 HOUR, occurred_at + INTERVAL 48 HOUR,
        CASE WHEN hash(id, 4) % 600 > 240 THEN occurred_at + INTERVAL 4 HOUR END,
        CASE WHEN hash(id, 6) % 5000 > 2820 THEN occurred_at + INTERVAL 48 HOUR END
      FROM (SELECT *, row_number() OVER () AS n FROM feedback WHERE channel IN ('call', 'chat', 'email'))
      WHERE n % {CASES_PER_FEEDBACK} = 0""",
    "DROP TABLE IF EXISTS improvement_actions",
    "DROP TABLE IF EXISTS action_feedback",
    """CREATE TABLE improvement_actions (id VARCHAR, title VARCHAR, topic VARCHAR, team_id VARCHAR,
        status VARCHAR, shipped_at TIMESTAMP, created_at TIMESTAMP)""",
    "CREATE TABLE action_feedback (action_id VARCHAR, feedback_id VARCHAR, linked_at TIMESTAMP)",
    f"""INSERT INTO improvement_actions (id, title, topic, team_id, status, shipped_at, created_at)
      SELECT 'ACT' || i, 'action', 'delivery', 'TEAM' || (i % 6), 'shipped',
        TIMESTAMP '{LATEST:%Y-%m-%d %H:%M:%S}' - INTERVAL 1 DAY * (i % 170), TIMESTAMP '2026-01-01'
      FROM range(300) t(i)""",
    """INSERT INTO action_feedback SELECT 'ACT' || (hash(id) % 300), id, occurred_at FROM feedback
      WHERE hash(id, 11) % 50 = 0""",
]


def enriched_duckdb(sizes: QuerySizes) -> tuple[Path, bool]:
    """The platform benchmark's generated rows plus the KPI extras, built once per size into our own
    cache file (minutes at full size)."""
    import duckdb
    import pyarrow as pa
    from _records import SqlDialect, customers_sql, events_sql, feedback_sql

    from cxloop.store import migrate
    from cxloop.store.engine import Store

    target = WORK_DIR / f"kpis-{sizes.key}-v{ENRICH_VERSION}.duckdb"
    if target.exists():
        return target, True
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_suffix(".building")
    for leftover in (building, Path(f"{building}.wal")):
        leftover.unlink(missing_ok=True)
    store = Store(f"duckdb:///{building}")
    migrate.upgrade(store)
    store.dispose()
    shapes = RecordShapes.load()
    names, texts = shapes.customer_names, shapes.texts()
    d = SqlDialect("duckdb")
    with duckdb.connect(str(building)) as con:
        con.execute("SET enable_progress_bar = false")
        con.register("bench_names", pa.table({"k": list(range(len(names))), "name": names}))
        con.register(
            "bench_texts",
            pa.table({"k": list(range(len(texts))), "text": [t for t, _ in texts], "language": [g for _, g in texts]}),
        )
        statements = [
            customers_sql(d, sizes.customers, "bench_names", len(names)),
            feedback_sql(d, sizes.feedback, sizes.customers, "bench_texts", len(texts)),
            events_sql(d, sizes.events, sizes.customers),
            *_ENRICH,
        ]
        for statement in statements:
            began = time.perf_counter()
            con.execute(statement)
            logger.info("%.1fs: %s", time.perf_counter() - began, " ".join(statement.split())[:70])
        con.execute("CHECKPOINT")
    building.rename(target)
    return target, False


def _query(kpi: str, offset: int, days: int | None = 90) -> Any:
    """90 days by week against the 90 before (the whole data set), or with `days=None` the explorer's
    default request: no dates, so the 30 days up to the newest record, by week, against the 30 before."""
    from cxloop.analytics.kpis import KpiQuery

    if days is None:
        return KpiQuery(kpi, grain="week", compare=True, offset_minutes=offset)
    end = (LATEST + timedelta(minutes=offset)).date()
    start = end - timedelta(days=days - 1)
    return KpiQuery(kpi, start=start, end=end, grain="week", compare=True, offset_minutes=offset)


def time_warehouse(wh: Any, runs: int, days: int | None = 90) -> dict[str, tuple[float, float, int, float]]:
    from cxloop.analytics.catalog import load_catalog
    from cxloop.analytics.kpis import compute_kpi

    out = {}
    for kpi in load_catalog():
        began = time.perf_counter()
        compute_kpi(wh, _query(kpi, 540, days))  # warm-up: compiled SQL cache, Spark's first job
        first = (time.perf_counter() - began) * 1000.0
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            result = compute_kpi(wh, _query(kpi, 540, days))
            samples.append(time.perf_counter() - began)
        p50, p95 = milliseconds(samples)
        out[kpi] = (p50, p95, int(result["total"]["n"]), first)
    return out


def small_tables(path: Path) -> dict[str, Any]:
    import duckdb

    names = ("feedback", "feedback_topics", "customers", "teams", "events", "cases", "improvement_actions",
             "action_feedback")  # fmt: skip
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: con.execute(f"SELECT * FROM {name}").to_arrow_table() for name in names}


def postgres_timings(tables: dict[str, Any], runs: int) -> dict[str, tuple[float, float, int, float]] | str:
    import ibis
    from sqlalchemy.engine import make_url

    from cxloop.analytics.warehouse import Warehouse
    from support.postgres import ThrowawayPostgres

    try:
        server = ThrowawayPostgres()
        server.start()
    except Exception as exc:  # no PostgreSQL binaries here: say so in the results
        return f"skipped: {exc}"
    try:
        url = make_url(str(server.create_database("bench_kpis")))
        backend = ibis.postgres.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
        )
        for name, data in tables.items():
            backend.create_table(name, ibis.memtable(data))
        backend.raw_sql("ANALYZE")
        return time_warehouse(Warehouse(backend, "postgres"), runs)
    finally:
        server.stop()


def spark_timings(tables: dict[str, Any], runs: int) -> dict[str, tuple[float, float, int, float]] | str:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        return f"skipped: {exc}"
    from cxloop.analytics.warehouse import spark_warehouse

    session = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        return time_warehouse(spark_warehouse(session, tables), runs)
    finally:
        session.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k feedback / 1M events (or 20k / 200k) on DuckDB")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-others", action="store_true", help="DuckDB only")
    parser.add_argument("--out", "--json", type=Path, default=HERE / "results" / "kpis.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    sizes = FULL
    if args.quick:
        medium = QuerySizes(100_000, 1_000_000)
        sizes = medium

    from cxloop.analytics.warehouse import open_warehouse
    from cxloop.store.engine import Store

    logger.info("building or reusing the DuckDB data set at %s", sizes.key)
    began = time.perf_counter()
    path, cached = enriched_duckdb(sizes)
    build_seconds = None if cached else time.perf_counter() - began
    store = Store(f"duckdb:///{path}")
    with open_warehouse(store) as wh:
        duck = time_warehouse(wh, args.runs)
        default = time_warehouse(wh, args.runs, days=None)
    store.dispose()
    others: dict[str, dict[str, tuple[float, float, int, float]] | str] = {}
    if not args.skip_others:
        small_path, _ = enriched_duckdb(SMALL)
        tables = small_tables(small_path)
        logger.info("PostgreSQL at %s", SMALL.key)
        others["postgres"] = postgres_timings(tables, max(3, args.runs // 2))
        logger.info("Spark at %s", SMALL.key)
        others["pyspark"] = spark_timings(tables, max(3, args.runs // 2))

    at_target = sizes == FULL
    table = Table(
        f"KPI latency by week with the previous period (DuckDB at {sizes.feedback:,} feedback / "
        f"{sizes.events:,} events; PostgreSQL and Spark at {SMALL.feedback:,} / {SMALL.events:,}, 90 days)",
        [
            "kpi",
            "n (DuckDB, 90 days)",
            "DuckDB 90 days p50 ms",
            "DuckDB 90 days p95 ms",
            "DuckDB 90 days first call ms",
            "target DuckDB 90 days p95 ms",
            "met?",
            "DuckDB default p50 ms",
            "DuckDB default p95 ms",
            "default met?",
            "PostgreSQL p50 ms",
            "PostgreSQL p95 ms",
            "Spark p50 ms",
            "Spark p95 ms",
        ],
    )
    for kpi, (p50, p95, n, first) in duck.items():
        d50, d95 = default[kpi][:2]
        row: list[Any] = [kpi, n, p50, p95, first, TARGET_P95_MS, (p95 < TARGET_P95_MS) if at_target else None,
                          d50, d95, (d95 < TARGET_P95_MS) if at_target else None]  # fmt: skip
        for engine in ("postgres", "pyspark"):
            timing = others.get(engine)
            row += list(timing[kpi][:2]) if isinstance(timing, dict) else [None, None]
        table.add(*row)
    table.notes += [
        f"{args.runs} timed runs per KPI on DuckDB after one warm-up; each run is compute_kpi() end to end "
        "(1-2 queries + Python statistics; the SQL compiled by the warm-up call is reused per request shape), "
        "on one connection of the store. 'first call' is the warm-up: Ibis build + compile + queries.",
        "'90 days' asks for 90 days by week against the 90 days before: the whole 180-day data set. 'default' is "
        "what the KPI explorer and the API ask when no dates are given: the 30 days up to the newest record, by "
        "week, against the 30 days before (a third of the data).",
        "Build: " + ("cached file" if cached else f"{build_seconds:.0f} s (generated in SQL, then cached)"),
        *[f"{engine}: {value}" for engine, value in others.items() if isinstance(value, str)],
        f"Load average (1 min) at the end of the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; other "
        "processes on a shared machine inflate these figures.",
        "Spark is local mode with 2 cores: every query is a Spark job, so its figures are seconds of job "
        "scheduling on a tiny data set, not a statement about Spark at scale.",
    ]
    if not at_target:
        table.notes.append("Quick run: below the target's size, so 'met?' is left empty.")
    targets = [
        {"name": f"{kpi} p95 < {TARGET_P95_MS:.0f} ms on DuckDB at 1M/10M, {shape}", "target": TARGET_P95_MS,
         "measured": timings[kpi][1], "met": timings[kpi][1] < TARGET_P95_MS}
        for kpi in duck
        for shape, timings in (("default request", default), ("90 days", duck))
    ] if at_target else []  # fmt: skip
    write_results(
        args.out,
        title="KPIs",
        mode="quick" if args.quick else "full",
        tables=[table],
        extra={"targets": targets} if targets else None,
    )
    for row in table.rows:
        print(row)


if __name__ == "__main__":
    main()
