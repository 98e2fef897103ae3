"""Where DuckDB and PostgreSQL differ: bulk writes, queue claiming, write serialization, locks.

Everything else in cxloop speaks plain SQLAlchemy Core and runs unchanged on both.
"""

from __future__ import annotations

import contextlib
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

_IDENTITY_LOCK_BUCKETS = 256


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


class StoreDialect:
    """Base for the per-database strategies. One instance lives on the Store."""

    name: str = "abstract"
    #: One process owns the file: the worker runs inside the server, and writes are serialized.
    single_process: bool = False

    def write_guard(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def bulk_insert(
        self,
        conn: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        skip_conflicts_on: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> list[tuple[Any, ...]]:
        """Insert many rows in one statement. With `skip_conflicts_on` (the columns of a unique
        constraint), rows whose key is already stored are left out. Returns the `returning` columns of
        the rows actually inserted."""
        raise NotImplementedError

    def claim_pending(self, conn: sa.Connection, table: sa.Table, limit: int) -> list[sa.Row[Any]]:
        """Pending intake rows for this worker, oldest first, locked for the current transaction."""
        raise NotImplementedError

    def bulk_update(
        self, conn: sa.Connection, table: sa.Table, key: str, rows: Sequence[Mapping[str, Any]], **constants: Any
    ) -> None:
        """Set per-row values (every key of `rows` except `key`) and `constants` on the rows whose
        `key` matches, in one set-based statement."""
        raise NotImplementedError

    def lock_identity_keys(self, conn: sa.Connection, keys: Sequence[str]) -> None:
        """Serialize identity linking on these keys against other workers until the transaction ends."""


def _column_values(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Per-column value lists for every table column that any row sets; rows without it get NULL."""
    present = set().union(*rows) if rows else set()
    columns: dict[str, list[Any]] = {}
    for column in table.columns:
        key = column.name
        if key not in present:
            continue
        values = [row.get(key) for row in rows]
        if isinstance(column.type, sa.JSON):
            values = [_json_text(v) for v in values]
        columns[key] = values
    return columns


#: Up to this many rows, a DuckDB bulk insert is plain INSERTs.
SMALL_INSERT = 4


class DuckDBDialect(StoreDialect):
    """Embedded DuckDB: one process, writes serialized through one lock, bulk writes via Arrow."""

    name = "duckdb"
    single_process = True

    def __init__(self) -> None:
        self._write_lock = threading.RLock()

    @contextlib.contextmanager
    def write_guard(self) -> Iterator[None]:
        with self._write_lock:
            yield

    def bulk_insert(
        self,
        conn: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        skip_conflicts_on: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> list[tuple[Any, ...]]:
        import pyarrow as pa

        if skip_conflicts_on:
            # The anti-join below only sees stored rows; a key repeated within this call would pass it
            # twice and break the unique constraint, where PostgreSQL's ON CONFLICT keeps the first.
            unique: dict[tuple[Any, ...], Mapping[str, Any]] = {}
            for row in rows:
                unique.setdefault(tuple(row.get(c) for c in skip_conflicts_on), row)
            rows = list(unique.values())
        if not rows:
            return []
        if len(rows) <= SMALL_INSERT and not skip_conflicts_on:
            # A case note or one history entry: registering an Arrow view costs more than the insert.
            known = {c.name for c in table.columns}
            for row in rows:
                conn.execute(table.insert().values({k: v for k, v in row.items() if k in known}))
            return [tuple(row[c] for c in returning) for row in rows] if returning else []
        columns = _column_values(table, rows)
        arrow = pa.table({name: pa.array(values) for name, values in columns.items()})
        view = f"_incoming_{table.name}_{threading.get_ident()}"
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.register(view, arrow)
        try:
            names = ", ".join(f'"{n}"' for n in columns)
            sql = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{view}" AS incoming'
            stored: set[tuple[Any, ...]] = set()
            if skip_conflicts_on:
                # An anti-join instead of ON CONFLICT: DuckDB's ON CONFLICT slows down as the table
                # grows (2 s per 10k rows at 50k stored), the anti-join stays flat. Writes are
                # serialized in this process, so no other writer can slip in between the two steps.
                keys = ", ".join(f'incoming."{c}"' for c in skip_conflicts_on)
                match = " AND ".join(f'stored."{c}" = incoming."{c}"' for c in skip_conflicts_on)
                exists = f'EXISTS (SELECT 1 FROM "{table.name}" AS stored WHERE {match})'
                stored = {
                    tuple(r) for r in conn.exec_driver_sql(f'SELECT {keys} FROM "{view}" AS incoming WHERE {exists}')
                }
                sql += f" WHERE NOT {exists}"
            conn.exec_driver_sql(sql)
        finally:
            raw.unregister(view)
        # Derived from the input rather than RETURNING, whose rows are slow to fetch through the driver.
        return (
            [
                tuple(row[c] for c in returning)
                for row in rows
                if not stored or tuple(row[c] for c in skip_conflicts_on) not in stored
            ]
            if returning
            else []
        )

    def claim_pending(self, conn: sa.Connection, table: sa.Table, limit: int) -> list[sa.Row[Any]]:
        query = sa.select(table).where(table.c.status == "pending").order_by(table.c.id).limit(limit)
        return list(conn.execute(query))

    def bulk_update(
        self, conn: sa.Connection, table: sa.Table, key: str, rows: Sequence[Mapping[str, Any]], **constants: Any
    ) -> None:
        import pyarrow as pa

        if not rows:
            return
        columns = _column_values(table, rows)
        view = f"_changes_{table.name}_{threading.get_ident()}"
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.register(view, pa.table({name: pa.array(values) for name, values in columns.items()}))
        try:
            assignments = [f'"{c}" = changes."{c}"' for c in columns if c != key]
            assignments += [f'"{c}" = :{c}' for c in constants]
            conn.execute(
                sa.text(
                    f'UPDATE "{table.name}" SET {", ".join(assignments)} FROM "{view}" AS changes '
                    f'WHERE "{table.name}"."{key}" = changes."{key}"'
                ),
                constants,
            )
        finally:
            raw.unregister(view)


_PG_ARRAY_TYPES: list[tuple[type[sa.types.TypeEngine[Any]], str]] = [
    (sa.Boolean, "boolean"),
    (sa.SmallInteger, "smallint"),
    (sa.BigInteger, "bigint"),
    (sa.Integer, "integer"),
    (sa.Float, "double precision"),
    (sa.Numeric, "numeric"),
    (sa.DateTime, "timestamp"),
    (sa.Date, "date"),
]


def _pg_element_type(column: sa.Column[Any]) -> str:
    for type_class, name in _PG_ARRAY_TYPES:
        if isinstance(column.type, type_class):
            return name
    return "text"  # strings, and JSON sent as text then cast


class PostgresDialect(StoreDialect):
    """PostgreSQL: many processes; bulk writes via unnest arrays, queue claims with SKIP LOCKED."""

    name = "postgresql"

    def bulk_insert(
        self,
        conn: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        *,
        skip_conflicts_on: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        columns = _column_values(table, rows)
        unnest_args, select_list = [], []
        for name in columns:
            column = table.c[name]
            unnest_args.append(f"%({name})s::{_pg_element_type(column)}[]")
            select_list.append(f'"{name}"::json' if isinstance(column.type, sa.JSON) else f'"{name}"')
        names = ", ".join(f'"{n}"' for n in columns)
        sql = (
            f'INSERT INTO "{table.name}" ({names}) SELECT {", ".join(select_list)} '
            f"FROM unnest({', '.join(unnest_args)}) AS incoming({names})"
        )
        if skip_conflicts_on:
            key = ", ".join(f'"{c}"' for c in skip_conflicts_on)
            sql += f" ON CONFLICT ({key}) DO NOTHING"
        if returning:
            sql += " RETURNING " + ", ".join(f'"{n}"' for n in returning)
            return [tuple(r) for r in conn.exec_driver_sql(sql, columns).fetchall()]
        conn.exec_driver_sql(sql, columns)
        return []

    def claim_pending(self, conn: sa.Connection, table: sa.Table, limit: int) -> list[sa.Row[Any]]:
        query = (
            sa.select(table)
            .where(table.c.status == "pending")
            .order_by(table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(conn.execute(query))

    def bulk_update(
        self, conn: sa.Connection, table: sa.Table, key: str, rows: Sequence[Mapping[str, Any]], **constants: Any
    ) -> None:
        if not rows:
            return
        columns = _column_values(table, rows)
        names = list(columns)
        arrays = ", ".join(f"%({n})s::{_pg_element_type(table.c[n])}[]" for n in names)
        assignments = [f'"{c}" = changes."{c}"' for c in names if c != key]
        assignments += [f'"{c}" = %(const_{c})s' for c in constants]
        params = {**columns, **{f"const_{c}": v for c, v in constants.items()}}
        quoted = ", ".join(f'"{n}"' for n in names)
        conn.exec_driver_sql(
            f'UPDATE "{table.name}" SET {", ".join(assignments)} '
            f"FROM unnest({arrays}) AS changes({quoted}) "
            f'WHERE "{table.name}"."{key}" = changes."{key}"',
            params,
        )

    def lock_identity_keys(self, conn: sa.Connection, keys: Sequence[str]) -> None:
        # Hash keys into a bounded set of advisory locks, taken in sorted order so two workers can
        # never deadlock; the bound keeps us far below max_locks_per_transaction.
        buckets = sorted({zlib.crc32(k.encode()) % _IDENTITY_LOCK_BUCKETS for k in keys})
        if buckets:
            conn.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(7300000 + b) FROM unnest(%(b)s::int[]) AS t(b) ORDER BY b",
                {"b": buckets},
            )


def dialect_for(url: sa.URL) -> StoreDialect:
    """The dialect strategy for a database URL; the only place that branches on the backend."""
    backend = url.get_backend_name()
    if backend == "duckdb":
        return DuckDBDialect()
    if backend == "postgresql":
        return PostgresDialect()
    from cxloop.errors import ConfigurationError

    raise ConfigurationError(f"unsupported database URL scheme {backend!r}: use duckdb:///path or postgresql://...")
