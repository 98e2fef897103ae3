"""Reading customers: search by any identifier or name, and one customer's profile and timeline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cxloop.identity.identifiers import normalize_email, normalize_phone
from cxloop.store.search import LIKE_ESCAPE, contains_pattern
from cxloop.store.tables import customer_identities, customers, events, feedback


def _matching_customer_ids(search: str) -> sa.CompoundSelect[Any]:
    """Customers with an identifier equal to the (normalized) search text, or a name containing it."""
    candidates = {search.strip(), search.strip().lower()}
    for normalize in (normalize_email, normalize_phone):
        identifier = normalize(search)
        if identifier.is_valid:
            candidates.add(identifier.value)
    pattern = contains_pattern(search)
    matches = [customer_identities.c.value.in_(candidates)]
    if len(search.strip()) >= 4:
        # Agents type fragments: part of an e-mail, or the last digits of a phone number.
        matches.append(customer_identities.c.value.ilike(pattern, escape=LIKE_ESCAPE))
        digits = "".join(ch for ch in search if ch.isdigit()).lstrip("0")
        if len(digits) >= 4:
            matches.append(customer_identities.c.value.like(f"%{digits}%"))
    by_identifier = sa.select(customer_identities.c.customer_id).where(sa.or_(*matches))
    by_name = sa.select(customers.c.id).where(customers.c.name.ilike(pattern, escape=LIKE_ESCAPE))
    # A customer id, including the id of a profile since merged: that finds the survivor.
    by_id = sa.select(sa.func.coalesce(customers.c.merged_into, customers.c.id)).where(customers.c.id == search.strip())
    return sa.union(by_identifier, by_name, by_id)


def list_customers(conn: sa.Connection, *, search: str | None, page: int, page_size: int) -> dict[str, Any]:
    conditions = [customers.c.id.in_(_matching_customer_ids(search))] if search and search.strip() else []
    conditions.append(customers.c.merged_into.is_(None))  # merged profiles live on in their survivor
    total = conn.execute(sa.select(sa.func.count()).select_from(customers).where(*conditions)).scalar_one()
    email = (
        sa.select(sa.func.min(customer_identities.c.value))
        .where(
            customer_identities.c.customer_id == customers.c.id,
            customer_identities.c.kind == "email",
            customer_identities.c.is_valid,
        )
        .scalar_subquery()
    )
    query = (
        sa.select(
            customers.c.id,
            customers.c.name,
            customers.c.tier,
            customers.c.city,
            customers.c.created_at,
            email.label("email"),
        )
        .where(*conditions)
        .order_by(customers.c.created_at.desc(), customers.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return {
        "items": [dict(r) for r in conn.execute(query).mappings()],
        "total": int(total),
        "page": page,
        "page_size": page_size,
    }


def get_profile(conn: sa.Connection, customer_id: str, *, timeline_limit: int = 200) -> dict[str, Any] | None:
    """The customer, the identifiers that link them, activity summary and a cross-channel timeline."""
    row = conn.execute(sa.select(customers).where(customers.c.id == customer_id)).mappings().first()
    if row is None:
        return None
    identities = list(
        conn.execute(
            sa.select(
                customer_identities.c.kind,
                customer_identities.c.namespace,
                customer_identities.c.value,
                customer_identities.c.raw_value,
                customer_identities.c.is_valid,
                customer_identities.c.source,
                customer_identities.c.created_at,
            )
            .where(customer_identities.c.customer_id == customer_id)
            .order_by(customer_identities.c.kind, customer_identities.c.created_at)
        ).mappings()
    )
    event_rows = sa.select(
        events.c.id,
        sa.literal("event").label("record"),
        events.c.occurred_at,
        events.c.channel,
        events.c.type.label("title"),
        sa.cast(events.c.value, sa.Float).label("value"),
        events.c.currency,
        sa.literal(None, sa.Text).label("text"),
        sa.literal(None, sa.String).label("survey_type"),
        sa.literal(None, sa.SmallInteger).label("score"),
        events.c.journey_stage,
    ).where(events.c.customer_id == customer_id)
    feedback_rows = sa.select(
        feedback.c.id,
        sa.literal("feedback").label("record"),
        feedback.c.occurred_at,
        feedback.c.channel,
        feedback.c.source.label("title"),
        sa.literal(None, sa.Float).label("value"),
        sa.literal(None, sa.String).label("currency"),
        sa.func.substr(feedback.c.text, 1, 400).label("text"),
        feedback.c.survey_type,
        feedback.c.score,
        feedback.c.journey_stage,
    ).where(feedback.c.customer_id == customer_id)
    timeline = sa.union_all(event_rows, feedback_rows).subquery()
    # Results are materialized at once: DuckDB reuses the cursor for the next statement.
    entries = list(
        conn.execute(sa.select(timeline).order_by(timeline.c.occurred_at.desc()).limit(timeline_limit)).mappings()
    )
    activity = conn.execute(
        sa.select(
            sa.func.min(timeline.c.occurred_at),
            sa.func.max(timeline.c.occurred_at),
            sa.func.count().filter(timeline.c.record == "event"),
            sa.func.count().filter(timeline.c.record == "feedback"),
            sa.func.coalesce(sa.func.sum(timeline.c.value), 0),
        )
    ).one()
    channels = list(conn.execute(sa.select(timeline.c.channel).distinct().order_by(timeline.c.channel)).scalars())
    return {
        "customer": dict(row),
        "identities": [dict(i) for i in identities],
        "summary": {
            "first_seen_at": activity[0],
            "last_seen_at": activity[1],
            "events": int(activity[2]),
            "feedback": int(activity[3]),
            "total_value": float(activity[4]),
            "channels": list(channels),
        },
        "timeline": [dict(e) for e in entries],
    }
