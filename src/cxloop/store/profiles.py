"""Reading customers: search by any identifier or name, and one customer's profile and timeline.

Identifiers are stored sealed (see `cxloop.identity.link_keys`), so a search finds them by the exact
blind index of the normalized search text: a whole e-mail, a phone number in any writing, an external
id. Fragments of identifiers (part of an e-mail, the last digits of a phone) can no longer be searched;
names still match by substring.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cxloop.governance.crypto import KeyRing
from cxloop.identity.identifiers import normalize_email, normalize_external_id, normalize_phone
from cxloop.identity.link_keys import search_link_keys
from cxloop.store.customer360 import timeline_query
from cxloop.store.search import LIKE_ESCAPE, contains_pattern
from cxloop.store.tables import customer_identities, customers


def _legacy_link_keys(search: str, namespaces: list[str]) -> set[str]:
    """Plaintext link keys of rows stored before identifiers were sealed (until `keys reencrypt`)."""
    candidates = [normalize_email(search), normalize_phone(search)]
    candidates += [normalize_external_id(search, n) for n in namespaces]
    return {key for c in candidates if (key := c.link_key) is not None}


def _matching_customer_ids(conn: sa.Connection, ring: KeyRing, search: str) -> sa.CompoundSelect[Any]:
    """Customers with an identifier equal to the normalized search text, or a name containing it."""
    namespaces = list(
        conn.execute(
            sa.select(customer_identities.c.namespace).where(customer_identities.c.kind == "external_id").distinct()
        ).scalars()
    )
    keys = {*search_link_keys(ring, search, namespaces), *_legacy_link_keys(search, namespaces)}
    pattern = contains_pattern(search)
    by_identifier = sa.select(customer_identities.c.customer_id).where(customer_identities.c.link_key.in_(keys))
    by_name = sa.select(customers.c.id).where(customers.c.name.ilike(pattern, escape=LIKE_ESCAPE))
    # A customer id, including the id of a profile since merged: that finds the survivor.
    by_id = sa.select(sa.func.coalesce(customers.c.merged_into, customers.c.id)).where(customers.c.id == search.strip())
    return sa.union(by_identifier, by_name, by_id)


CONTACT_KINDS = ("email", "phone")  # shown beside each customer in lists


def list_customers(
    conn: sa.Connection, ring: KeyRing, *, search: str | None, page: int, page_size: int
) -> dict[str, Any]:
    """A page of live customers, newest first, each with where the profile came from and its first
    valid e-mail and phone: `email`/`phone` masked, `email_sealed`/`phone_sealed` the sealed originals
    for viewers with `pii.view` (see `cxloop.web.identity_view`). A profile without a name is
    recognizable by those."""
    conditions = [customers.c.id.in_(_matching_customer_ids(conn, ring, search))] if search and search.strip() else []
    conditions.append(customers.c.merged_into.is_(None))  # merged profiles live on in their survivor
    total = conn.execute(sa.select(sa.func.count()).select_from(customers).where(*conditions)).scalar_one()
    query = (
        sa.select(
            customers.c.id,
            customers.c.name,
            customers.c.tier,
            customers.c.city,
            customers.c.source,
            customers.c.created_at,
        )
        .where(*conditions)
        .order_by(customers.c.created_at.desc(), customers.c.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    items = [dict(r) for r in conn.execute(query).mappings()]
    contacts = _first_contacts(conn, [item["id"] for item in items])
    for item in items:
        for kind in CONTACT_KINDS:
            value, sealed = contacts.get((item["id"], kind), (None, None))
            item[kind], item[f"{kind}_sealed"] = value, sealed
    return {"items": items, "total": int(total), "page": page, "page_size": page_size}


def _first_contacts(conn: sa.Connection, customer_ids: list[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """(customer, kind) → (masked value, sealed raw value) of each page customer's oldest valid e-mail
    and phone: one query for the page, rather than a lookup per row."""
    if not customer_ids:
        return {}
    rows = conn.execute(
        sa.select(
            customer_identities.c.customer_id,
            customer_identities.c.kind,
            customer_identities.c.value,
            customer_identities.c.raw_value,
        )
        .where(
            customer_identities.c.customer_id.in_(customer_ids),
            customer_identities.c.kind.in_(CONTACT_KINDS),
            customer_identities.c.is_valid,
        )
        .order_by(customer_identities.c.created_at, customer_identities.c.id)
    )
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for customer_id, kind, value, raw in rows:
        first.setdefault((customer_id, kind), (value, raw))
    return first


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
    timeline = timeline_query(customer_id).subquery()  # the same union the Customer 360 page reads
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
