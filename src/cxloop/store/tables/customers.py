"""Customers and the identifiers that link records to them."""

from __future__ import annotations

import sqlalchemy as sa

from cxloop.store.tables._base import id_column, metadata, pg_index

CUSTOMER_KEY_SEQUENCE = "customer_key_seq"

customers = sa.Table(
    "customers",
    metadata,
    id_column(primary_key=True),
    sa.Column("name", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("gender", sa.String(16)),
    sa.Column("city", sa.Text),
    sa.Column("tier", sa.String(32)),
    sa.Column("customer_since", sa.DateTime),  # the source system's created_at
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    id_column("batch_id"),
    # Set when identity resolution merged this profile into another: the id keeps working and
    # redirects to the survivor. NULL for live profiles.
    id_column("merged_into"),
    # The customer's surrogate key: a small integer from the CUSTOMER_KEY_SEQUENCE, given when the
    # profile is stored and never changed. Journeys group millions of events per customer by it
    # (`events.customer_key`), a third cheaper than by the 26-character id: Amplitude's integer user id,
    # Kimball's surrogate key. Not a column default: DuckDB cannot replay a WAL whose table defaults
    # call nextval(), so a killed server would not reopen.
    sa.Column("customer_key", sa.BigInteger),
)
sa.Index(None, customers.c.customer_key, unique=True).ddl_if(dialect="postgresql")

# One row per identifier seen for a customer. `link_key` is "kind:namespace:value" for identifiers
# that may link records, and NULL for malformed ones, which are kept as given but never used to link.
customer_identities = sa.Table(
    "customer_identities",
    metadata,
    id_column(primary_key=True),
    id_column("customer_id", nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("namespace", sa.String(100), nullable=False),  # issuing system for external ids
    sa.Column("value", sa.Text, nullable=False),  # normalized when valid, as given otherwise
    sa.Column("raw_value", sa.Text, nullable=False),
    sa.Column("is_valid", sa.Boolean, nullable=False),
    sa.Column("link_key", sa.Text, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("source", sa.String(100), nullable=False),
    id_column("batch_id"),
)
pg_index(customer_identities.c.customer_id)
