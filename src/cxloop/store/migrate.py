"""Schema migrations (Alembic), run programmatically on DuckDB and PostgreSQL alike."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cxloop.store.engine import Store

logger = logging.getLogger(__name__)
_SCRIPT_LOCATION = Path(__file__).with_name("migrations")


class DuckDBImpl(DefaultImpl):
    """Teaches Alembic the DuckDB dialect; the generic DDL it emits is what DuckDB accepts."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def _config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    config.attributes["store"] = store
    return config


def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the schema up to `revision`; a no-op when it is already there."""
    with store.dialect.write_guard():
        command.upgrade(_config(store), revision)


def current_revision(store: Store) -> str | None:
    with store.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revisions(store: Store) -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(_config(store)).get_heads())


def is_up_to_date(store: Store) -> bool:
    return (current_revision(store),) == head_revisions(store)
