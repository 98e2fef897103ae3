"""The same journey answers on DuckDB, PostgreSQL and Spark: the analytics are written once in Ibis."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest

from analytics.journeys.journey_data import (
    CUSTOMERS,
    FEEDBACK,
    FUNNEL,
    T,
    arrow_tables,
    customer_rows,
    event_rows,
    feedback_rows,
    load,
)
from cxloop.analytics.journeys import cohort_retention, emotion_flow, funnel, parse_window, top_paths
from cxloop.analytics.warehouse import Warehouse, open_warehouse, spark_warehouse
from cxloop.store import migrate
from cxloop.store.engine import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def generated_tables(seed: int, customers: int = 60) -> dict[str, list[dict[str, Any]]]:
    """Shoppers who walk some way down the funnel, at second precision, with detours and repeats."""
    rng = random.Random(seed)
    items = []
    for n in range(customers):
        cid = f"c{n % 5 + 1}" if n < 5 else f"g{n}"
        at = T(1) + timedelta(days=rng.randrange(40), seconds=rng.randrange(86_400))
        channel = rng.choice(("web", "app", "store"))
        for _ in range(rng.randrange(1, 4)):
            for step in FUNNEL:
                if rng.random() < 0.25:
                    items.append((cid, rng.choice(("search", "app_open", "product_view")), channel, at))
                    at += timedelta(seconds=rng.randrange(1, 3000))
                items.append((cid, step, channel, at))
                at += timedelta(seconds=rng.randrange(1, 200_000))
                if rng.random() < 0.3:
                    break
            at += timedelta(days=rng.randrange(1, 20))
    fb, topics = feedback_rows(FEEDBACK)
    return {
        "events": event_rows(items),
        "customers": customer_rows(CUSTOMERS),
        "feedback": fb,
        "feedback_topics": topics,
    }


def answers(wh: Warehouse, *, everything: bool = True) -> dict[str, Any]:
    """Funnel and cohorts everywhere; paths and emotion too where a query costs milliseconds, not
    seconds (a local one-core Spark plans every query for seconds)."""
    found = {
        "funnel": funnel(wh, FUNNEL, parse_window("3d"), by="channel"),
        "cohorts": cohort_retention(wh, grain="week", periods=6),
    }
    if everything:
        found["paths"] = top_paths(wh, "visit", "purchase", parse_window("30d"), depth=4, limit=5)
        found["emotion"] = emotion_flow(wh)
    return found


def test_duckdb_postgres_and_spark_agree(duckdb_store: Store, postgres_server: Any, journeys_spark: Any) -> None:
    tables = generated_tables(seed=11)
    load(duckdb_store, tables)
    name = f"t_{uuid.uuid4().hex[:12]}"
    postgres = Store(str(postgres_server.create_database(name)))
    try:
        migrate.upgrade(postgres)
        load(postgres, tables)
        with open_warehouse(duckdb_store) as wh:
            on_duckdb = answers(wh)
        with open_warehouse(postgres) as wh:
            on_postgres = answers(wh)
    finally:
        postgres.dispose()
        postgres_server.drop_database(name)
    spark_tables = {k: v for k, v in arrow_tables(tables).items() if k in ("events", "customers")}
    on_spark = answers(spark_warehouse(journeys_spark, spark_tables), everything=False)
    assert on_duckdb["funnel"]["entered"] > 20
    assert on_duckdb["funnel"]["converted"] > 0
    assert len(on_duckdb["cohorts"]["cohorts"]) >= 4
    assert on_duckdb["paths"]["paths"]
    for part in on_duckdb:
        assert on_postgres[part] == on_duckdb[part], f"{part} differs on PostgreSQL"
    for part in on_spark:
        assert on_spark[part] == on_duckdb[part], f"{part} differs on Spark"
