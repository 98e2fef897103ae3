"""Helpers shared by migration scripts."""

from __future__ import annotations

from alembic import op


def on_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_postgres_index(name: str, table: str, columns: list[str], unique: bool = False) -> None:
    # Secondary indexes are PostgreSQL-only; see the note in cxloop.store.tables.
    if on_postgres():
        op.create_index(name, table, columns, unique=unique)


def drop_postgres_index(name: str, table_name: str) -> None:
    if on_postgres():
        op.drop_index(name, table_name=table_name)
