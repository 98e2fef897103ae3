"""The improvement actions board (a column per status) and an action's page: the before/after chart,
the verdict with its evidence, linked feedback, and the forms to link, ship and follow up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from cxloop.errors import CxloopError, InvalidInput
from cxloop.jobs.taxonomy import current_taxonomy
from cxloop.notify import actions as service
from cxloop.notify.followup import follow_up_customers
from cxloop.permissions import Permission
from cxloop.store import actions as repo
from cxloop.store.intake import utc_now
from cxloop.web.charts import before_after_chart
from cxloop.web.deps import SettingsDep, StoreDep, check_csrf, page_allowed
from cxloop.web.i18n import translator
from cxloop.web.pages.trends import topic_namer
from cxloop.web.rendering import locale_of, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[dict[str, Any], page_allowed(Permission.KPIS_READ)]
Manager = Annotated[dict[str, Any], page_allowed(Permission.ACTIONS_MANAGE)]
Csrf = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=20_000)]


def _local_to_utc(settings: Any, day: str, field: str) -> datetime:
    """A date typed in the business's zone → the UTC moment its day starts."""
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidInput(f"{field}: {day!r} is not a date (YYYY-MM-DD)") from None
    return datetime(parsed.year, parsed.month, parsed.day) - timedelta(minutes=settings.business_utc_offset_minutes)


def _board(request: Request, store: Any, settings: Any, error: str | None = None, status: int = 200) -> Response:
    with store.read() as conn:
        actions = repo.list_actions(conn)
    columns = {s: [a for a in actions if a["status"] == s] for s in service.STATUSES}
    topics = current_taxonomy(settings).topics
    context = {"columns": columns, "topics": topics, "names": topic_namer(request), "error": error}
    return render(request, "actions.html", context, status_code=status)


@router.get("/actions")
def actions_board(request: Request, user: Reader, store: StoreDep, settings: SettingsDep) -> Response:
    return _board(request, store, settings)


@router.post("/actions")
def create_action_form(
    request: Request, user: Manager, store: StoreDep, settings: SettingsDep, csrf_token: Csrf,
    title: Annotated[str, Form(max_length=300)] = "", topic: Annotated[str, Form(max_length=64)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "", description: Text = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    try:
        due = date.fromisoformat(due_date) if due_date.strip() else None
    except ValueError:
        return _board(request, store, settings, error=f"due_date: {due_date!r} is not a date", status=422)
    try:
        with store.write() as conn:
            action = service.create_action(
                conn, store.dialect, title=title, topic=topic or None, due_date=due, description=description,
                now=utc_now(), created_by=user["email"], known_topics={t.id for t in current_taxonomy(settings).topics},
            )  # fmt: skip
    except CxloopError as exc:
        if exc.status_code >= 500:
            raise
        return _board(request, store, settings, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"/actions/{action['id']}", status_code=303)


def _detail(
    request: Request, store: Any, settings: Any, action_id: str, *, message: str | None = None,
    error: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    now = utc_now()
    t = translator(locale_of(request))
    with store.read() as conn:
        action = service.get_action(conn, action_id)
        series = service.action_series(conn, action, now=now, offset_minutes=settings.business_utc_offset_minutes)
        linked = repo.linked_feedback(conn, action_id, limit=20)
    chart = before_after_chart(series, label=t("actions.chart"), before=t("actions.before"), after=t("actions.after"))
    context = {
        "action": action, "chart": chart if series else None, "linked": linked, "names": topic_namer(request),
        "message": message, "error": error, "verdict": action["verdict"] or None,
    }  # fmt: skip
    return render(request, "action_detail.html", context, status_code=status)


@router.get("/actions/{action_id}")
def action_page(request: Request, action_id: str, user: Reader, store: StoreDep, settings: SettingsDep) -> Response:
    return _detail(request, store, settings, action_id)


def _run(request: Request, store: Any, settings: Any, action_id: str, work: Any, done: str) -> Response:
    """Run a form's change in one transaction; bad input re-renders the page with the reason."""
    try:
        with store.write() as conn:
            work(conn)
    except CxloopError as exc:
        if exc.status_code >= 500 or exc.status_code == 404:
            raise
        return _detail(request, store, settings, action_id, error=exc.message, status=exc.status_code)
    return _detail(request, store, settings, action_id, message=done)


@router.post("/actions/{action_id}/ship")
def ship_form(
    request: Request, action_id: str, user: Manager, store: StoreDep, settings: SettingsDep, csrf_token: Csrf,
    shipped_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    t = translator(locale_of(request))

    def work(conn: Any) -> None:
        when = _local_to_utc(settings, shipped_on, "shipped_on") if shipped_on.strip() else None
        service.ship_action(conn, action_id, now=utc_now(), offset_minutes=settings.business_utc_offset_minutes,
                            shipped_at=when)  # fmt: skip

    return _run(request, store, settings, action_id, work, t("actions.shipped_message"))


@router.post("/actions/{action_id}/status")
def status_form(
    request: Request, action_id: str, user: Manager, store: StoreDep, settings: SettingsDep, csrf_token: Csrf,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    t = translator(locale_of(request))
    return _run(
        request, store, settings, action_id,
        lambda conn: service.update_action(conn, action_id, {"status": status}, now=utc_now()), t("actions.saved"),
    )  # fmt: skip


@router.post("/actions/{action_id}/link")
def link_form(
    request: Request, action_id: str, user: Manager, store: StoreDep, settings: SettingsDep, csrf_token: Csrf,
    since: Annotated[str, Form(max_length=10)] = "", until: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf_token)
    t = translator(locale_of(request))
    outcome: dict[str, Any] = {}

    def work(conn: Any) -> None:
        action = service.get_action(conn, action_id)
        if not action["topic"]:
            raise InvalidInput("the action has no topic to link feedback from")
        start = _local_to_utc(settings, since, "since")
        end = _local_to_utc(settings, until, "until") + timedelta(days=1)  # the last day is included
        outcome.update(service.link_feedback(conn, store.dialect, action_id, now=utc_now(), topic=action["topic"],
                                             since=start, until=end))  # fmt: skip

    response = _run(request, store, settings, action_id, work, "")
    if outcome:
        return _detail(request, store, settings, action_id, message=t("actions.linked_message", n=outcome["linked"]))
    return response


@router.post("/actions/{action_id}/follow-up")
def follow_up_form(
    request: Request, action_id: str, user: Manager, store: StoreDep, settings: SettingsDep, csrf_token: Csrf
) -> Response:
    check_csrf(request, csrf_token)
    t = translator(locale_of(request))
    outcome: dict[str, Any] = {}

    def work(conn: Any) -> None:
        outcome.update(follow_up_customers(conn, store.dialect, action_id, now=utc_now()))

    response = _run(request, store, settings, action_id, work, "")
    if outcome:
        return _detail(request, store, settings, action_id, message=t("actions.followup_message", **outcome))
    return response
