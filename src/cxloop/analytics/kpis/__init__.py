"""KPIs of the metric catalog, written once in Ibis; `compute_kpi` is the one entry point."""

from __future__ import annotations

from cxloop.analytics.kpis.compute import IMPLEMENTATIONS, KpiQuery, compute_kpi

__all__ = ["IMPLEMENTATIONS", "KpiQuery", "compute_kpi"]
