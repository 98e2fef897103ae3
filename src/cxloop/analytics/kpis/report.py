"""KPI results as the API, pages, CLI and exports show them: definition beside the numbers."""

from __future__ import annotations

from typing import Any

from cxloop.analytics.catalog import get_kpi, load_catalog
from cxloop.analytics.kpis.compute import KpiQuery, compute_kpi
from cxloop.analytics.warehouse import open_warehouse
from cxloop.store.engine import Store

#: The KPIs the Overview shows as cards, in order.
CARD_KPIS = ("nps", "csat", "ces", "sentiment_index", "first_response_time", "sla_compliance")
POINT_COLUMNS = ("value", "n", "ci_low", "ci_high")


def kpi_report(store: Store, query: KpiQuery, locale: str = "en") -> dict[str, Any]:
    definition = get_kpi(query.kpi)
    with open_warehouse(store) as wh:
        result = compute_kpi(wh, query)
    return {**result, "definition": definition.localized(locale)}


def catalog_listing(locale: str) -> list[dict[str, Any]]:
    return [definition.localized(locale) for definition in load_catalog().values()]


def export_table(result: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Flat rows for CSV/XLSX: one per slice, or the total when the result is not sliced."""
    keys = [k for k, used in (("bucket", result.get("grain")), (result.get("by") or "", result.get("by"))) if used]
    rows = result["rows"] or [{**result["total"]}]
    extras = sorted({k for row in rows for k in row} - set(keys) - set(POINT_COLUMNS))
    columns = [*keys, *POINT_COLUMNS, *extras]
    return [{"kpi": result["kpi"], **row} for row in rows], ["kpi", *columns]


def kpi_cards(store: Store, offset_minutes: int, locale: str) -> list[dict[str, Any]]:
    """Cards for the Overview: last 30 days (to each KPI's latest data), the 30 before, the
    target, and a daily trend line."""
    cards = []
    with open_warehouse(store) as wh:
        for kpi_id in CARD_KPIS:
            definition = get_kpi(kpi_id)
            result = compute_kpi(wh, KpiQuery(kpi_id, grain="day", compare=True, offset_minutes=offset_minutes))
            cards.append(
                {
                    "definition": definition.localized(locale),
                    "value": result["total"]["value"],
                    "n": result["total"]["n"],
                    "previous": (result["previous"] or {}).get("value"),
                    "comparison": result["comparison"],
                    "period": result["period"],
                    "trend": [row["value"] for row in result["rows"]],
                    "reason": result["reason"],
                }
            )
    return cards
