"""The feedback inbox and the feedback detail page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cxloop.domain import FeedbackChannel, Language, SurveyType
from cxloop.errors import NotFound
from cxloop.permissions import Permission
from cxloop.store import inbox
from cxloop.web.deps import StoreDep, page_allowed
from cxloop.web.highlight import highlight_topics
from cxloop.web.pages.trends import topic_namer
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
SENTIMENTS = ("positive", "neutral", "negative")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _member(value: str | None, allowed: type[FeedbackChannel] | type[Language] | type[SurveyType]) -> str | None:
    return value if value in {m.value for m in allowed} else None


@router.get("/feedback")
def inbox_page(
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_READ)],
    store: StoreDep,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    language: Annotated[str | None, Query(max_length=8)] = None,
    survey_type: Annotated[str | None, Query(max_length=8)] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    sentiment: Annotated[str | None, Query(max_length=16)] = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    date_to: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
) -> Response:
    request.state.user = user
    # Unknown filter values are ignored rather than refused: a stale bookmark still opens the inbox.
    names = topic_namer(request)
    day_from, day_to = _day(date_from), _day(date_to)
    where = inbox.InboxFilter(
        channel=_member(channel, FeedbackChannel),
        language=_member(language, Language),
        survey_type=_member(survey_type, SurveyType),
        source=source or None,
        search=(q or "").strip() or None,
        topic=topic if topic in names else None,
        sentiment=sentiment if sentiment in SENTIMENTS else None,
        occurred_from=datetime.combine(day_from, time()) - timedelta(hours=9) if day_from else None,
        occurred_to=datetime.combine(day_to, time()) + timedelta(hours=15) if day_to else None,
    )
    page_size = page_size if page_size in inbox.PAGE_SIZES else 25
    with store.read() as conn:
        result = inbox.list_feedback(conn, where, page=page, page_size=page_size)
        facets = inbox.facet_values(conn)
    filters = {
        "channel": where.channel or "",
        "language": where.language or "",
        "survey_type": where.survey_type or "",
        "source": where.source or "",
        "q": where.search or "",
        "topic": where.topic or "",
        "sentiment": where.sentiment or "",
        "from": day_from.isoformat() if day_from else "",
        "to": day_to.isoformat() if day_to else "",
    }
    active = {k: v for k, v in filters.items() if v}
    pages = max(1, -(-result["total"] // page_size))
    return render(
        request,
        "inbox.html",
        {
            "result": result,
            "filters": filters,
            "facets": facets,
            "channels": [c.value for c in FeedbackChannel],
            "languages": [lang.value for lang in Language],
            "survey_types": [s.value for s in SurveyType],
            "topics": names,
            "sentiments": SENTIMENTS,
            "pages": pages,
            "page_link": lambda n: "/feedback?" + urlencode({**active, "page": n, "page_size": page_size}),
        },
    )


@router.get("/feedback/{feedback_id}")
def feedback_detail(
    feedback_id: str,
    request: Request,
    user: Annotated[dict[str, Any], page_allowed(Permission.FEEDBACK_READ)],
    store: StoreDep,
) -> Response:
    request.state.user = user
    with store.read() as conn:
        item = inbox.get_feedback(conn, feedback_id)
    if item is None:
        raise NotFound(f"no feedback with id {feedback_id}")
    names = topic_namer(request)
    marked = highlight_topics(item["text"] or "", item["topics"] or [], names)
    return render(request, "feedback_detail.html", {"item": item, "marked_text": marked, "names": names})
