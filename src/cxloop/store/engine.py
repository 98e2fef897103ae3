"""The Store: one engine per process, chosen by URL, with read and write transactions."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from cxloop.errors import StoreUnavailable
from cxloop.store.dialects import StoreDialect, dialect_for

logger = logging.getLogger(__name__)


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


class Store:
    """Owns the SQLAlchemy engine and the dialect strategy.

    Callers take a connection with `read()` or a transaction with `write()`; repository functions
    take that connection and never commit. On DuckDB `write()` is serialized in this process, which
    is the one place where the embedded single-writer assumption lives.
    """

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        self.dialect: StoreDialect = dialect_for(self.url)
        self.engine = self._create_engine()

    def _create_engine(self) -> sa.Engine:
        if self.dialect.name == "duckdb":
            database = self.url.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Connections to one file in one process share the database instance inside DuckDB.
            return sa.create_engine(self.url, pool_size=8, max_overflow=8, pool_pre_ping=False)
        return sa.create_engine(self.url, pool_size=5, max_overflow=10, pool_pre_ping=True)

    @property
    def is_embedded(self) -> bool:
        return self.dialect.single_process

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self._translate_errors(), self.engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        with self._translate_errors(), self.dialect.write_guard(), self.engine.begin() as conn:
            yield conn

    def check_available(self) -> None:
        """Open one connection now, so a locked DuckDB file is reported before any work starts."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except sa.exc.OperationalError as exc:
            if _is_lock_error(exc) or self.dialect.name == "postgresql":
                raise StoreUnavailable(
                    f"the store at {self.url.render_as_string(hide_password=True)} is not available: "
                    f"{_first_line(exc.orig)}"
                ) from exc
            raise
        except sa.exc.DBAPIError as exc:
            if _is_lock_error(exc):
                raise StoreUnavailable(
                    f"the DuckDB file {self.url.database} is held by another process (a running cxloop server?)"
                ) from exc
            raise


def _first_line(exc: BaseException | None) -> str:
    return str(exc).strip().splitlines()[0] if exc is not None and str(exc).strip() else "unknown error"
