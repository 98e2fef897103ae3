"""The Trends page: topic volume and sentiment over time, and the emerging issues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.analytics.keywords import customer_tiers, top_keywords
from cxloop.analytics.overview import PERIODS
from cxloop.analytics.trends import list_emerging_issues, topic_trends
from cxloop.domain import FeedbackChannel
from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.permissions import Permission
from cxloop.web.charts import stacked_bars
from cxloop.web.deps import SettingsDep, StoreDep, page_allowed
from cxloop.web.i18n import translator
from cxloop.web.rendering import locale_of, render

router = APIRouter(include_in_schema=False)


def topic_namer(request: Request) -> dict[str, str]:
    """Topic id → name in the page's language, from the taxonomy in use."""
    locale = locale_of(request)
    taxonomy = current_taxonomy(request.app.state.settings)
    return {t.id: (t.name_ko if locale == "ko" else t.name_en) for t in taxonomy.topics}


@router.get("/trends")
def trends_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.KPIS_READ)],
    store: StoreDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=365)] = 90,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    tier: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    request.state.user = user
    days = days if days in PERIODS else 90
    locale = locale_of(request)
    names = topic_namer(request)
    with store.read() as conn:
        trends = topic_trends(conn, days=days, offset_minutes=settings.business_utc_offset_minutes)
        issues = list_emerging_issues(conn, limit=30)
        # Unknown filter values (an edited URL) select nothing rather than erroring: the menus
        # below only offer what exists.
        keyword_slice = {"topic": topic or None, "channel": channel or None, "tier": tier or None}
        keywords = top_keywords(conn, days=days, limit=25, **keyword_slice)
        tiers = customer_tiers(conn)
    t = translator(locale)
    chart = stacked_bars(trends["chart"], label=t("trends.volume"), name=lambda topic: names.get(topic, topic))
    return render(
        request,
        "trends.html",
        {
            "trends": trends,
            "issues": issues,
            "chart": chart,
            "names": names,
            "periods": PERIODS,
            "days": days,
            "keywords": keywords,
            "keyword_slice": keyword_slice,
            "channels": [c.value for c in FeedbackChannel],
            "tiers": tiers,
        },
    )
