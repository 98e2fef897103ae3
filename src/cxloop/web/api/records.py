"""Read API: overview, feedback, pipeline status and batches (customers: api/customers.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from cxloop.access import TokenPrincipal
from cxloop.analytics.overview import PERIODS, overview
from cxloop.domain import FeedbackChannel, Language, RecordKind, SurveyType
from cxloop.errors import InvalidInput, NotFound
from cxloop.permissions import Permission
from cxloop.store import inbox
from cxloop.store import intake as intake_repo
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["read"])


@router.get("/overview", summary="Feedback and event volumes by channel")
def get_overview(
    store: StoreDep,
    settings: SettingsDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)],
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> dict[str, Any]:
    if days not in PERIODS:
        raise InvalidInput(f"days must be one of {', '.join(map(str, PERIODS))}")
    with store.read() as conn:
        return overview(conn, days=days, utc_offset_minutes=settings.business_utc_offset_minutes)


@router.get("/feedback", summary="Search and page through feedback")
def list_feedback(
    store: StoreDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)],
    channel: FeedbackChannel | None = None,
    language: Language | None = None,
    survey_type: SurveyType | None = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    customer_id: Annotated[str | None, Query(max_length=26)] = None,
    q: Annotated[str | None, Query(max_length=200, description="Text contains")] = None,
    topic: Annotated[str | None, Query(max_length=64, description="Topic id from the taxonomy")] = None,
    sentiment: Annotated[str | None, Query(pattern="^(positive|neutral|negative)$")] = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    where = inbox.InboxFilter(
        channel=channel,
        language=language,
        survey_type=survey_type,
        source=source,
        customer_id=customer_id,
        search=q,
        topic=topic,
        sentiment=sentiment,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    with store.read() as conn:
        return inbox.list_feedback(conn, where, page=page, page_size=page_size)


@router.get("/feedback/{feedback_id}", summary="One feedback item")
def get_feedback(
    feedback_id: str, store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)]
) -> dict[str, Any]:
    with store.read() as conn:
        item = inbox.get_feedback(conn, feedback_id)
    if item is None:
        raise NotFound(f"no feedback with id {feedback_id}")
    return item


@router.get("/status", summary="Intake queue and processing status")
def get_status(store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)]) -> dict[str, Any]:
    with store.read() as conn:
        return intake_repo.queue_summary(conn)


@router.get("/batches/{batch_id}", summary="One ingestion batch: counts, rejections, processing status")
def get_batch(
    batch_id: str, store: StoreDep, _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)]
) -> dict[str, Any]:
    with store.read() as conn:
        batch = intake_repo.find_batch(conn, batch_id)
        if batch is None:
            raise NotFound(f"no ingestion batch with id {batch_id}")
        return {**batch, "processing": intake_repo.batch_progress(conn, batch_id)}


@router.get("/intake/{kind}/{source}/{external_id}", summary="Processing status of one submitted record")
def get_record_status(
    kind: RecordKind,
    source: str,
    external_id: str,
    store: StoreDep,
    _: Annotated[TokenPrincipal, api_allowed(Permission.FEEDBACK_READ)],
) -> dict[str, Any]:
    with store.read() as conn:
        status = intake_repo.record_status(conn, kind.value, source, external_id)
    if status is None:
        raise NotFound(f"no {kind.value} record {external_id!r} from source {source!r} was received")
    return status
