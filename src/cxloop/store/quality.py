"""Repository for data-quality results. Functions take a connection, never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.store.tables import quality_checks


def insert_checks(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(quality_checks.insert(), [dict(r) for r in rows])


def latest_checks(conn: sa.Connection) -> list[dict[str, Any]]:
    """The newest result of every (check, subject) series, failures first."""
    rank = sa.func.row_number().over(
        partition_by=(quality_checks.c.check, quality_checks.c.subject),
        order_by=(quality_checks.c.measured_at.desc(), quality_checks.c.id.desc()),
    )
    ranked = sa.select(quality_checks, rank.label("rank")).subquery()
    severity = sa.case((ranked.c.status == "fail", 0), (ranked.c.status == "warn", 1), else_=2)
    query = sa.select(ranked).where(ranked.c.rank == 1).order_by(severity, ranked.c.check, ranked.c.subject)
    return [{k: v for k, v in r.items() if k != "rank"} for r in conn.execute(query).mappings()]


def series_since(conn: sa.Connection, since: datetime) -> dict[tuple[str, str], list[tuple[datetime, float]]]:
    """Every result since `since`, oldest first, per (check, subject): the points of the trend lines."""
    query = (
        sa.select(
            quality_checks.c.check, quality_checks.c.subject, quality_checks.c.measured_at, quality_checks.c.value
        )
        .where(quality_checks.c.measured_at >= since)
        .order_by(quality_checks.c.measured_at, quality_checks.c.id)
    )
    series: dict[tuple[str, str], list[tuple[datetime, float]]] = {}
    for check, subject, measured_at, value in conn.execute(query).all():
        series.setdefault((str(check), str(subject)), []).append((measured_at, float(value)))
    return series


def count_by_status(conn: sa.Connection, since: datetime) -> dict[str, int]:
    query = (
        sa.select(quality_checks.c.status, sa.func.count())
        .where(quality_checks.c.measured_at >= since)
        .group_by(quality_checks.c.status)
    )
    return {str(s): int(n) for s, n in conn.execute(query).all()}
