"""The case queue and case detail: SLA timers, filters, the customer side panel, history, notes,
replies and status buttons. Forms carry `version`; a stale one re-renders with a conflict message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from cxloop.errors import Conflict, InvalidInput, NotFound
from cxloop.permissions import Permission
from cxloop.route.casework import add_note, add_reply, change_case, load_case
from cxloop.route.lifecycle import TRANSITIONS, CaseState, Priority
from cxloop.route.manual import create_case_by_hand, visible_team_ids
from cxloop.route.views import case_view, format_duration
from cxloop.store import cases as case_repo
from cxloop.store import profiles
from cxloop.store.engine import Store
from cxloop.store.intake import utc_now
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed, user_may
from cxloop.web.rendering import render

router = APIRouter(include_in_schema=False)
_PAGE_SIZE = 30
ReadUser = Annotated[dict[str, Any], page_allowed(Permission.CASES_READ)]
WorkUser = Annotated[dict[str, Any], page_allowed(Permission.CASES_WORK)]
Csrf = Annotated[str, Form(max_length=200)]


def _visible(conn: Any, user: dict[str, Any]) -> set[str] | None:
    return visible_team_ids(conn, user["id"], sees_all=user_may(user, Permission.CASES_MANAGE))


def _case_for(conn: Any, user: dict[str, Any], case_id: str) -> dict[str, Any]:
    case = load_case(conn, case_id)
    visible = _visible(conn, user)
    if visible is not None and case["team_id"] not in visible:
        # Same answer as a missing case: agents learn nothing about other teams' cases.
        raise NotFound(f"no case with id {case_id} in your teams")
    return case


@router.get("/cases")
def case_queue(
    request: Request,
    user: ReadUser,
    store: StoreDep,
    team: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=32)] = "open",
    assignee: Annotated[str | None, Query(max_length=26)] = None,
    priority: Annotated[str | None, Query(max_length=8)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    if status and status not in {"open", *(s.value for s in CaseState)}:
        status = "open"
    if priority and priority not in {p.value for p in Priority}:
        priority = None
    assignee = user["id"] if assignee == "me" else assignee
    filters = {"team": team, "status": status, "assignee": assignee, "priority": priority}
    now = utc_now()
    with store.read() as conn:
        visible = _visible(conn, user)
        teams = [t for t in case_repo.list_teams(conn) if visible is None or t["id"] in visible]
        result = case_repo.list_cases(conn, filters=filters, visible_team_ids=visible, page=page, page_size=_PAGE_SIZE)
    query = {k: v for k, v in {"team": team, "status": status, "assignee": assignee, "priority": priority}.items() if v}
    return render(
        request,
        "cases.html",
        {
            "cases": [case_view(c, now) for c in result["items"]],
            "total": result["total"],
            "teams": teams,
            "filters": {**filters, "assignee": "me" if assignee == user["id"] else assignee},
            "statuses": ["open", *(s.value for s in CaseState)],
            "priorities": [p.value for p in Priority],
            "duration": format_duration,
            "page": page,
            "pages": max(1, -(-result["total"] // _PAGE_SIZE)),
            "page_link": lambda n: "/cases?" + urlencode({**query, "page": n}),
            "may_work": user_may(user, Permission.CASES_WORK),
        },
    )


def _detail(request: Request, store: Any, user: dict[str, Any], case_id: str, **extra: Any) -> Response:
    now = utc_now()
    with store.read() as conn:
        case = _case_for(conn, user, case_id)
        history = case_repo.history_of(conn, case_id)
        linked = case_repo.feedback_of(conn, case_id)
        members = case_repo.team_members_with_load(conn, [case["team_id"]]).get(case["team_id"], [])
        names = {m["user_id"]: m["user_id"] for m in members}
        profile = profiles.get_profile(conn, case["customer_id"], timeline_limit=50) if case["customer_id"] else None
        other_cases = (
            case_repo.list_cases(
                conn,
                filters={"customer": case["customer_id"]},
                visible_team_ids=_visible(conn, user),
                page=1,
                page_size=10,
            )["items"]
            if case["customer_id"]
            else []
        )
        # Everyone the page names: the team's members and whoever the history assigned the case to.
        assigned = {v for h in history for v in (h["changes"] or {}).get("assignee_user_id") or () if v}
        people = {str(r["id"]): r["name"] for r in case_repo.users_named(conn, list({*names, *assigned}))}
    current = CaseState(case["status"])
    context = {
        "case": case_view(case, now),
        "history": history,
        "people": people,
        "linked": linked,
        "members": [{"id": uid, "name": people.get(uid, uid)} for uid in names],
        "profile": profile,
        "recent_feedback": [e for e in (profile or {}).get("timeline", []) if e["record"] == "feedback"][:5],
        "other_cases": [c for c in other_cases if c["id"] != case_id],
        "next_statuses": sorted(s.value for s in TRANSITIONS[current]),
        "priorities": [p.value for p in Priority],
        "duration": format_duration,
        "may_work": user_may(user, Permission.CASES_WORK),
        "error": None,
        "notice": request.query_params.get("done"),
        **extra,
    }
    status = 409 if extra.get("conflict") else (422 if extra.get("error") else 200)
    return render(request, "case_detail.html", context, status_code=status)


@router.get("/cases/{case_id}")
def case_detail(case_id: str, request: Request, user: ReadUser, store: StoreDep) -> Response:
    return _detail(request, store, user, case_id)


def _after(case_id: str, done: str) -> Response:
    return RedirectResponse(f"/cases/{case_id}?done={done}", status_code=303)


def _work_on(
    request: Request,
    store: Store,
    user: dict[str, Any],
    case_id: str,
    done: str,
    work: Callable[[sa.Connection], object],
) -> Response:
    """One change to a case from its page: in one transaction, after checking the user may see the
    case; a conflict or a bad value re-renders the page with the message, success comes back to it."""
    try:
        with store.write() as conn:
            _case_for(conn, user, case_id)
            work(conn)
    except Conflict as exc:
        return _detail(request, store, user, case_id, error=exc.message, conflict=True)
    except InvalidInput as exc:
        return _detail(request, store, user, case_id, error=exc.message)
    return _after(case_id, done)


@router.post("/cases/{case_id}/update")
def update_case_form(
    case_id: str,
    request: Request,
    user: WorkUser,
    store: StoreDep,
    version: Annotated[int, Form()],
    csrf_token: Csrf = "",
    status: Annotated[str | None, Form(max_length=32)] = None,
    assignee: Annotated[str | None, Form(max_length=26)] = None,
    priority: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    check_csrf(request, csrf_token)
    changes: dict[str, Any] = {}
    if status:
        changes["status"] = status
    if assignee is not None:
        changes["assignee_user_id"] = user["id"] if assignee == "me" else (assignee or None)
    if priority:
        changes["priority"] = priority
    return _work_on(
        request,
        store,
        user,
        case_id,
        "updated",
        lambda conn: change_case(
            conn, store.dialect, case_id, version=version, changes=changes, actor=user["id"], now=utc_now()
        ),
    )


@router.post("/cases/{case_id}/notes")
def note_form(
    case_id: str,
    request: Request,
    user: WorkUser,
    store: StoreDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    return _work_on(
        request,
        store,
        user,
        case_id,
        "note",
        lambda conn: add_note(conn, store.dialect, case_id, text, actor=user["id"], now=utc_now()),
    )


@router.post("/cases/{case_id}/replies")
def reply_form(
    case_id: str,
    request: Request,
    user: WorkUser,
    store: StoreDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    return _work_on(
        request,
        store,
        user,
        case_id,
        "replied",
        lambda conn: add_reply(conn, store.dialect, case_id, text, actor=user["id"], now=utc_now()),
    )


@router.post("/cases")
def create_case_form(
    request: Request,
    user: WorkUser,
    store: StoreDep,
    settings: SettingsDep,
    subject: Annotated[str, Form(max_length=500)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    priority: Annotated[str, Form(max_length=8)] = "normal",
    customer_id: Annotated[str, Form(max_length=26)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    body = {"subject": subject, "team": team, "priority": priority, "customer_id": customer_id or None}
    # A bad form answers 422 with the error page naming the field; nothing was written.
    with store.write() as conn:
        case = create_case_by_hand(
            conn, store.dialect, settings, body, actor=user["id"], now=utc_now(), allowed_team_ids=_visible(conn, user)
        )
    return _after(case["id"], "created")
