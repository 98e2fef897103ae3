"""The shared metadata and column helpers every table module uses."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def id_column(name: str = "id", *, primary_key: bool = False, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(26), primary_key=primary_key, nullable=nullable and not primary_key)


def pg_index(*columns: sa.Column[object]) -> sa.Index:
    return sa.Index(None, *columns).ddl_if(dialect="postgresql")
