"""Identity pages: the review queue of possible duplicates, and the merge/unmerge forms of a profile."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from cxloop.governance.crypto import load_key_ring
from cxloop.permissions import Permission
from cxloop.store import match_review, merges
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed, user_may
from cxloop.web.identity_view import masked_review
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
Steward = Annotated[dict[str, Any], page_allowed(Permission.IDENTITY_MANAGE)]
Csrf = Annotated[str, Form(max_length=200)]
_PAGE_SIZE = 20


@router.get("/identity/review")
def review_page(
    request: Request,
    user: Steward,
    store: StoreDep,
    settings: SettingsDep,
    status: Annotated[str, Query(pattern="^(open|accepted|rejected)$")] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    merged: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
    proposed: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
) -> Response:
    with store.read() as conn:
        result = match_review.list_candidates(conn, status=status, page=page, page_size=_PAGE_SIZE)
    return render(
        request,
        "identity_review.html",
        {
            "result": masked_review(
                result, may_see_pii=user_may(user, Permission.PII_VIEW), ring=load_key_ring(settings)
            ),
            "status": status,
            "matched": {"merged": merged, "proposed": proposed} if merged is not None else None,
            "pages": max(1, -(-result["total"] // _PAGE_SIZE)),
            "page_link": lambda n: "/identity/review?" + urlencode({"status": status, "page": n}),
        },
    )


@router.post("/identity/matching")
def run_matching_page(
    request: Request, user: Steward, store: StoreDep, settings: SettingsDep, csrf_token: Csrf = ""
) -> Response:
    """Match every live profile now (the server also does it every
    `CXLOOP_IDENTITY_MATCHING_INTERVAL_SECONDS`) and come back to the queue with what happened."""
    from cxloop.jobs.identity_matching import run_identity_matching

    check_csrf(request, csrf_token)
    summary = run_identity_matching(store, settings, now=utc_now())
    query = urlencode({"merged": summary.get("merged", 0), "proposed": summary.get("proposed", 0)})
    return RedirectResponse(f"/identity/review?{query}", status_code=303)


@router.post("/identity/review/{candidate_id}")
def decide_page(
    candidate_id: str,
    request: Request,
    user: Steward,
    store: StoreDep,
    decision: Annotated[str, Form(pattern="^(accept|reject)$")],
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    with store.write() as conn:
        match_review.decide(conn, candidate_id, decision, actor=str(user["id"]), now=utc_now())
    return RedirectResponse("/identity/review", status_code=303)


@router.post("/customers/{customer_id}/merge")
def merge_page(
    customer_id: str,
    request: Request,
    user: Steward,
    store: StoreDep,
    other_id: Annotated[str, Form(min_length=1, max_length=26)],
    reason: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    note = reason.strip() or None
    with store.write() as conn:
        merges.merge(
            conn,
            customer_id,
            other_id.strip(),
            actor=str(user["id"]),
            rule="manual",
            now=utc_now(),
            note=note,
            reasons=[note] if note else ["merged by hand"],
        )
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


@router.post("/merges/{merge_id}/unmerge")
def unmerge_page(merge_id: str, request: Request, user: Steward, store: StoreDep, csrf_token: Csrf = "") -> Response:
    check_csrf(request, csrf_token)
    with store.write() as conn:
        record = merges.unmerge(conn, merge_id, actor=str(user["id"]), now=utc_now())
    return RedirectResponse(f"/customers/{record['survivor_id']}", status_code=303)
