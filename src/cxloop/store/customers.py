"""Repository for customers and their identifiers. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import customer_identities, customers

_LOOKUP_CHUNK = 1000
#: Attributes a customer record may set; later non-empty values win over earlier ones.
CUSTOMER_ATTRIBUTES = ("name", "birth_date", "gender", "city", "tier", "customer_since")


def customers_by_link_key(conn: sa.Connection, keys: Iterable[str]) -> dict[str, str]:
    """Which customer each known link key belongs to."""
    found: dict[str, str] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        query = sa.select(customer_identities.c.link_key, customer_identities.c.customer_id).where(
            customer_identities.c.link_key.in_(chunk)
        )
        found.update({str(k): str(c) for k, c in conn.execute(query).all()})
    return found


def insert_customers(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, customers, rows)


def insert_identities(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, customer_identities, rows)


def update_attributes(conn: sa.Connection, customer_id: str, values: Mapping[str, Any]) -> None:
    if values:
        conn.execute(customers.update().where(customers.c.id == customer_id).values(**values))
