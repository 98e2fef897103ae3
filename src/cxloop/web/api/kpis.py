"""KPI API: the metric catalog, and any KPI sliced by grain and dimension, as JSON, CSV or XLSX."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from cxloop.access import TokenPrincipal
from cxloop.analytics.catalog import DIMENSIONS
from cxloop.analytics.kpis import KpiQuery
from cxloop.analytics.kpis.report import catalog_listing, export_table, kpi_report
from cxloop.errors import InvalidInput
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed
from cxloop.web.exports import export_response

router = APIRouter(tags=["kpis"])
Lang = Annotated[Literal["ko", "en"], Query(description="Language of names, formulas and descriptions")]


def parse_filters(filters: list[str]) -> dict[str, str]:
    """`dimension:value` pairs, e.g. `channel:chat`; each names what is wrong when malformed."""
    parsed: dict[str, str] = {}
    for item in filters:
        dimension, sep, value = item.partition(":")
        if not sep or not value:
            raise InvalidInput(f"filter {item!r} must look like dimension:value, e.g. channel:chat")
        if dimension not in DIMENSIONS:
            raise InvalidInput(f"filter {item!r}: unknown dimension; known: {', '.join(DIMENSIONS)}")
        parsed[dimension] = value
    return parsed


@router.get("/kpis", summary="The metric catalog: every KPI's definition")
def list_kpis(_: Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)], lang: Lang = "en") -> dict[str, Any]:
    return {"kpis": catalog_listing(lang)}


@router.get("/kpis/{name}", summary="One KPI over a period, by grain and dimension, against the previous period")
def get_kpi_values(
    name: str,
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)],
    by: Annotated[str | None, Query(description=f"One of {', '.join(DIMENSIONS)}")] = None,
    grain: Annotated[Literal["day", "week", "month"] | None, Query()] = None,
    start: Annotated[
        date | None, Query(alias="from", description="First business-local day (default: 30 days)")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="Last business-local day (default: latest data)")] = None,
    compare: Annotated[Literal["previous"] | None, Query()] = None,
    filters: Annotated[list[str], Query(alias="filter", description="dimension:value, repeatable")] = [],  # noqa: B006
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
    lang: Lang = "en",
) -> Any:
    query = KpiQuery(
        name,
        start=start,
        end=end,
        by=by or None,
        grain=grain,
        filters=parse_filters(filters),
        compare=compare == "previous",
        offset_minutes=settings.business_utc_offset_minutes,
    )
    result = kpi_report(store, query, lang)
    if format == "json":
        return result
    rows, columns = export_table(result)
    return export_response(rows, columns, format, f"kpi_{name}_{(result['period'] or {}).get('to', 'none')}")
