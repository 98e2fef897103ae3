"""The overview page: volumes over time by channel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.analytics.overview import PERIODS, overview
from cxloop.permissions import Permission
from cxloop.web.charts import stacked_bars
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed
from cxloop.web.i18n import translator
from cxloop.web.pages.kpis import overview_cards
from cxloop.web.rendering import locale_of, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def overview_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.KPIS_READ)],
    store: StoreDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> Response:
    request.state.user = user
    days = days if days in PERIODS else 30
    with store.read() as conn:
        data = overview(conn, days=days, utc_offset_minutes=settings.business_utc_offset_minutes)
    t = translator(locale_of(request))
    charts = {
        "feedback": stacked_bars(
            data["feedback_by_channel"], label=t("overview.feedback"), name=lambda c: t(f"channel.{c}")
        ),
        "events": stacked_bars(data["events_by_channel"], label=t("overview.events"), name=lambda c: t(f"channel.{c}")),
    }
    context = {"data": data, "charts": charts, "periods": PERIODS, "days": days}
    context["kpi_cards"] = overview_cards(request, store, settings)  # KPI cards (web/pages/kpis.py)
    return render(request, "overview.html", context)
