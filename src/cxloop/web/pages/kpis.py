"""KPI pages: the explorer (KPI × dimension × grain × range, with the previous period) and the catalog."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.analytics.catalog import DIMENSIONS, GRAINS, load_catalog
from cxloop.analytics.kpis import KpiQuery
from cxloop.analytics.kpis.report import catalog_listing, export_table, kpi_cards, kpi_report
from cxloop.config import Settings
from cxloop.errors import CxloopError
from cxloop.permissions import Permission
from cxloop.store.engine import Store
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed
from cxloop.web.exports import export_response
from cxloop.web.i18n import translator
from cxloop.web.kpi_charts import line_chart, sparkline
from cxloop.web.rendering import locale_of, render

router = APIRouter(include_in_schema=False)
KpiReader = Annotated[dict[str, Any], page_allowed(Permission.KPIS_READ)]
MAX_CHART_SERIES = 8


def _query(kpi: str, by: str, grain: str, start: date | None, end: date | None, compare: str, offset: int) -> KpiQuery:
    return KpiQuery(
        kpi,
        start=start,
        end=end,
        by=by or None,
        grain=grain or None,
        compare=compare != "off",
        offset_minutes=offset,
    )


def _chart(result: dict[str, Any], label: str, none_label: str) -> Any:
    if not result.get("grain") or not result["rows"]:
        return None
    by = result.get("by")
    buckets = list(dict.fromkeys(row["bucket"] for row in result["rows"]))
    series: dict[str, list[float | None]] = {}
    for row in result["rows"]:
        name = label if not by else (none_label if row[by] is None else str(row[by]))
        series.setdefault(name, []).append(row["value"])
    target = result["definition"]["target"]
    return line_chart(buckets, list(series.items())[:MAX_CHART_SERIES], label=label, target=target)


@router.get("/kpis")
def kpi_explorer(
    request: Request,
    user: KpiReader,
    store: StoreDep,
    settings: SettingsDep,
    kpi: Annotated[str, Query(max_length=64)] = "nps",
    by: Annotated[str, Query(max_length=32)] = "",
    grain: Annotated[str, Query(max_length=8)] = "week",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    compare: Annotated[str, Query(max_length=8)] = "on",
) -> Response:
    locale = locale_of(request)
    t = translator(locale)
    catalog = load_catalog()
    selected = catalog.get(kpi)
    result: dict[str, Any] | None = None
    error: str | None = None
    try:
        query = _query(kpi, by, grain, start, end, compare, settings.business_utc_offset_minutes)
        result = kpi_report(store, query, locale)
    except CxloopError as exc:  # a bad selection is shown beside the form, never as a bare error page
        error = exc.message
    chart = _chart(result, result["definition"]["name"], t("kpis.none")) if result else None
    params = {"kpi": kpi, "by": by, "grain": grain, "from": start or "", "to": end or "", "compare": compare}
    return render(
        request,
        "kpis.html",
        {
            "catalog": catalog_listing(locale),
            "selected": selected.localized(locale) if selected else None,
            "result": result,
            "chart": chart,
            "error": error,
            "params": params,
            "dimensions": selected.dimensions if selected else DIMENSIONS,
            "grains": GRAINS,
        },
        status_code=422 if error else 200,
    )


@router.get("/kpis/export")
def kpi_export(
    request: Request,
    user: KpiReader,
    store: StoreDep,
    settings: SettingsDep,
    kpi: Annotated[str, Query(max_length=64)],
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    by: Annotated[str, Query(max_length=32)] = "",
    grain: Annotated[str, Query(max_length=8)] = "",
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    compare: Annotated[str, Query(max_length=8)] = "off",
) -> Response:
    query = _query(kpi, by, grain, start, end, compare, settings.business_utc_offset_minutes)
    result = kpi_report(store, query, locale_of(request))
    rows, columns = export_table(result)
    return export_response(rows, columns, format, f"kpi_{kpi}_{(result['period'] or {}).get('to', 'none')}")


@router.get("/kpis/catalog")
def kpi_catalog(request: Request, user: KpiReader) -> Response:
    return render(request, "kpi_catalog.html", {"catalog": catalog_listing(locale_of(request))})


def overview_cards(request: Request, store: Store, settings: Settings) -> list[dict[str, Any]]:
    """The Overview's KPI cards, each with its trend line (the Overview page includes them)."""
    cards = kpi_cards(store, settings.business_utc_offset_minutes, locale_of(request))
    for card in cards:
        card["spark"] = sparkline(card["trend"], label=card["definition"]["name"])
    return cards
