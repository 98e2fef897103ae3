"""A small hand-made data set for the KPI tests, loaded into DuckDB, PostgreSQL and Spark.

Times are UTC; the business zone is KST (+540 min). The current period is 2026-05-01..05-07 (local),
the previous one 2026-04-24..04-30. Expected answers are worked out by hand in the tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest
from sqlalchemy.engine import make_url

from cxloop.analytics.warehouse import Warehouse, spark_warehouse


def utc(month: int, day: int, hour: int = 3) -> datetime:
    return datetime(2026, month, day, hour)


# id, customer, channel, occurred_at (UTC), language, survey_type, score, journey_stage, sentiment
FEEDBACK = [
    ("f01", "c1", "survey", utc(5, 1), "ko", "nps", 10, "purchase", "positive"),
    ("f02", "c2", "survey", utc(5, 2), "ko", "nps", 9, "delivery", "positive"),
    ("f03", "c3", "survey", utc(5, 3), "en", "nps", 7, "delivery", "neutral"),
    ("f04", "c1", "survey", utc(5, 4), "ko", "nps", 3, "delivery", "negative"),
    ("f05", "c4", "survey", utc(5, 5), "en", "nps", 0, "support", "negative"),
    # 16:00 UTC on 04-30 is 01:00 on 05-01 in Seoul: it belongs to the current period.
    ("f09", "c2", "survey", utc(4, 30, 16), "ko", "nps", 9, "purchase", "positive"),
    ("f06", "c2", "survey", utc(4, 25), "ko", "nps", 10, "purchase", "positive"),
    ("f07", "c3", "survey", utc(4, 26), "en", "nps", 10, "delivery", "positive"),
    ("f08", "c1", "survey", utc(4, 27), "ko", "nps", 8, "delivery", "neutral"),
    ("f10", "c1", "survey", utc(5, 2), "ko", "csat", 5, "delivery", "positive"),
    ("f11", "c2", "survey", utc(5, 3), "ko", "csat", 4, "delivery", None),
    ("f12", "c3", "survey", utc(5, 6), "en", "csat", 2, "use", "negative"),
    ("f13", "c1", "survey", utc(4, 28), "ko", "csat", 5, "delivery", "positive"),
    ("f14", "c1", "survey", utc(5, 2), "ko", "ces", 7, "support", None),
    ("f15", "c2", "survey", utc(5, 3), "ko", "ces", 4, "support", None),
    ("f16", "c3", "survey", utc(5, 4), "en", "ces", 5, "support", None),
    ("f17", "c1", "call", utc(5, 2), "ko", None, None, "delivery", "negative"),
    ("f18", "c2", "chat", utc(5, 3), "en", None, None, "support", "negative"),
    ("f19", "c3", "email", utc(5, 4), "ko", None, None, "use", "positive"),
    ("f20", None, "sns", utc(5, 6), "ko", None, None, None, "positive"),
    ("f21", "c4", "call", utc(4, 26), "ko", None, None, "support", "negative"),
]
TOPICS = [("f04", "delivery"), ("f17", "delivery"), ("f17", "refund"), ("f02", "delivery"), ("f12", "app")]
CUSTOMERS = [("c1", "gold"), ("c2", "silver"), ("c3", "gold"), ("c4", None)]
TEAMS = [("t1", "Delivery"), ("t2", "Billing")]
# id, customer, type, channel, occurred_at, value
EVENTS = [
    ("e01", "c1", "visit", "web", utc(5, 1), None),
    ("e02", "c1", "purchase", "web", utc(4, 20), 10000),
    ("e03", "c1", "purchase", "web", utc(5, 2), 30000),
    ("e04", "c2", "visit", "app", utc(5, 2), None),
    ("e05", "c2", "product_view", "app", utc(5, 2), None),
    ("e06", "c2", "purchase", "app", utc(5, 3), 20000),
    ("e07", "c3", "visit", "web", utc(5, 3), None),
    ("e08", "c4", "purchase", "store", utc(5, 5), 50000),
    ("e09", None, "visit", "web", utc(5, 4), None),
    ("e10", "c3", "purchase", "web", utc(4, 27), 15000),
]
H = timedelta(hours=1)
_C = utc(5, 1, 0)
# id, team, channel, language, topic, created, first_response, resolved, fcr, reopens, recontacts,
# resolution_due, first_response_breached, resolution_breached
CASES = [
    ("k1", "t1", "call", "ko", "delivery", _C, _C + 2 * H, _C + 10 * H, True, 0, 0, _C + 48 * H, None, None),
    ("k2", "t1", "chat", "en", "delivery", _C + 24 * H, _C + 29 * H, _C + 54 * H, False, 1, 1, _C + 48 * H, None,
     _C + 72 * H),
    ("k3", "t2", "email", "ko", "refund", _C + 48 * H, _C + 49 * H, None, None, 0, 1, _C + 96 * H, None, None),
    ("k4", "t2", "call", "ko", "refund", _C + 72 * H, None, None, None, 0, 0, _C + 120 * H, _C + 80 * H, None),
    ("k5", "t1", "call", "ko", "delivery", utc(4, 25, 0), utc(4, 25, 4), utc(4, 25, 20), True, 0, 0,
     utc(4, 27, 0), None, None),
]  # fmt: skip
ACTIONS = [("a1", "delivery", "t1", utc(5, 5, 0)), ("a2", "refund", "t2", None)]
ACTION_FEEDBACK = [("a1", "f04"), ("a1", "f17"), ("a2", "f18")]


def _table(columns: dict[str, pa.DataType], rows: list[tuple[Any, ...]]) -> pa.Table:
    return pa.table({name: pa.array([r[i] for r in rows], kind) for i, (name, kind) in enumerate(columns.items())})


def kpi_tables() -> dict[str, pa.Table]:
    s, ts, i16, i32 = pa.string(), pa.timestamp("us"), pa.int16(), pa.int32()
    feedback = _table(
        {"id": s, "customer_id": s, "channel": s, "occurred_at": ts, "language": s, "survey_type": s,
         "score": i16, "journey_stage": s, "sentiment_label": s},
        FEEDBACK,
    )  # fmt: skip
    occurred = {r[0]: r[3] for r in FEEDBACK}
    channel = {r[0]: r[2] for r in FEEDBACK}
    topics = _table(
        {"feedback_id": s, "topic": s, "occurred_at": ts, "channel": s},
        [(f, topic, occurred[f], channel[f]) for f, topic in TOPICS],
    )
    events = _table(
        {"id": s, "customer_id": s, "type": s, "channel": s, "occurred_at": ts, "value": pa.decimal128(18, 2)},
        [(*r[:5], None if r[5] is None else Decimal(r[5])) for r in EVENTS],
    )
    cases = _table(
        {"id": s, "team_id": s, "channel": s, "language": s, "topic": s, "created_at": ts, "first_response_at": ts,
         "resolved_at": ts, "fcr": pa.bool_(), "reopen_count": i32, "recontact_count": i32,
         "resolution_due_at": ts, "first_response_breached_at": ts, "resolution_breached_at": ts},
        CASES,
    )  # fmt: skip
    cases = cases.append_column("first_response_due_at", pa.array([r[5] + 4 * H for r in CASES], ts))
    return {
        "feedback": feedback,
        "feedback_topics": topics,
        "customers": _table({"id": s, "tier": s}, CUSTOMERS),
        "teams": _table({"id": s, "name": s}, TEAMS),
        "events": events,
        "cases": cases,
        "improvement_actions": _table({"id": s, "topic": s, "team_id": s, "shipped_at": ts}, ACTIONS),
        "action_feedback": _table({"action_id": s, "feedback_id": s}, ACTION_FEEDBACK),
    }


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark for the whole test session: it takes ~20 s to start. Shared with the journey tests."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("cxloop-tests")
        .config("spark.sql.session.timeZone", "UTC")  # stored timestamps are naive UTC
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def _load(backend: Any, tables: dict[str, pa.Table]) -> None:
    for name, data in tables.items():
        backend.create_table(name, ibis.memtable(data))


@pytest.fixture(
    scope="module",
    params=[
        "duckdb",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("pyspark", marks=pytest.mark.slow),
    ],
)
def kpi_warehouse(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """The hand-made data set on each engine in turn."""
    tables = kpi_tables()
    if request.param == "duckdb":
        backend = ibis.duckdb.connect()
        _load(backend, tables)
        yield Warehouse(backend, "duckdb")
        backend.disconnect()
    elif request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        name = f"kpi_{uuid.uuid4().hex[:10]}"
        url = make_url(str(server.create_database(name)))
        backend = ibis.postgres.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
        )
        _load(backend, tables)
        yield Warehouse(backend, "postgres")
        backend.disconnect()
        server.drop_database(name)
    else:
        yield spark_warehouse(request.getfixturevalue("spark_session"), tables)
