"""Improvement actions API: create (from a topic, an emerging issue or cases), list, change, link
feedback, ship (which measures the topic before and after), read with the daily series and verdict,
and tell consenting customers what their feedback led to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field, NaiveDatetime

from cxloop.access import TokenPrincipal
from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.notify import actions as service
from cxloop.notify.followup import follow_up_customers
from cxloop.permissions import Permission
from cxloop.store import actions as repo
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["actions"])
Reader = Annotated[TokenPrincipal, api_allowed(Permission.KPIS_READ)]
Manager = Annotated[TokenPrincipal, api_allowed(Permission.ACTIONS_MANAGE)]
Moment = AwareDatetime | NaiveDatetime  # naive means UTC


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return (moment - moment.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]


class ActionCreate(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    topic: str | None = Field(default=None, max_length=64)
    emerging_issue_id: str | None = Field(default=None, max_length=26)
    case_ids: list[str] = Field(default_factory=list, max_length=1000)
    owner_user_id: str | None = Field(default=None, max_length=26)
    team_id: str | None = Field(default=None, max_length=26)
    due_date: date | None = None
    status: Literal["planned", "in_progress"] = "planned"
    before_days: int | None = Field(default=None, ge=7, le=365)
    after_days: int | None = Field(default=None, ge=7, le=365)


class ActionUpdate(BaseModel):
    version: int | None = Field(
        default=None, ge=0, le=2_147_483_647, description="The version you read; a stale one answers 409"
    )
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    topic: str | None = Field(default=None, max_length=64)
    owner_user_id: str | None = Field(default=None, max_length=26)
    team_id: str | None = Field(default=None, max_length=26)
    due_date: date | None = None
    status: Literal["planned", "in_progress"] | None = None
    before_days: int | None = Field(default=None, ge=7, le=365)
    after_days: int | None = Field(default=None, ge=7, le=365)


class FeedbackLink(BaseModel):
    feedback_ids: list[str] = Field(default_factory=list, max_length=service.MAX_LINK)
    topic: str | None = Field(default=None, max_length=64, description="Link every item of this topic …")
    since: Moment | None = Field(default=None, description="… that occurred from here …")
    until: Moment | None = Field(default=None, description="… up to here (exclusive)")


class Ship(BaseModel):
    shipped_at: Moment | None = Field(default=None, description="When the change went live; default now")
    before_days: int | None = Field(default=None, ge=7, le=365)
    after_days: int | None = Field(default=None, ge=7, le=365)


class FollowUp(BaseModel):
    message: str | None = Field(default=None, max_length=5000)


def _topics(settings: Any) -> set[str]:
    return {t.id for t in current_taxonomy(settings).topics}


@router.get("/actions", summary="Improvement actions, newest first")
def list_actions(
    store: StoreDep,
    _: Reader,
    status: Literal["planned", "in_progress", "shipped", "verified", "not_verified"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.list_actions(conn, status=status, limit=limit)


@router.post("/actions", status_code=201, summary="Create an action from a topic, an emerging issue or cases")
def create_action(store: StoreDep, settings: SettingsDep, principal: Manager, body: ActionCreate) -> dict[str, Any]:
    with store.write() as conn:
        return service.create_action(
            conn, store.dialect, **body.model_dump(), now=utc_now(), created_by=principal.name,
            known_topics=_topics(settings),
        )  # fmt: skip


@router.get("/actions/{action_id}", summary="One action with its linked feedback, before/after series and verdict")
def get_action(action_id: str, store: StoreDep, settings: SettingsDep, _: Reader) -> dict[str, Any]:
    now = utc_now()
    with store.read() as conn:
        action = service.get_action(conn, action_id)
        action["series"] = service.action_series(
            conn, action, now=now, offset_minutes=settings.business_utc_offset_minutes
        )
        action["feedback"] = repo.linked_feedback(conn, action_id, limit=50)
    return action


@router.patch("/actions/{action_id}", summary="Change an action; ship it with /ship")
def update_action(
    action_id: str, store: StoreDep, settings: SettingsDep, _: Manager, body: ActionUpdate
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    with store.write() as conn:
        return service.update_action(
            conn, action_id, changes, now=utc_now(), version=body.version, known_topics=_topics(settings)
        )


@router.post("/actions/{action_id}/feedback", summary="Link feedback by id, or all of a topic in a date range")
def link_feedback(action_id: str, store: StoreDep, _: Manager, body: FeedbackLink) -> dict[str, Any]:
    with store.write() as conn:
        return service.link_feedback(
            conn, store.dialect, action_id, now=utc_now(), feedback_ids=body.feedback_ids, topic=body.topic,
            since=_utc(body.since), until=_utc(body.until),
        )  # fmt: skip


@router.post("/actions/{action_id}/ship", summary="Mark shipped and measure the topic before vs after")
def ship_action(action_id: str, store: StoreDep, settings: SettingsDep, _: Manager, body: Ship) -> dict[str, Any]:
    with store.write() as conn:
        return service.ship_action(
            conn, action_id, now=utc_now(), offset_minutes=settings.business_utc_offset_minutes,
            shipped_at=_utc(body.shipped_at), before_days=body.before_days, after_days=body.after_days,
        )  # fmt: skip


@router.post(
    "/actions/{action_id}/follow-up",
    summary="Queue 'your feedback led to this change' messages to linked customers who consented",
)
def follow_up(action_id: str, store: StoreDep, _: Manager, body: FollowUp) -> dict[str, Any]:
    with store.write() as conn:
        return follow_up_customers(conn, store.dialect, action_id, now=utc_now(), message=body.message)
