"""The identity review queue: pairs of profiles that may be one person, and people's decisions on them.

Pairs are stored ordered (left < right) and unique. Accepting a pair merges it; rejecting it, or
undoing its merge, is remembered, so the matcher never proposes that pair again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cxloop.domain import new_id
from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.store import merges
from cxloop.store.tables import customer_identities, customers, match_candidates

DECISIONS = ("accept", "reject")


@dataclass(frozen=True, slots=True)
class CandidatePair:
    """A pair the matcher scored: `probability` in [0, 1] and the evidence behind it."""

    left_id: str
    right_id: str
    probability: float | None
    reasons: tuple[str, ...] = ()


def _pair_condition(left: str, right: str) -> sa.ColumnElement[bool]:
    return sa.and_(match_candidates.c.left_customer_id == left, match_candidates.c.right_customer_id == right)


def propose(conn: sa.Connection, pairs: Iterable[CandidatePair], *, now: datetime) -> dict[str, int]:
    """Queue pairs for review. A pair already decided is skipped; an open one gets the new score."""
    counts = {"proposed": 0, "updated": 0, "skipped": 0}
    for pair in pairs:
        if pair.left_id == pair.right_id:
            continue
        left, right = sorted((pair.left_id, pair.right_id))
        existing = conn.execute(
            sa.select(match_candidates.c.id, match_candidates.c.status).where(_pair_condition(left, right))
        ).first()
        if existing is None:
            conn.execute(
                match_candidates.insert().values(
                    id=new_id(),
                    left_customer_id=left,
                    right_customer_id=right,
                    probability=pair.probability,
                    reasons=list(pair.reasons),
                    status="open",
                    created_at=now,
                )
            )
            counts["proposed"] += 1
        elif existing.status == "open":
            conn.execute(
                match_candidates.update()
                .where(match_candidates.c.id == existing.id)
                .values(probability=pair.probability, reasons=list(pair.reasons))
            )
            counts["updated"] += 1
        else:
            counts["skipped"] += 1
    return counts


def decided_pairs(conn: sa.Connection) -> set[tuple[str, str]]:
    """Pairs people have already ruled on (either way); the matcher leaves them alone."""
    query = sa.select(match_candidates.c.left_customer_id, match_candidates.c.right_customer_id).where(
        match_candidates.c.status != "open"
    )
    return {(str(a), str(b)) for a, b in conn.execute(query).all()}


def flag(conn: sa.Connection, a: str, b: str, *, actor: str, note: str | None, now: datetime) -> dict[str, Any]:
    """A person suspects two profiles are one customer: put the pair in the queue (reopening a rejection)."""
    if a == b:
        raise InvalidInput("a customer cannot be paired with itself", details={"right_id": b})
    for customer_id in (a, b):
        merges.require_live(conn, customer_id)  # NotFound or Conflict, with the reason
    left, right = sorted((a, b))
    reasons = [f"flagged by {actor}" + (f": {note}" if note else "")]
    existing = conn.execute(sa.select(match_candidates).where(_pair_condition(left, right))).mappings().first()
    if existing is None:
        propose(conn, [CandidatePair(left, right, None, tuple(reasons))], now=now)
    elif existing["status"] != "open":
        conn.execute(
            match_candidates.update()
            .where(match_candidates.c.id == existing["id"])
            .values(status="open", decided_by=None, decided_at=None, merge_id=None, reasons=reasons)
        )
    found = conn.execute(sa.select(match_candidates).where(_pair_condition(left, right))).mappings().one()
    return dict(found)


def get_candidate(conn: sa.Connection, candidate_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(match_candidates).where(match_candidates.c.id == candidate_id)).mappings().first()
    if row is None:
        raise NotFound(f"no match candidate with id {candidate_id}")
    return dict(row)


def decide(conn: sa.Connection, candidate_id: str, decision: str, *, actor: str, now: datetime) -> dict[str, Any]:
    """Accept (merge the pair; the older profile survives) or reject (remember they differ)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be one of {', '.join(DECISIONS)}", details={"decision": decision})
    candidate = get_candidate(conn, candidate_id)
    if candidate["status"] != "open":
        raise Conflict(
            f"this pair was already {candidate['status']} by {candidate['decided_by']}",
            details={"status": candidate["status"]},
        )
    values: dict[str, Any] = {"status": "rejected", "decided_by": actor, "decided_at": now}
    if decision == "accept":
        older_first = conn.execute(
            sa.select(customers.c.id)
            .where(customers.c.id.in_([candidate["left_customer_id"], candidate["right_customer_id"]]))
            .order_by(customers.c.created_at, customers.c.id)
        ).scalars()
        survivor_id, merged_id = [str(i) for i in older_first][:2]
        merge = merges.merge(
            conn,
            survivor_id,
            merged_id,
            actor=actor,
            rule="review",
            now=now,
            score=candidate["probability"],
            reasons=candidate["reasons"],
        )
        values.update(status="accepted", merge_id=merge["id"])
    conn.execute(match_candidates.update().where(match_candidates.c.id == candidate_id).values(**values))
    return get_candidate(conn, candidate_id)


def _side(conn: sa.Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each profile with its identifiers, for the side-by-side comparison."""
    rows = conn.execute(
        sa.select(
            customers.c.id, customers.c.name, customers.c.tier, customers.c.city, customers.c.birth_date,
            customers.c.created_at, customers.c.source,
        ).where(customers.c.id.in_(list(ids)))
    ).mappings().all()  # fmt: skip
    sides = {str(r["id"]): {**dict(r), "identities": []} for r in rows}
    identities = conn.execute(
        sa.select(
            customer_identities.c.customer_id, customer_identities.c.kind, customer_identities.c.namespace,
            customer_identities.c.value, customer_identities.c.raw_value, customer_identities.c.is_valid,
        )  # raw_value is sealed: the web layer masks or opens it (cxloop.web.identity_view)
        .where(customer_identities.c.customer_id.in_(list(ids)))
        .order_by(customer_identities.c.kind, customer_identities.c.value)
    ).mappings().all()  # fmt: skip
    for identity in identities:
        sides[str(identity["customer_id"])]["identities"].append(dict(identity))
    return sides


def list_candidates(conn: sa.Connection, *, status: str, page: int, page_size: int) -> dict[str, Any]:
    """Candidates by status, most probable first. Open pairs whose profile has since been merged
    elsewhere are left out: they no longer describe two live profiles."""
    live_left = sa.select(customers.c.id).where(customers.c.merged_into.is_(None))
    conditions: list[sa.ColumnElement[bool]] = [match_candidates.c.status == status]
    if status == "open":
        conditions += [
            match_candidates.c.left_customer_id.in_(live_left),
            match_candidates.c.right_customer_id.in_(live_left),
        ]
    total = conn.execute(sa.select(sa.func.count()).select_from(match_candidates).where(*conditions)).scalar_one()
    rows = (
        conn.execute(
            sa.select(match_candidates)
            .where(*conditions)
            .order_by(
                match_candidates.c.probability.desc().nulls_first(),
                match_candidates.c.created_at,
                match_candidates.c.id,
            )
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        .mappings()
        .all()
    )
    sides = _side(conn, sorted({str(r[c]) for r in rows for c in ("left_customer_id", "right_customer_id")}))
    items = [
        {**dict(r), "left": sides.get(str(r["left_customer_id"])), "right": sides.get(str(r["right_customer_id"]))}
        for r in rows
    ]
    return {"items": items, "total": int(total), "page": page, "page_size": page_size}
