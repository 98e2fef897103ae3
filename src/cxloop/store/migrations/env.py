"""Alembic environment: runs against the Store passed in by cxloop.store.migrate."""

from __future__ import annotations

from alembic import context

from cxloop.store.tables import metadata

store = context.config.attributes["store"]

with store.engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
