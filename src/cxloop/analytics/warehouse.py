"""Ibis over the store: the one place analytics get a query engine.

KPI and journey logic is written once as Ibis expressions over `Warehouse.table(...)`. The same
expressions run on the embedded DuckDB file, on PostgreSQL, and on Spark when data outgrows one
machine; the engine is chosen here and nowhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import ibis
import pyarrow as pa
import sqlalchemy as sa
from ibis.backends import BaseBackend

from cxloop.store.engine import Store


class Warehouse:
    """Named tables as Ibis expressions, and execution on the engine that holds them."""

    def __init__(self, backend: BaseBackend, engine: str) -> None:
        self.backend = backend
        self.engine = engine  # duckdb | postgres | pyspark
        self._tables: set[str] | None = None
        self._table_cache: dict[str, ibis.Table] = {}

    def table(self, name: str) -> ibis.Table:
        # Kept per warehouse: looking a table up asks the engine for its schema (milliseconds each,
        # several times per KPI request), and a warehouse lives for one block of work.
        if name not in self._table_cache:
            self._table_cache[name] = self.backend.table(name)
        return self._table_cache[name]

    def has_table(self, name: str) -> bool:
        """Whether the table exists here: tables other modules add later (cases columns, actions)
        may be missing from an older store, and analytics answer "no data" instead of failing."""
        if self._tables is None:
            self._tables = set(self.backend.list_tables())
        return name in self._tables

    def has_columns(self, name: str, columns: tuple[str, ...]) -> bool:
        return self.has_table(name) and set(columns) <= set(self.table(name).columns)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return expr.to_pyarrow()

    def rows(self, expr: ibis.Table) -> list[dict[str, Any]]:
        """The result as plain dicts, the shape the API, pages and CLI render."""
        return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]

    def scalar(self, expr: ibis.Scalar) -> Any:
        return expr.to_pyarrow().as_py()


def _driver_connection(conn: sa.Connection) -> Any:
    raw = conn.connection.driver_connection
    # duckdb_engine wraps the DuckDB connection; Ibis wants the DuckDB connection itself.
    return getattr(raw, "_ConnectionWrapper__c", raw)


@contextlib.contextmanager
def open_warehouse(store: Store) -> Iterator[Warehouse]:
    """A warehouse on a read connection of the store, for the duration of the block.

    On DuckDB this shares the store's own database instance, so the embedded server never opens
    the file twice.
    """
    with store.read() as conn:
        driver = _driver_connection(conn)
        if store.dialect.name == "duckdb":
            yield Warehouse(ibis.duckdb.from_connection(driver), "duckdb")
        else:
            yield Warehouse(ibis.postgres.from_connection(driver), "postgres")


def spark_warehouse(session: Any, tables: Mapping[str, pa.Table]) -> Warehouse:
    """The same tables loaded into a Spark session as temporary views (PySpark local mode in tests;
    a cluster's session in production, where the tables would be Parquet/Iceberg instead)."""
    _spark_bit_or()
    backend = ibis.pyspark.connect(session)
    for name, data in tables.items():
        # Straight from Arrow (Spark 4): a pandas detour turns nullable integers into doubles and
        # decimals into narrower decimals, so the same expression could answer differently.
        session.createDataFrame(data).createOrReplaceTempView(name)
    return Warehouse(backend, "pyspark")


def _spark_bit_or() -> None:
    """Spark SQL has had the `bit_or` aggregate since 3.0; Ibis 12's PySpark compiler leaves it
    unmapped, and the per-customer shares fold customers into bit masks with it."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_bit_or(self: Any, op: Any, *, arg: Any, where: Any) -> Any:
        return self.agg.bit_or(arg, where=where)

    PySparkCompiler.visit_BitOr = visit_bit_or
