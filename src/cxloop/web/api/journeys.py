"""Journey API: funnels, paths (Sankey nodes and links), cohort retention, emotion per stage, event impact."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cxloop.access import TokenPrincipal
from cxloop.analytics.journeys import service
from cxloop.analytics.journeys.funnels import DIMENSIONS
from cxloop.analytics.journeys.impact import METRICS
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["journeys"])
Reader = Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)]
From = Annotated[date | None, Query(alias="from", description="First business-local day (YYYY-MM-DD)")]
To = Annotated[date | None, Query(alias="to", description="Last business-local day, inclusive")]
Window = Annotated[str, Query(description="Conversion window: a number and m, h, d or w, e.g. 7d")]


@router.get("/funnels", summary="Customers reaching each step in order within the window, with drop-off")
def get_funnel(
    store: StoreDep,
    settings: SettingsDep,
    _: Reader,
    steps: Annotated[str, Query(description="Event types in order, comma-separated (2 to 10)")],
    window: Window = "7d",
    by: Annotated[str | None, Query(description=f"Breakdown: one of {', '.join(DIMENSIONS)}")] = None,
    first: From = None,
    last: To = None,
) -> dict[str, Any]:
    return service.funnel_report(
        store,
        steps,
        window=window,
        by=by,
        first=first,
        last=last,
        offset_minutes=settings.business_utc_offset_minutes,
    )


@router.get("/paths", summary="Top paths between two events, as a list and as Sankey nodes and links")
def get_paths(
    store: StoreDep,
    settings: SettingsDep,
    _: Reader,
    from_event: Annotated[str, Query(description="The event paths start from")],
    to_event: Annotated[str | None, Query(description="The event paths end at (optional)")] = None,
    window: Window = "30d",
    depth: Annotated[int, Query(ge=2, le=8, description="Nodes per path")] = 5,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    first: From = None,
    last: To = None,
) -> dict[str, Any]:
    return service.paths_report(
        store,
        from_event,
        to_event,
        window=window,
        depth=depth,
        limit=limit,
        first=first,
        last=last,
        offset_minutes=settings.business_utc_offset_minutes,
    )


@router.get("/cohorts", summary="Retention by first-seen week or month")
def get_cohorts(
    store: StoreDep,
    settings: SettingsDep,
    _: Reader,
    grain: Annotated[str, Query(pattern="^(week|month)$", description="week or month")] = "week",
    event: Annotated[str | None, Query(description="Cohorts by first occurrence of this event (default: any)")] = None,
    active_event: Annotated[str | None, Query(description="Count as active only this event (default: any)")] = None,
    periods: Annotated[int, Query(ge=1, le=26)] = 12,
    first: From = None,
    last: To = None,
) -> dict[str, Any]:
    return service.cohorts_report(
        store,
        grain=grain,
        event=event,
        active_event=active_event,
        periods=periods,
        first=first,
        last=last,
        offset_minutes=settings.business_utc_offset_minutes,
    )


@router.get("/journeys/emotion", summary="Sentiment index, NPS, volume and top complaints per journey stage")
def get_emotion(
    store: StoreDep, settings: SettingsDep, _: Reader, first: From = None, last: To = None
) -> dict[str, Any]:
    return service.emotion_report(store, first=first, last=last, offset_minutes=settings.business_utc_offset_minutes)


@router.get("/impact", summary="A metric before and after a dated event, with a significance test")
def get_impact(
    store: StoreDep,
    settings: SettingsDep,
    _: Reader,
    on: Annotated[date, Query(alias="date", description="The day of the release or promotion (YYYY-MM-DD)")],
    kpi: Annotated[str, Query(description=f"One of {', '.join(METRICS)} or events:<event type>")] = "negative_share",
    days_before: Annotated[int, Query(ge=2, le=90)] = 14,
    days_after: Annotated[int, Query(ge=2, le=90)] = 14,
) -> dict[str, Any]:
    return service.impact_report(
        store,
        kpi,
        on,
        days_before=days_before,
        days_after=days_after,
        offset_minutes=settings.business_utc_offset_minutes,
    )
