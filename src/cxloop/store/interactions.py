"""Repository for interaction events and feedback items. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import events, feedback


def insert_events(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, events, rows)


def insert_feedback(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, feedback, rows)
