"""Journey pages: the funnel builder, paths as a Sankey, cohort retention, and the emotion map with
event impact. Each page calls the same service functions as the API; a bad parameter is shown next
to the form, the way people fix it, rather than as an error page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.analytics.journeys import service
from cxloop.analytics.journeys.funnels import DIMENSIONS
from cxloop.analytics.journeys.impact import METRICS
from cxloop.errors import InvalidInput
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed
from cxloop.web.i18n import translator
from cxloop.web.journey_charts import emotion_line, funnel_bars
from cxloop.web.rendering import locale_of, render
from cxloop.web.sankey import sankey_svg

router = APIRouter(include_in_schema=False)
Viewer = Annotated[dict[str, Any], page_allowed(Permission.KPIS_READ)]
Text = Annotated[str, Query()]
STEP_SLOTS = 6
# Offered as a one-click start when the store has these events (the importers' commerce vocabulary):
# nobody should have to know event names before seeing a first funnel.
PURCHASE_FUNNEL = ("visit", "product_view", "add_to_cart", "checkout", "purchase")
PRESET_DAYS = (7, 30, 90)


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field} {text!r} is not a date: use YYYY-MM-DD", details={"field": field}) from None


def _required_day(text: str, field: str) -> date:
    day = _day(text, field)
    if day is None:
        raise InvalidInput(f"{field} is required", details={"field": field})
    return day


def duration(seconds: float | None) -> str:
    """Median times as people read them: 45s, 12m, 3h 20m, 2d 4h."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86_400:
        return f"{whole // 3600}h {whole % 3600 // 60}m"
    return f"{whole // 86_400}d {whole % 86_400 // 3600}h"


def _attempt(compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return compute(), None
    except InvalidInput as exc:
        return None, exc.message


def _event_name(request: Request) -> Callable[[str], str]:
    t = translator(locale_of(request))

    def name(event: str) -> str:
        key = f"journeys.event.{event}"
        text = t(key)
        return event if text == key else f"{text} ({event})"

    return name


@router.get("/journeys")
def funnel_page(
    request: Request,
    user: Viewer,
    store: StoreDep,
    settings: SettingsDep,
    step: Annotated[list[str] | None, Query()] = None,
    window: Text = "7d",
    by: Text = "",
    first: Annotated[str, Query(alias="from")] = "",
    last: Annotated[str, Query(alias="to")] = "",
) -> Response:
    steps = [s.strip() for s in (step or []) if s.strip()]
    offset = settings.business_utc_offset_minutes
    result, error = (None, None)
    if step is not None:
        result, error = _attempt(
            lambda: service.funnel_report(
                store,
                steps,
                window=window,
                by=by or None,
                first=_day(first, "from"),
                last=_day(last, "to"),
                offset_minutes=offset,
            )
        )
    t, name = translator(locale_of(request)), _event_name(request)
    chart = funnel_bars(result["steps"], label=t("journeys.funnel"), name=name) if result else None
    slots = steps + [""] * max(STEP_SLOTS - len(steps), 0)
    # The form shows the days the answer covers, so a default period is visible and can be widened.
    shown = result["period"] if result else {"from": first, "to": last}
    form = {"steps": slots, "window": window, "by": by, "from": shown["from"] or "", "to": shown["to"] or ""}
    event_types = service.event_types(store)
    suggested = [s for s in PURCHASE_FUNNEL if s in event_types] if step is None else []
    return render(
        request,
        "journeys_funnel.html",
        {
            "result": result,
            "error": error,
            "chart": chart,
            "form": form,
            "dimensions": DIMENSIONS,
            "event_types": event_types,
            "suggested": suggested if len(suggested) >= 2 else [],
            "presets": _presets(*service.event_days(store, offset), form) if step is not None else [],
            "name": name,
            "duration": duration,
        },
    )


def _presets(oldest: date | None, newest: date | None, form: dict[str, Any]) -> list[dict[str, Any]]:
    """One-click periods ending on the newest event's day, and all the data the store holds."""
    if oldest is None or newest is None:
        return []
    # A store younger than 90 days has no separate "last 90 days": "All data" says it.
    starts = [(f"last_{n}", newest - timedelta(days=n - 1)) for n in PRESET_DAYS]
    spans = [(key, start) for key, start in starts if start > oldest]
    presets = []
    for key, start in [*spans, ("all", oldest)]:
        period = {"from": start.isoformat(), "to": newest.isoformat()}
        query = [("step", s) for s in form["steps"] if s] + [("window", form["window"]), ("by", form["by"])]
        presets.append(
            {
                "key": key,
                "query": [*query, ("from", period["from"]), ("to", period["to"])],
                "active": (str(form["from"]), str(form["to"])) == (period["from"], period["to"]),
            }
        )
    return presets


@router.get("/journeys/paths")
def paths_page(
    request: Request,
    user: Viewer,
    store: StoreDep,
    settings: SettingsDep,
    from_event: Text = "",
    to_event: Text = "",
    window: Text = "30d",
    depth: Annotated[int, Query(ge=2, le=8)] = 5,
) -> Response:
    result, error = (None, None)
    if from_event.strip():
        result, error = _attempt(
            lambda: service.paths_report(
                store,
                from_event,
                to_event.strip() or None,
                window=window,
                depth=depth,
                offset_minutes=settings.business_utc_offset_minutes,
            )
        )
    t, name = translator(locale_of(request)), _event_name(request)
    chart = sankey_svg(result["nodes"], result["links"], label=t("journeys.paths"), name=name) if result else None
    form = {"from_event": from_event, "to_event": to_event, "window": window, "depth": depth}
    context = {"result": result, "error": error, "chart": chart, "form": form, "name": name}
    return render(request, "journeys_paths.html", {**context, "event_types": service.event_types(store)})


@router.get("/journeys/cohorts")
def cohorts_page(
    request: Request,
    user: Viewer,
    store: StoreDep,
    settings: SettingsDep,
    grain: Text = "week",
    event: Text = "",
    periods: Annotated[int, Query(ge=1, le=26)] = 8,
) -> Response:
    result, error = _attempt(
        lambda: service.cohorts_report(
            store,
            grain=grain,
            event=event.strip() or None,
            periods=periods,
            offset_minutes=settings.business_utc_offset_minutes,
        )
    )
    form = {"grain": grain, "event": event, "periods": periods}
    context = {"result": result, "error": error, "form": form, "event_types": service.event_types(store)}
    return render(request, "journeys_cohorts.html", context)


@router.get("/journeys/emotion")
def emotion_page(
    request: Request,
    user: Viewer,
    store: StoreDep,
    settings: SettingsDep,
    on: Annotated[str, Query(alias="date")] = "",
    kpi: Text = "negative_share",
) -> Response:
    offset = settings.business_utc_offset_minutes
    flow = service.emotion_report(store, offset_minutes=offset)
    t = translator(locale_of(request))
    chart = emotion_line(flow["stages"], label=t("journeys.emotion"), name=lambda s: t(f"stage.{s}"))
    impact, error = (None, None)
    if on.strip():
        impact, error = _attempt(
            lambda: service.impact_report(store, kpi, _required_day(on, "date"), offset_minutes=offset)
        )
    context = {"flow": flow, "chart": chart, "impact": impact, "error": error, "metrics": METRICS}
    return render(request, "journeys_emotion.html", {**context, "form": {"date": on, "kpi": kpi}})
