"""Compiled SQL kept per request shape, so the same question again skips Ibis entirely.

Building and compiling an Ibis expression costs tens of milliseconds of Python, more than DuckDB needs
for most KPI and funnel queries. A caller names the request's shape (everything the SQL depends on:
the question, its dates, the schemas it reads); a shape seen before runs its cached SQL without
building or compiling anything. Only DuckDB is cached: Ibis binds PostgreSQL and Spark sessions to
the expression, so those engines compile every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import ibis

from cxloop.analytics.warehouse import Warehouse

Row = dict[str, Any]

#: request shape → (SQL, result schema); bounded, least recently used first out.
_SQL_CACHE: OrderedDict[Hashable, tuple[str, Any]] = OrderedDict()
_SQL_CACHE_SIZE = 512
_SQL_LOCK = threading.Lock()


def run(wh: Warehouse, build: Callable[[], ibis.Table], shape: Hashable | None) -> list[Row]:
    """The rows of the expression `build` makes, through the cache when the engine allows it."""
    if wh.engine != "duckdb" or shape is None:
        return wh.rows(build())
    with _SQL_LOCK:  # the web server answers requests on several threads
        cached = _SQL_CACHE.get(shape)
        if cached is not None:
            _SQL_CACHE.move_to_end(shape)
    if cached is None:
        expr = build()
        cached = (str(wh.backend.compile(expr)), expr.schema())
        with _SQL_LOCK:
            _SQL_CACHE[shape] = cached
            while len(_SQL_CACHE) > _SQL_CACHE_SIZE:
                _SQL_CACHE.popitem(last=False)
    from ibis.backends.duckdb.converter import DuckDBPyArrowData

    sql, schema = cached
    con: Any = getattr(wh.backend, "con")  # noqa: B009 (BaseBackend does not declare the driver connection)
    table = con.sql(sql).to_arrow_table()
    return DuckDBPyArrowData.convert_table(table, schema).to_pylist()  # type: ignore[no-any-return]


def schemas_of(wh: Warehouse, names: set[str] | list[str] | tuple[str, ...]) -> tuple[Any, ...]:
    """The schemas of the named tables, for a shape: another store with other column types gets its own SQL."""
    return tuple((name, wh.table(name).schema()) for name in sorted(names))
