"""Spark for the three-engine tests: the analytics helpers' shared session when it exists, else one
session-scoped local session started here (one JVM per test run, never one per test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def journeys_spark(request: pytest.FixtureRequest) -> Iterator[Any]:
    try:
        yield request.getfixturevalue("spark_session")
        return
    except pytest.FixtureLookupError:
        pass
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("cxloop-journeys-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
