"""Migrations: one head, idempotent upgrades, and a migrated database that matches `tables.py`."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cxloop.store import migrate
from cxloop.store.engine import Store
from cxloop.store.tables import metadata


def test_there_is_exactly_one_migration_head(store: Store) -> None:
    heads = migrate.head_revisions(store)
    assert len(heads) == 1, f"migrations have several heads {heads}: merge them with `alembic merge`"


def test_upgrade_is_idempotent(store: Store) -> None:
    # The fixture already upgraded once; a second and third run must change nothing.
    with store.read() as conn:
        tables_before = set(sa.inspect(conn).get_table_names())
    migrate.upgrade(store)
    migrate.upgrade(store)
    with store.read() as conn:
        tables_after = set(sa.inspect(conn).get_table_names())
    assert migrate.is_up_to_date(store)
    assert migrate.current_revision(store) == migrate.head_revisions(store)[0]
    assert tables_after == tables_before
    assert {t.name for t in metadata.sorted_tables} <= tables_after


# Only PostgreSQL: duckdb_engine cannot reflect indexes and constraints the way Alembic's comparison
# needs, so on DuckDB the comparison would report phantom differences rather than real ones.
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_migrated_postgres_schema_matches_the_table_definitions(store: Store) -> None:
    with store.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    # alembic_version is Alembic's own bookkeeping, not part of the schema.
    differences = [d for d in differences if not (d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert differences == [], f"migrations and cxloop.store.tables disagree: {differences}"
