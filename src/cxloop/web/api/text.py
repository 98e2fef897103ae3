"""Text API: analyze ad-hoc text, read and edit the topic taxonomy, trends and emerging issues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, model_validator

from cxloop.access import TokenPrincipal
from cxloop.analytics.keywords import top_keywords
from cxloop.analytics.trends import list_emerging_issues, topic_trends
from cxloop.errors import InvalidInput
from cxloop.jobs.taxonomy import current_taxonomy, save_taxonomy
from cxloop.jobs.text_stages import text_analyzer
from cxloop.permissions import Permission
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["text"])
MAX_TEXTS = 1000


class AnalyzeRequest(BaseModel):
    text: str | None = Field(default=None, description="One text")
    texts: list[str] | None = Field(default=None, description=f"Or up to {MAX_TEXTS} texts")

    @model_validator(mode="after")
    def _one_of(self) -> AnalyzeRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("send either `text` or `texts`")
        if self.texts is not None and len(self.texts) > MAX_TEXTS:
            raise ValueError(f"at most {MAX_TEXTS} texts per request")
        return self


@router.get("/taxonomy", summary="The topic taxonomy in use")
def get_taxonomy(
    settings: SettingsDep, _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)]
) -> dict[str, Any]:
    return current_taxonomy(settings).to_dict()


@router.put("/taxonomy", summary="Replace the topic taxonomy (validated; used from the next batch on)")
def put_taxonomy(
    body: dict[str, Any], settings: SettingsDep, _: Annotated[TokenPrincipal, api_allowed(Permission.TAXONOMY_EDIT)]
) -> dict[str, Any]:
    return save_taxonomy(settings, body).to_dict()


@router.post("/analyze", summary="Language, sentiment, topics with aspects, keywords, PII and flags for ad-hoc text")
async def analyze(
    body: AnalyzeRequest, settings: SettingsDep, _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)]
) -> dict[str, Any]:
    texts = body.texts if body.texts is not None else [body.text or ""]
    analyzer = text_analyzer(current_taxonomy(settings))
    analyses = await run_in_threadpool(analyzer.analyze_batch, texts)
    return {"results": [a.to_dict() for a in analyses]}


@router.get("/trends/topics", summary="Topic volume and negative share, with the previous period")
def get_topic_trends(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)],
    days: Annotated[int, Query(ge=7, le=365)] = 90,
) -> dict[str, Any]:
    with store.read() as conn:
        return topic_trends(conn, days=days, offset_minutes=settings.business_utc_offset_minutes)


@router.get("/emerging-issues", summary="Detected topic and keyword spikes and new phrases")
def get_emerging_issues(
    store: StoreDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    with store.read() as conn:
        return list_emerging_issues(conn, limit=limit)


@router.get("/keywords/top", summary="Top keywords of a period, per topic, channel and customer segment")
def get_top_keywords(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)],
    days: Annotated[int, Query(ge=1, le=365, description="Period length, ending at the newest data")] = 30,
    topic: Annotated[str | None, Query(max_length=64, description="A topic id of the taxonomy")] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    tier: Annotated[str | None, Query(max_length=32, description="Customer segment (tier)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict[str, Any]:
    if topic and topic not in {t.id for t in current_taxonomy(settings).topics}:
        raise InvalidInput(f"unknown topic {topic!r}; see GET /api/v1/taxonomy for the topic ids")
    with store.read() as conn:
        return top_keywords(conn, days=days, topic=topic, channel=channel, tier=tier, limit=limit)
