"""The identity matching job: find live profiles that are one person, merge the sure pairs, queue the rest.

Person records are built from `customers` + `customer_identities` (one record per identifier
combination, so a profile with two e-mails is compared under both) and handed to
`cxloop.identity.resolve.resolve`. Links at or above `identity_auto_merge_threshold` are merged
(the older profile survives); pairs from `identity_review_threshold` up go to the review queue.
Pairs people have already ruled on (rejected, or unmerged) are never merged or proposed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import zip_longest
from typing import Any

import sqlalchemy as sa

from cxloop.config import Settings
from cxloop.governance.crypto import KeyRing, load_key_ring
from cxloop.identity.link_keys import identifier_from_row, open_raw
from cxloop.store import match_review, merges
from cxloop.store.engine import Store
from cxloop.store.tables import customer_identities, customers

logger = logging.getLogger(__name__)
AUTO_ACTOR = "auto"


def person_records(conn: sa.Connection, ring: KeyRing) -> list[dict[str, Any]]:
    """Live customers as person records for the matcher; `record_id` is `<customer id>#<n>`.
    Identifiers are stored sealed: each is opened and normalized again here, in memory only."""
    people = conn.execute(
        sa.select(
            customers.c.id, customers.c.name, customers.c.birth_date, customers.c.gender, customers.c.city,
            customers.c.source,
        ).where(customers.c.merged_into.is_(None))
    ).mappings().all()  # fmt: skip
    identifiers: dict[str, dict[str, list[tuple[str, str]]]] = {}
    rows = conn.execute(
        sa.select(
            customer_identities.c.customer_id, customer_identities.c.kind, customer_identities.c.namespace,
            customer_identities.c.raw_value,
        )
        .where(customer_identities.c.is_valid, customer_identities.c.kind.in_(("email", "phone", "external_id")))
        .order_by(customer_identities.c.created_at, customer_identities.c.id)
    ).all()  # fmt: skip
    for customer_id, kind, namespace, stored in rows:
        value = identifier_from_row(str(kind), str(namespace), open_raw(ring, stored) or "").value
        identifiers.setdefault(str(customer_id), {}).setdefault(str(kind), []).append((str(namespace), str(value)))
    records: list[dict[str, Any]] = []
    for person in people:
        known = identifiers.get(str(person["id"]), {})
        combos = list(zip_longest(known.get("email", []), known.get("phone", []), known.get("external_id", [])))
        for n, (email, phone, external) in enumerate(combos or [(None, None, None)]):
            records.append(
                {
                    "record_id": f"{person['id']}#{n}",
                    "full_name": person["name"],
                    "birth_date": person["birth_date"].isoformat() if person["birth_date"] else None,
                    "gender": person["gender"],
                    "city": person["city"],
                    "email": email[1] if email else None,
                    "phone": phone[1] if phone else None,
                    "source": external[0] if external else person["source"],
                    "external_id": external[1] if external else None,
                }
            )
    return records


def _customer_of(record_id: str) -> str:
    return record_id.split("#", 1)[0]


def _explain(agreed: Sequence[str], disagreed: Sequence[str]) -> tuple[str, ...]:
    return (*agreed, *(f"differs: {d}" for d in disagreed))


def _older_first(conn: sa.Connection, a: str, b: str) -> tuple[str, str]:
    created = dict(
        conn.execute(sa.select(customers.c.id, customers.c.created_at).where(customers.c.id.in_([a, b]))).all()
    )
    return (a, b) if (created[a], a) <= (created[b], b) else (b, a)


def apply_resolution(
    conn: sa.Connection,
    links: Iterable[tuple[str, str, str, float, Sequence[str]]],
    review: Iterable[match_review.CandidatePair],
    *,
    now: datetime,
) -> dict[str, int]:
    """Merge linked customer pairs and queue review pairs, skipping pairs people have ruled on.
    `links` are (customer, customer, rule, score, reasons) with customer ids, not record ids."""
    decided = match_review.decided_pairs(conn)
    merged = 0
    for a, b, rule, score, reasons in links:
        if tuple(sorted((a, b))) in decided:
            continue
        left, right = merges.live_customer_id(conn, a), merges.live_customer_id(conn, b)
        if left is None or right is None or left == right:
            continue  # an earlier link in this run already joined them
        survivor, other = _older_first(conn, left, right)
        merges.merge(conn, survivor, other, actor=AUTO_ACTOR, rule=rule, now=now, score=score, reasons=reasons)
        merged += 1
    pending = [p for p in review if tuple(sorted((p.left_id, p.right_id))) not in decided]
    counts = match_review.propose(conn, pending, now=now)
    return {"merged": merged, **counts}


def run_identity_matching(store: Store, settings: Settings, *, now: datetime) -> dict[str, int]:
    """One matching pass over every live profile. Returns what it did, for the CLI and the API."""
    from cxloop.identity.resolve import MatchThresholds, resolve  # Splink loads only when matching runs

    with store.read() as conn:
        records = person_records(conn, load_key_ring(settings))
    if len(records) < 2:
        return {"records": len(records), "merged": 0, "proposed": 0, "updated": 0, "skipped": 0}
    thresholds = MatchThresholds(upper=settings.identity_auto_merge_threshold, lower=settings.identity_review_threshold)
    result = resolve(records, id_field="record_id", thresholds=thresholds)
    links = [
        (_customer_of(link.left), _customer_of(link.right), link.rule, link.score, link.reasons)
        for link in result.links
        if _customer_of(link.left) != _customer_of(link.right)
    ]
    review = {}
    for pair in result.review:
        left, right = sorted((_customer_of(pair.left), _customer_of(pair.right)))
        if left != right and (left, right) not in review:  # the best-scoring record pair speaks for the customers
            review[(left, right)] = match_review.CandidatePair(
                left, right, pair.probability, _explain(pair.agreed, pair.disagreed)
            )
    with store.write() as conn:
        summary = apply_resolution(conn, links, review.values(), now=now)
    logger.info("identity matching: %s records, %s", len(records), summary)
    return {"records": len(records), **summary}
