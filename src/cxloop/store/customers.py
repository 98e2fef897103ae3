"""Repository for customers and their identifiers. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from cxloop.governance.crypto import KeyRing
from cxloop.identity.identifiers import Identifier
from cxloop.identity.link_keys import link_keys_of, open_raw
from cxloop.store.dialects import StoreDialect
from cxloop.store.tables import customer_identities, customers
from cxloop.store.tables.customers import CUSTOMER_KEY_SEQUENCE

_LOOKUP_CHUNK = 1000
#: Attributes a customer record may set; later non-empty values win over earlier ones.
CUSTOMER_ATTRIBUTES = ("name", "birth_date", "gender", "city", "tier", "customer_since")


def customers_by_identifier(conn: sa.Connection, ring: KeyRing, identifiers: Iterable[Identifier]) -> dict[str, str]:
    """Which customer each valid identifier belongs to, keyed by its plaintext link key (in memory
    only). Rows hold the blind index; rows written before identifiers were sealed still hold the
    plaintext key until `cxloop keys reencrypt` converts them, so both are looked up."""
    stored = link_keys_of(ring, list(identifiers))
    found = customers_by_link_key(conn, [*stored.values(), *stored])
    return {plain: c for plain, index in stored.items() if (c := found.get(index) or found.get(plain)) is not None}


def contact_email(conn: sa.Connection, ring: KeyRing, customer_id: str) -> str | None:
    """The customer's newest valid e-mail address, opened (the stored `value` is only masked)."""
    query = (
        sa.select(customer_identities.c.raw_value)
        .where(
            customer_identities.c.customer_id == customer_id,
            customer_identities.c.kind == "email",
            customer_identities.c.is_valid.is_(True),
        )
        .order_by(customer_identities.c.created_at.desc(), customer_identities.c.id.desc())
        .limit(1)
    )
    raw = open_raw(ring, conn.execute(query).scalar())
    return raw.strip().lower() if raw else None


def customers_by_link_key(conn: sa.Connection, keys: Iterable[str]) -> dict[str, str]:
    """Which customer each stored link key (blind index) belongs to."""
    found: dict[str, str] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        query = sa.select(customer_identities.c.link_key, customer_identities.c.customer_id).where(
            customer_identities.c.link_key.in_(chunk)
        )
        found.update({str(k): str(c) for k, c in conn.execute(query).all()})
    return found


def customer_keys(conn: sa.Connection, customer_ids: Iterable[str]) -> dict[str, int]:
    """The surrogate key of each known customer id (the database gives it when the profile is stored)."""
    found: dict[str, int] = {}
    wanted = sorted(set(customer_ids))
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        query = sa.select(customers.c.id, customers.c.customer_key).where(customers.c.id.in_(chunk))
        found.update({str(c): int(k) for c, k in conn.execute(query).all() if k is not None})
    return found


def reserve_customer_keys(conn: sa.Connection, count: int) -> list[int]:
    """`count` fresh surrogate keys from the sequence (unique across concurrent writers on PostgreSQL)."""
    if count <= 0:
        return []
    query = sa.text(f"SELECT nextval('{CUSTOMER_KEY_SEQUENCE}') FROM generate_series(1, :n)")
    return [int(k) for k in conn.execute(query, {"n": count}).scalars()]


def insert_customers(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store new profiles; each one without a surrogate key gets the next one."""
    keys = iter(reserve_customer_keys(conn, sum(1 for row in rows if row.get("customer_key") is None)))
    keyed = [row if row.get("customer_key") is not None else {**row, "customer_key": next(keys)} for row in rows]
    dialect.bulk_insert(conn, customers, keyed)


def insert_identities(conn: sa.Connection, dialect: StoreDialect, rows: Sequence[Mapping[str, Any]]) -> None:
    dialect.bulk_insert(conn, customer_identities, rows)


def update_attributes(conn: sa.Connection, customer_id: str, values: Mapping[str, Any]) -> None:
    if values:
        conn.execute(customers.update().where(customers.c.id == customer_id).values(**values))
