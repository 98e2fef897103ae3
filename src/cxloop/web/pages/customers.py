"""Customer search and the Customer 360 profile: who they are, what they are worth, what they said."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from cxloop.domain import SURVEY_SCALES, SurveyType
from cxloop.errors import NotFound
from cxloop.governance.crypto import load_key_ring
from cxloop.permissions import Permission
from cxloop.store import audit, customer360, profiles
from cxloop.store.intake import utc_now
from cxloop.web.charts import score_line
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed, user_may
from cxloop.web.identity_view import masked_customer_list, masked_profile
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 25
_TIMELINE_PAGE_SIZE = 30
Reader = Annotated[dict[str, Any], page_allowed(Permission.CUSTOMERS_READ)]


@router.get("/customers")
def customers_page(
    request: Request,
    user: Reader,
    store: StoreDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    search = (q or "").strip() or None
    ring = load_key_ring(settings)
    with store.read() as conn:
        result = profiles.list_customers(conn, ring, search=search, page=page, page_size=_PAGE_SIZE)
    pages = max(1, -(-result["total"] // _PAGE_SIZE))
    query = {"q": search} if search else {}
    return render(
        request,
        "customers.html",
        {
            "result": masked_customer_list(result, may_see_pii=user_may(user, Permission.PII_VIEW), ring=ring),
            "q": search or "",
            "pages": pages,
            "page_link": lambda n: "/customers?" + urlencode({**query, "page": n}),
        },
    )


def _kpi_points(surveys: list[dict[str, Any]]) -> list[tuple[str, float, str]]:
    """Every survey answer on one 0-100 scale, so NPS, CSAT and CES read on one line."""
    points = []
    for s in surveys:
        low, high = SURVEY_SCALES[SurveyType(s["survey_type"])]
        share = (s["score"] - low) / (high - low) * 100
        if s["survey_type"] == SurveyType.CES:
            share = 100 - share  # low effort is good
        label = f"{s['survey_type'].upper()} {s['score']}"
        points.append((f"{s['occurred_at']:%m-%d}", share, f"{s['occurred_at']:%Y-%m-%d} · {label}"))
    return points


@router.get("/customers/{customer_id}")
def customer_profile(
    customer_id: str,
    request: Request,
    user: Reader,
    store: StoreDep,
    settings: SettingsDep,
    tl: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    with store.read() as conn:
        profile = customer360.customer_360(
            conn, customer_id, now=utc_now(), timeline_page=tl, timeline_page_size=_TIMELINE_PAGE_SIZE
        )
    if profile is None:
        raise NotFound(f"no customer with id {customer_id}")
    if profile["redirected_from"] and request.query_params.get("from") is None:
        # An old id after a merge: show the survivor under its own address, and say where we came from.
        return RedirectResponse(f"/customers/{profile['id']}?from={customer_id}", status_code=303)
    sentiment = [
        (f"{m['month']:%y-%m}", m["average"], f"{m['month']:%Y-%m} · {m['average']:+.2f} ({m['count']})")
        for m in profile["sentiment_by_month"]
    ]
    timeline = profile["timeline"]
    may_see_pii = user_may(user, Permission.PII_VIEW)
    if may_see_pii and profile["identities"]:
        # Opening sealed identifiers is an access to personal data: account for every one.
        with store.write() as conn:
            audit.record(
                conn,
                store.dialect,
                actor=user["email"],
                action=audit.AuditAction.PII_VIEW,
                target_kind="customer",
                target_id=profile["id"],
                details={"field": "customer_identities.raw_value", "identities": len(profile["identities"])},
            )
    return render(
        request,
        "customer.html",
        {
            "profile": masked_profile(profile, may_see_pii=may_see_pii, ring=load_key_ring(settings)),
            "came_from": request.query_params.get("from"),
            "may_manage": user_may(user, Permission.IDENTITY_MANAGE),
            "kpi_chart": score_line(_kpi_points(profile["surveys"]), low=0, high=100, label="KPI")
            if profile["surveys"]
            else None,
            "sentiment_chart": score_line(sentiment, low=-1, high=1, label="sentiment") if sentiment else None,
            "timeline_pages": max(1, -(-timeline["total"] // _TIMELINE_PAGE_SIZE)),
            "timeline_link": lambda n: f"/customers/{profile['id']}?" + urlencode({"tl": n}),
        },
    )
