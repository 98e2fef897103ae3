"""Repository for consent decisions. Functions take a connection, never commit.

Consent is opt-in: a customer with no recorded decision for a purpose has not consented to it.
Decisions are appended, never updated; the current state of a purpose is its latest decision by
`recorded_at` (ties broken by id, which grows with time), so history can be imported in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from cxloop.store.tables import consents

_CHUNK = 1000


class ConsentPurpose(StrEnum):
    """What a customer may agree to, separately."""

    ANALYTICS = "analytics"
    PERSONALIZATION = "personalization"
    MARKETING_CONTACT = "marketing_contact"
    MODEL_TRAINING = "model_training"


def append_decisions(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store decisions: each row has id, customer_id, purpose, granted, source, recorded_at,
    recorded_by and optionally evidence (already encrypted)."""
    if rows:
        conn.execute(consents.insert(), [dict(r) for r in rows])


def _latest(customer_ids: Sequence[str] | None, purpose: str | None) -> sa.Subquery:
    rank = sa.func.row_number().over(
        partition_by=(consents.c.customer_id, consents.c.purpose),
        order_by=(consents.c.recorded_at.desc(), consents.c.id.desc()),
    )
    query = sa.select(consents, rank.label("rank"))
    if customer_ids is not None:
        query = query.where(consents.c.customer_id.in_(customer_ids))
    if purpose is not None:
        query = query.where(consents.c.purpose == purpose)
    return query.subquery()


def current_consents(conn: sa.Connection, customer_id: str) -> dict[str, dict[str, Any]]:
    """The latest decision per purpose for one customer (purposes never decided are absent)."""
    latest = _latest([customer_id], None)
    rows = conn.execute(sa.select(latest).where(latest.c.rank == 1)).mappings()
    return {str(r["purpose"]): {k: v for k, v in r.items() if k != "rank"} for r in rows}


def consent_history(conn: sa.Connection, customer_id: str, *, limit: int = 500) -> list[dict[str, Any]]:
    """Every decision of one customer, newest first."""
    query = (
        sa.select(consents)
        .where(consents.c.customer_id == customer_id)
        .order_by(consents.c.recorded_at.desc(), consents.c.id.desc())
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def has_consent(conn: sa.Connection, customer_id: str, purpose: str) -> bool:
    """True when the customer's latest decision for `purpose` grants it."""
    return customer_id in customers_with_consent(conn, purpose, [customer_id])


def customers_with_consent(conn: sa.Connection, purpose: str, customer_ids: Iterable[str]) -> set[str]:
    """The subset of `customer_ids` whose latest decision for `purpose` grants it: the filter for
    model training, personalization and marketing contact."""
    wanted = sorted(set(customer_ids))
    granted: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        latest = _latest(wanted[start : start + _CHUNK], purpose)
        query = sa.select(latest.c.customer_id).where(latest.c.rank == 1, latest.c.granted.is_(True))
        granted.update(str(c) for c in conn.execute(query).scalars())
    return granted


def count_current(conn: sa.Connection) -> dict[str, dict[str, int]]:
    """Per purpose, how many customers currently grant and how many withdrew."""
    latest = _latest(None, None)
    query = (
        sa.select(latest.c.purpose, latest.c.granted, sa.func.count())
        .where(latest.c.rank == 1)
        .group_by(latest.c.purpose, latest.c.granted)
    )
    counts: dict[str, dict[str, int]] = {}
    for purpose, granted, n in conn.execute(query).all():
        counts.setdefault(str(purpose), {"granted": 0, "withdrawn": 0})["granted" if granted else "withdrawn"] = int(n)
    return counts
