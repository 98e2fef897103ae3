"""customer keys: an integer surrogate key per customer, copied onto their events for journeys

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 10:00:00

Existing customers are numbered in the order they were created, the sequence starts after them,
and their events copy the keys in one UPDATE. New profiles draw keys from the sequence as they are
stored (`cxloop.store.customers.insert_customers`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cxloop.store.migrations.helpers import create_postgres_index, drop_postgres_index

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SEQUENCE = "customer_key_seq"
_INDEX = "ix_customers_customer_key"


def upgrade() -> None:
    op.add_column("customers", sa.Column("customer_key", sa.BigInteger(), nullable=True))
    op.add_column("events", sa.Column("customer_key", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE customers SET customer_key = numbered.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM customers) AS numbered "
        "WHERE customers.id = numbered.id"
    )
    taken = op.get_bind().execute(sa.text("SELECT count(*) FROM customers")).scalar_one()
    op.execute(f"CREATE SEQUENCE {_SEQUENCE} START {int(taken) + 1}")
    op.execute(
        "UPDATE events SET customer_key = customers.customer_key FROM customers WHERE customers.id = events.customer_id"
    )
    create_postgres_index(op.f(_INDEX), "customers", ["customer_key"], unique=True)


def downgrade() -> None:
    drop_postgres_index(op.f(_INDEX), table_name="customers")
    op.drop_column("events", "customer_key")
    op.drop_column("customers", "customer_key")
    op.execute(f"DROP SEQUENCE {_SEQUENCE}")
