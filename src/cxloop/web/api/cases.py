"""Cases API: list with filters, open by hand, read with history and linked feedback, PATCH with
optimistic concurrency (`version`), internal notes and outbound replies.

A token belongs to no person, so its changes carry no user in the case history; each one is
written to the audit trail under the token's name, in the same transaction as the change."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from cxloop.access import TokenPrincipal
from cxloop.errors import InvalidInput
from cxloop.permissions import Permission
from cxloop.route.casework import add_note, add_reply, change_case, load_case
from cxloop.route.lifecycle import CaseState, Priority
from cxloop.route.manual import create_case_by_hand
from cxloop.route.views import case_view
from cxloop.store import audit
from cxloop.store import cases as case_repo
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, api_allowed

router = APIRouter(tags=["cases"])


def _audit(
    conn: sa.Connection, store: Store, principal: TokenPrincipal, action: str, case_id: str, **details: Any
) -> None:
    audit.record(conn, store.dialect, actor=principal.name, action=action, target_kind="case", target_id=case_id,
                 details={"via": "api token", **details})  # fmt: skip


class CaseCreate(BaseModel):
    subject: str = Field(min_length=1, max_length=500)
    team: str = Field(min_length=1, max_length=100)
    priority: Priority = Priority.NORMAL
    customer_id: str | None = Field(default=None, max_length=26)
    feedback_id: str | None = Field(default=None, max_length=26)
    channel: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    tags: list[str] = Field(default_factory=list, max_length=50)


class CaseUpdate(BaseModel):
    version: int = Field(
        ge=0, le=2_147_483_647, description="The version you read; a stale one answers 409 with the current version"
    )
    status: CaseState | None = None
    assignee_user_id: str | None = Field(default=None, max_length=26, description="null unassigns")
    priority: Priority | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
    team: str | None = Field(default=None, max_length=100, description="needs cases.manage")


class CaseText(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)


@router.get("/cases", summary="Cases, open ones first by due time; filters combine")
def list_cases(
    store: StoreDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.CASES_READ)],
    team: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(description="a status, or `open`")] = None,
    assignee: Annotated[str | None, Query(max_length=26, description="a user id, or `none`")] = None,
    priority: Priority | None = None,
    customer: Annotated[str | None, Query(max_length=26)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    if status is not None and status != "open" and status not in {s.value for s in CaseState}:
        raise InvalidInput(
            f"status: {status!r} is not a status; use open or one of {', '.join(s.value for s in CaseState)}"
        )
    filters = {"team": team, "status": status, "assignee": assignee, "priority": priority, "customer": customer}
    now = utc_now()
    # Tokens belong to no team: a token that may read cases reads every team's (admin tokens work them).
    with store.read() as conn:
        result = case_repo.list_cases(conn, filters=filters, visible_team_ids=None, page=page, page_size=page_size)
    return {**result, "items": [case_view(c, now) for c in result["items"]]}


@router.post("/cases", status_code=201, summary="Open a case by hand (assigned within the team by its strategy)")
def create_case(
    body: CaseCreate,
    store: StoreDep,
    settings: SettingsDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.CASES_WORK)],
) -> dict[str, Any]:
    now = utc_now()
    with store.write() as conn:
        case = create_case_by_hand(
            conn, store.dialect, settings, body.model_dump(mode="json"), actor=None, now=now, allowed_team_ids=None
        )
        _audit(conn, store, principal, "case.create", case["id"], team=body.team)
    return case_view(case, now)


@router.get("/cases/{case_id}", summary="One case with its history and linked feedback")
def get_case(
    case_id: str, store: StoreDep, principal: Annotated[TokenPrincipal, api_allowed(Permission.CASES_READ)]
) -> dict[str, Any]:
    now = utc_now()
    with store.read() as conn:
        case = load_case(conn, case_id)
        history = case_repo.history_of(conn, case_id)
        linked = case_repo.feedback_of(conn, case_id)
    return {**case_view(case, now), "history": history, "feedback": linked}


@router.patch("/cases/{case_id}", summary="Change status, assignee, priority, tags or team; `version` required")
def patch_case(
    case_id: str,
    body: CaseUpdate,
    store: StoreDep,
    principal: Annotated[TokenPrincipal, api_allowed(Permission.CASES_WORK)],
) -> dict[str, Any]:
    changes = body.model_dump(mode="json", exclude_unset=True)
    version = changes.pop("version")
    now = utc_now()
    with store.write() as conn:
        team_ids = {t["name"]: t["id"] for t in case_repo.list_teams(conn)}
        case = change_case(
            conn, store.dialect, case_id, version=version, changes=changes, actor=None, now=now, team_ids=team_ids
        )
        _audit(conn, store, principal, "case.update", case_id, changes=changes, version=version)
    return case_view(case, now)


Worker = Annotated[TokenPrincipal, api_allowed(Permission.CASES_WORK)]


def _add_text(store: Store, principal: TokenPrincipal, case_id: str, text: str, add: Any, action: str) -> Any:
    with store.write() as conn:
        entry = add(conn, store.dialect, case_id, text, actor=None, now=utc_now())
        _audit(conn, store, principal, action, case_id)
        return entry


@router.post("/cases/{case_id}/notes", status_code=201, summary="Add an internal note")
def post_note(case_id: str, body: CaseText, store: StoreDep, principal: Worker) -> dict[str, Any]:
    return dict(_add_text(store, principal, case_id, body.text, add_note, "case.note"))


@router.post("/cases/{case_id}/replies", status_code=201, summary="Reply to the customer on the case's channel")
def post_reply(case_id: str, body: CaseText, store: StoreDep, principal: Worker) -> dict[str, Any]:
    return dict(_add_text(store, principal, case_id, body.text, add_reply, "case.reply"))
