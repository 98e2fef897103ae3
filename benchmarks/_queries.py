"""The query benchmark's data: customers, feedback and events written straight into the tables (not
through the pipeline), on DuckDB (cached under benchmarks/.work) and on PostgreSQL; then the timings."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import WORK_DIR, milliseconds
from _records import QUERY_DATA_VERSION, SqlDialect, customers_sql, events_sql, feedback_sql

from cxloop.analytics.overview import overview
from cxloop.store import inbox, migrate
from cxloop.store.engine import Store

logger = logging.getLogger("bench.queries")


@dataclass(frozen=True)
class QuerySizes:
    feedback: int
    events: int

    @property
    def customers(self) -> int:
        return max(1000, self.feedback // 5)

    @property
    def key(self) -> str:
        return f"f{self.feedback}-e{self.events}-c{self.customers}"


FULL_SIZES = QuerySizes(1_000_000, 10_000_000)  # the sizes the latency target names


@dataclass
class LoadReport:
    seconds: dict[str, float]
    bytes_on_disk: int | None
    cached: bool = False


def _schema_revision() -> str:
    from alembic.script import ScriptDirectory

    return "-".join(ScriptDirectory(str(Path(migrate.__file__).with_name("migrations"))).get_heads())


def duckdb_cache_path(sizes: QuerySizes) -> Path:
    return WORK_DIR / f"queries-{sizes.key}-schema{_schema_revision()}-v{QUERY_DATA_VERSION}.duckdb"


def build_duckdb(sizes: QuerySizes, names: list[str], texts: list[tuple[str, str | None]]) -> tuple[str, LoadReport]:
    """The DuckDB file with the query data, built once per size, schema and generator version."""
    import duckdb
    import pyarrow as pa

    path = duckdb_cache_path(sizes)
    if path.exists():
        return f"duckdb:///{path}", LoadReport({}, path.stat().st_size, cached=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"queries-{sizes.key}-*.duckdb"):  # older schema or generator
        stale.unlink()
    building = path.with_suffix(".building")
    for leftover in (building, Path(f"{building}.wal")):
        leftover.unlink(missing_ok=True)
    store = Store(f"duckdb:///{building}")
    migrate.upgrade(store)
    store.dispose()
    seconds: dict[str, float] = {}
    d = SqlDialect("duckdb")
    with duckdb.connect(str(building)) as conn:
        conn.execute("SET enable_progress_bar = false")
        names_arrow = pa.table({"k": list(range(len(names))), "name": names})
        texts_arrow = pa.table(
            {"k": list(range(len(texts))), "text": [t for t, _ in texts], "language": [lang for _, lang in texts]}
        )
        conn.register("bench_names", names_arrow)
        conn.register("bench_texts", texts_arrow)
        for table, sql in (
            ("customers", customers_sql(d, sizes.customers, "bench_names", len(names))),
            ("feedback", feedback_sql(d, sizes.feedback, sizes.customers, "bench_texts", len(texts))),
            ("events", events_sql(d, sizes.events, sizes.customers)),
        ):
            began = time.perf_counter()
            conn.execute(sql)
            seconds[table] = time.perf_counter() - began
            logger.info("duckdb: %s loaded in %.1fs", table, seconds[table])
        began = time.perf_counter()
        conn.execute("CHECKPOINT")
        seconds["checkpoint"] = time.perf_counter() - began
    building.rename(path)
    return f"duckdb:///{path}", LoadReport(seconds, path.stat().st_size)


def build_postgres(url: str, sizes: QuerySizes, names: list[str], texts: list[tuple[str, str | None]]) -> LoadReport:
    """Fill a fresh PostgreSQL database server-side with generate_series. The secondary indexes are
    dropped during the load and rebuilt after it (the usual bulk-load practice), then VACUUM ANALYZE."""
    import psycopg

    store = Store(url)
    migrate.upgrade(store)
    store.dispose()
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    d = SqlDialect("postgresql")
    seconds: dict[str, float] = {}
    with psycopg.connect(conninfo, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename IN ('customers', 'feedback', 'events') AND indexname NOT LIKE 'pk\\_%'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute("CREATE TEMP TABLE bench_names (k bigint, name text)")
        conn.execute("CREATE TEMP TABLE bench_texts (k bigint, text text, language text)")
        with conn.cursor().copy("COPY bench_names (k, name) FROM STDIN") as copy:
            for k, name in enumerate(names):
                copy.write_row((k, name))
        with conn.cursor().copy("COPY bench_texts (k, text, language) FROM STDIN") as copy:
            for k, (text, language) in enumerate(texts):
                copy.write_row((k, text, language))
        for table, sql in (
            ("customers", customers_sql(d, sizes.customers, "bench_names", len(names))),
            ("feedback", feedback_sql(d, sizes.feedback, sizes.customers, "bench_texts", len(texts))),
            ("events", events_sql(d, sizes.events, sizes.customers)),
        ):
            began = time.perf_counter()
            conn.execute(sql)
            seconds[table] = time.perf_counter() - began
            logger.info("postgresql: %s loaded in %.1fs", table, seconds[table])
        began = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        seconds["indexes"] = time.perf_counter() - began
        began = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - began
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return LoadReport(seconds, int(size[0]) if size else None)


@dataclass(frozen=True)
class TimedQuery:
    name: str
    run: Callable[[sa.Connection], Any]
    is_overview: bool = False


def _inbox(where: inbox.InboxFilter, page: int = 1) -> Callable[[sa.Connection], Any]:
    return lambda conn: inbox.list_feedback(conn, where, page=page, page_size=50)


QUERIES = (
    TimedQuery("overview, 30 days", lambda conn: overview(conn, days=30), is_overview=True),
    TimedQuery("overview, 180 days", lambda conn: overview(conn, days=180), is_overview=True),
    TimedQuery("inbox, first page (50)", _inbox(inbox.InboxFilter())),
    TimedQuery("inbox, channel = chat", _inbox(inbox.InboxFilter(channel="chat"))),
    TimedQuery("inbox, text contains '배송'", _inbox(inbox.InboxFilter(search="배송"))),
    TimedQuery("inbox, page 100", _inbox(inbox.InboxFilter(), page=100)),
)


@dataclass
class QueryTiming:
    name: str
    is_overview: bool
    samples: list[float]

    @property
    def p50_p95_ms(self) -> tuple[float, float]:
        return milliseconds(self.samples)


def time_queries(url: str, *, warmup: int, repeats: int, budget_seconds: float) -> list[QueryTiming]:
    """Each query `warmup` times untimed, then `repeats` times; a query slower than the budget allows
    stops early, after at least five timed runs."""
    store = Store(url)
    timings = []
    try:
        with store.read() as conn:
            for query in QUERIES:
                for _ in range(warmup):
                    query.run(conn)
                samples: list[float] = []
                started = time.perf_counter()
                while len(samples) < repeats:
                    began = time.perf_counter()
                    query.run(conn)
                    samples.append(time.perf_counter() - began)
                    if len(samples) >= 5 and time.perf_counter() - started > budget_seconds:
                        break
                timings.append(QueryTiming(query.name, query.is_overview, samples))
                logger.info("%s: %s", query.name, ", ".join(f"{v:.1f}" for v in milliseconds(samples)))
    finally:
        store.dispose()
    return timings


def table_counts(url: str) -> dict[str, int]:
    store = Store(url)
    try:
        with store.read() as conn:
            return {
                name: int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
                for name in ("customers", "feedback", "events")
            }
    finally:
        store.dispose()
