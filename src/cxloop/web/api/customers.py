"""Customer API: search, Customer 360, merge and unmerge, and the identity review queue.

Identifiers are masked unless the token's scopes grant `pii.view`. The profile page calls the same
store functions (`cxloop.store.customer360`, `merges`, `match_review`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cxloop.access import TokenPrincipal
from cxloop.errors import NotFound
from cxloop.governance.crypto import load_key_ring
from cxloop.permissions import Permission, scopes_allow
from cxloop.store import customer360, match_review, merges, profiles
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed
from cxloop.web.identity_view import masked_customer_list, masked_profile, masked_review

router = APIRouter(tags=["customers"])
Reader = Annotated[TokenPrincipal, api_allowed(Permission.CUSTOMERS_READ)]
Steward = Annotated[TokenPrincipal, api_allowed(Permission.IDENTITY_MANAGE)]
CustomerId = Annotated[str, Field(min_length=1, max_length=26)]


def _actor(principal: TokenPrincipal) -> str:
    return f"token:{principal.name}"


def _sees_pii(principal: TokenPrincipal) -> bool:
    return scopes_allow(principal.scopes, Permission.PII_VIEW)


class MergeRequest(BaseModel):
    other_id: CustomerId = Field(description="The profile folded into this one; its id keeps redirecting here")
    reason: str | None = Field(default=None, max_length=1000, description="Why they are one person")


class ReviewDecision(BaseModel):
    decision: Literal["accept", "reject"]


class ReviewFlag(BaseModel):
    left_id: CustomerId
    right_id: CustomerId
    note: str | None = Field(default=None, max_length=1000)


def _public_merge(row: dict[str, Any]) -> dict[str, Any]:
    moved = row["snapshot"]["moved"]
    return {
        **{k: v for k, v in row.items() if k != "snapshot"},
        "moved_counts": {table: len(ids) for table, ids in moved.items()},
        "overwritten": sorted(row["snapshot"]["survivor_after"]),
    }


@router.get("/customers", summary="Search customers by e-mail, phone (any writing), external id, id or name")
def search_customers(
    store: StoreDep,
    settings: SettingsDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Identifiers match exactly (after normalization) through their blind index; names by substring."""
    ring = load_key_ring(settings)
    with store.read() as conn:
        result = profiles.list_customers(conn, ring, search=q, page=page, page_size=page_size)
    return masked_customer_list(result, may_see_pii=_sees_pii(principal), ring=ring)


@router.get("/customers/{customer_id}", summary="Customer 360: identifiers, value, voice, cases, merges, timeline")
def get_customer_360(
    customer_id: str,
    store: StoreDep,
    settings: SettingsDep,
    principal: Reader,
    timeline_page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    timeline_page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """A merged id answers with the survivor's profile; `redirected_from` then names the id asked for."""
    with store.read() as conn:
        profile = customer360.customer_360(
            conn, customer_id, now=utc_now(), timeline_page=timeline_page, timeline_page_size=timeline_page_size
        )
    if profile is None:
        raise NotFound(f"no customer with id {customer_id}")
    return masked_profile(profile, may_see_pii=_sees_pii(principal), ring=load_key_ring(settings))


@router.post("/customers/{customer_id}/merge", status_code=201, summary="Merge another profile into this one")
def merge_customers(customer_id: str, body: MergeRequest, store: StoreDep, principal: Steward) -> dict[str, Any]:
    with store.write() as conn:
        row = merges.merge(
            conn,
            customer_id,
            body.other_id,
            actor=_actor(principal),
            rule="manual",
            now=utc_now(),
            note=body.reason,
            reasons=[body.reason] if body.reason else ["merged by hand"],
        )
    return _public_merge(row)


@router.post("/merges/{merge_id}/unmerge", summary="Undo a merge exactly: rows and attributes go back")
def unmerge(merge_id: str, store: StoreDep, principal: Steward) -> dict[str, Any]:
    with store.write() as conn:
        row = merges.unmerge(conn, merge_id, actor=_actor(principal), now=utc_now())
    return _public_merge(row)


@router.get("/identity/review", summary="Pairs of profiles that may be one person, most probable first")
def list_review(
    store: StoreDep,
    settings: SettingsDep,
    principal: Steward,
    status: Literal["open", "accepted", "rejected"] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    with store.read() as conn:
        result = match_review.list_candidates(conn, status=status, page=page, page_size=page_size)
    return masked_review(result, may_see_pii=_sees_pii(principal), ring=load_key_ring(settings))


@router.post("/identity/review", status_code=201, summary="Flag two profiles as possibly one person")
def flag_pair(body: ReviewFlag, store: StoreDep, principal: Steward) -> dict[str, Any]:
    with store.write() as conn:
        return match_review.flag(
            conn, body.left_id, body.right_id, actor=_actor(principal), note=body.note, now=utc_now()
        )


@router.post("/identity/review/{candidate_id}", summary="Accept (merge) or reject a candidate pair")
def decide_review(candidate_id: str, body: ReviewDecision, store: StoreDep, principal: Steward) -> dict[str, Any]:
    with store.write() as conn:
        return match_review.decide(conn, candidate_id, body.decision, actor=_actor(principal), now=utc_now())


@router.post("/identity/matching", summary="Run probabilistic matching now: merge sure pairs, queue uncertain ones")
def run_matching(store: StoreDep, settings: SettingsDep, _: Steward) -> dict[str, int]:
    from cxloop.jobs.identity_matching import run_identity_matching

    return run_identity_matching(store, settings, now=utc_now())
